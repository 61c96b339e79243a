"""Latency of QoS 1 and 2 subscriptions: no delayed-ACK stall per message on the embedded broker.

paho sends without TCP_NODELAY, so after its PUBACK (or PUBCOMP) its next packet waits until
the broker's TCP acknowledges that ACK. The broker answers those packets with nothing; left to
itself the kernel delays the TCP ACK ~40 ms, and a device that publishes after each message it
receives at QoS 1 waited ~44 ms each time (docs/performance.md).
"""

from __future__ import annotations

import statistics
import threading
import time
from typing import Any, Callable

import pytest

from moto_iotjobs.mqtt import JobsTopicBridge, RunningBroker

pytestmark = pytest.mark.mqtt

#: Far above loopback's ~0.5 ms (a loaded 2-core CI machine passes), far below the ~44 ms
#: stall each message took before the broker acknowledged PUBACK/PUBCOMP at once.
ASSERTED_MEDIAN_S = 0.010
SAMPLES = 40
WARM_UP = 5


class QosProbe:
    """One paho device timing publish -> receive on a topic it subscribed to itself."""

    def __init__(self, device: Any) -> None:
        self.device = device
        self.arrived = threading.Event()
        self.received: list[tuple[bytes, int]] = []
        self.unacknowledged = 0
        device.client.on_message = self._on_message

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        self.received.append((bytes(message.payload), message.qos))
        self.arrived.set()

    def measure(self, publish_topic: str, pub_qos: int) -> list[float]:
        samples = []
        for i in range(WARM_UP + SAMPLES):
            self.arrived.clear()
            started = time.perf_counter()
            info = self.device.client.publish(publish_topic, b'{"clientToken":"%d"}' % i, qos=pub_qos)
            assert self.arrived.wait(5), f"message {i} not delivered"
            if pub_qos:  # the broker's PUBACK / PUBCOMP
                info.wait_for_publish(5)
                self.unacknowledged += not info.is_published()
            if i >= WARM_UP:
                samples.append(time.perf_counter() - started)
        return samples


def _report(capsys: pytest.CaptureFixture[str], label: str, samples: list[float],
            summary: Callable[[list[float]], str]) -> float:
    median = statistics.median(samples)
    with capsys.disabled():
        print(f"\n{label}: {summary(samples)}")
    return median


@pytest.mark.parametrize("sub_qos", [1, 2])
@pytest.mark.parametrize("pub_qos", [0, 1])
def test_subscriber_publishing_after_each_message_is_not_stalled(
    amqtt_broker: RunningBroker,
    make_device: Callable[..., Any],
    latency_summary: Callable[[list[float]], str],
    capsys: pytest.CaptureFixture[str],
    sub_qos: int,
    pub_qos: int,
) -> None:
    probe = QosProbe(make_device(amqtt_broker))
    probe.device.subscribe("$aws/things/t1/jobs/notify", sub_qos)
    samples = probe.measure("$aws/things/t1/jobs/notify", pub_qos)
    median = _report(capsys, f"[amqtt] sub QoS {sub_qos}, pub QoS {pub_qos}", samples, latency_summary)
    # Every message once, in order; a QoS 1 or 2 publish was acknowledged by the broker and
    # delivered with a QoS that has the device acknowledge it (the PUBACK/PUBCOMP flow).
    payloads = [payload for payload, _ in probe.received]
    assert payloads == [b'{"clientToken":"%d"}' % i for i in range(WARM_UP + SAMPLES)]
    assert probe.unacknowledged == 0
    if pub_qos >= 1:
        assert all(qos >= 1 for _, qos in probe.received)
    assert median < ASSERTED_MEDIAN_S


def test_jobs_reply_to_a_qos1_subscription_is_not_stalled(
    broker: RunningBroker,
    echo_bridge: JobsTopicBridge,
    make_device: Callable[..., Any],
    latency_summary: Callable[[list[float]], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A device subscribed at QoS 1 to its ``/accepted`` topic, requesting after each reply."""
    probe = QosProbe(make_device(broker))
    probe.device.subscribe("$aws/things/t1/jobs/get/accepted", 1)
    samples = probe.measure("$aws/things/t1/jobs/get", 0)
    median = _report(capsys, f"[{broker.kind}] Jobs reply to a QoS 1 subscription", samples,
                     latency_summary)
    assert len(probe.received) == WARM_UP + SAMPLES
    assert median < ASSERTED_MEDIAN_S
