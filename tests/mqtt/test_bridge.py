"""Jobs topic bridge: request routing, replies, notifications, robustness, on both brokers."""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import socket
import threading
import time

import pytest

from moto_iotjobs.mqtt import JobsRequestTopic, JobsTopicBridge, RunningBroker, parse_request_topic
from moto_iotjobs.mqtt.bridge import BridgeError

pytestmark = pytest.mark.mqtt


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("$aws/things/t1/jobs/get", JobsRequestTopic("t1", "GetPendingJobExecutions", None)),
        (
            "$aws/things/t1/jobs/start-next",
            JobsRequestTopic("t1", "StartNextPendingJobExecution", None),
        ),
        ("$aws/things/t1/jobs/job-1/get", JobsRequestTopic("t1", "DescribeJobExecution", "job-1")),
        ("$aws/things/t1/jobs/$next/get", JobsRequestTopic("t1", "DescribeJobExecution", "$next")),
        ("$aws/things/t1/jobs/job-1/update", JobsRequestTopic("t1", "UpdateJobExecution", "job-1")),
        # Job ids that look like operation names are still unambiguous by shape.
        ("$aws/things/t1/jobs/get/get", JobsRequestTopic("t1", "DescribeJobExecution", "get")),
        (
            "$aws/things/t1/jobs/notify/update",
            JobsRequestTopic("t1", "UpdateJobExecution", "notify"),
        ),
        # Replies and notifications are not requests.
        ("$aws/things/t1/jobs/get/accepted", None),
        ("$aws/things/t1/jobs/get/rejected", None),
        ("$aws/things/t1/jobs/start-next/accepted", None),
        ("$aws/things/t1/jobs/job-1/get/accepted", None),
        ("$aws/things/t1/jobs/job-1/update/rejected", None),
        ("$aws/things/t1/jobs/notify", None),
        ("$aws/things/t1/jobs/notify-next", None),
        ("$aws/events/job/job-1/completed", None),
        ("$aws/things/t1/shadow/get", None),
        ("$aws/things//jobs/get", None),
        ("$aws/things/t1/jobs//get", None),
        ("things/t1/jobs/get", None),
        ("", None),
    ],
)
def test_parse_request_topic(topic: str, expected: JobsRequestTopic | None) -> None:
    assert parse_request_topic(topic) == expected


def test_get_pending_round_trip(
    broker: RunningBroker, echo_bridge: JobsTopicBridge, make_device
) -> None:
    """The acceptance scenario: a paho device asks, the toy handler answers, the device hears."""
    device = make_device(broker)
    device.subscribe("$aws/things/t1/jobs/get/accepted")
    device.publish("$aws/things/t1/jobs/get", json.dumps({"clientToken": "abc"}))
    topic, payload = device.receive()
    assert topic == "$aws/things/t1/jobs/get/accepted"
    assert json.loads(payload) == {"clientToken": "abc", "echo": True}


def test_qos1_request_is_answered(
    broker: RunningBroker, echo_bridge: JobsTopicBridge, make_device
) -> None:
    device = make_device(broker)
    device.subscribe("$aws/things/t1/jobs/+/update/accepted", qos=1)
    device.publish("$aws/things/t1/jobs/job-1/update", json.dumps({"clientToken": "q1"}), qos=1)
    topic, payload = device.receive()
    assert topic == "$aws/things/t1/jobs/job-1/update/accepted"
    assert json.loads(payload)["clientToken"] == "q1"


class Recorder:
    """A handler that records the requests it sees and answers as configured."""

    def __init__(self, reply: object = None) -> None:
        self.seen: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.reply = reply

    def __call__(self, topic: str, payload: bytes) -> object:
        self.seen.put((topic, payload))
        if isinstance(self.reply, BaseException):
            raise self.reply
        return self.reply(topic, payload) if callable(self.reply) else self.reply


def test_only_request_topics_reach_the_handler(broker: RunningBroker, make_device) -> None:
    recorder = Recorder()
    bridge = JobsTopicBridge(broker.host, broker.port, recorder).start()
    try:
        device = make_device(broker)
        for topic in (
            "$aws/things/t1/jobs/get/accepted",
            "$aws/things/t1/jobs/notify",
            "$aws/things/t1/jobs/notify-next",
            "$aws/things/t1/jobs/job-1/update/rejected",
            "$aws/things/t1/jobs/get",
            "$aws/things/t1/jobs/start-next",
            "$aws/things/t1/jobs/job-1/get",
            "$aws/things/t2/jobs/job-1/update",
        ):
            device.publish(topic, b"{}")
        seen = [recorder.seen.get(timeout=5)[0] for _ in range(4)]
        # each thing's requests in the order sent; things take turns (t2 may come first)
        assert [t for t in seen if "/t1/" in t] == [
            "$aws/things/t1/jobs/get",
            "$aws/things/t1/jobs/start-next",
            "$aws/things/t1/jobs/job-1/get",
        ]
        assert [t for t in seen if "/t2/" in t] == ["$aws/things/t2/jobs/job-1/update"]
        with pytest.raises(queue.Empty):
            recorder.seen.get(timeout=0.2)
    finally:
        bridge.stop()


def test_handler_exception_is_logged_and_bridge_keeps_serving(
    broker: RunningBroker, make_device, caplog: pytest.LogCaptureFixture
) -> None:
    def handler(topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        if payload == b"boom":
            raise RuntimeError("handler exploded")
        return [(topic + "/accepted", payload)]

    bridge = JobsTopicBridge(broker.host, broker.port, handler).start()
    try:
        device = make_device(broker)
        device.subscribe("$aws/things/t1/jobs/get/accepted")
        with caplog.at_level(logging.ERROR, logger="moto_iotjobs.mqtt.bridge"):
            device.publish("$aws/things/t1/jobs/get", b"boom")
            device.publish("$aws/things/t1/jobs/get", b"fine")
            assert device.receive() == ("$aws/things/t1/jobs/get/accepted", b"fine")
        assert any("handler exploded" in (r.exc_text or "") or r.exc_info for r in caplog.records)
        assert "$aws/things/t1/jobs/get" in caplog.text
    finally:
        bridge.stop()


@pytest.mark.parametrize("reply", [None, []])
def test_handler_may_return_no_reply(broker: RunningBroker, make_device, reply: object) -> None:
    recorder = Recorder(reply)
    bridge = JobsTopicBridge(broker.host, broker.port, recorder).start()
    try:
        device = make_device(broker)
        device.subscribe("$aws/things/t1/jobs/get/+")
        device.publish("$aws/things/t1/jobs/get", b"{}")
        recorder.seen.get(timeout=5)
        device.assert_nothing_received()
    finally:
        bridge.stop()


def test_several_replies_and_str_payloads(broker: RunningBroker, make_device) -> None:
    """A handler can answer and notify in one go (e.g. accepted + notify-next)."""
    recorder = Recorder(
        lambda topic, payload: [
            (topic + "/accepted", '{"ok":true}'),
            ("$aws/things/t1/jobs/notify-next", b'{"execution":null}'),
        ]
    )
    bridge = JobsTopicBridge(broker.host, broker.port, recorder).start()
    try:
        device = make_device(broker)
        device.subscribe("$aws/things/t1/jobs/job-1/update/accepted")
        device.subscribe("$aws/things/t1/jobs/notify-next")
        device.publish("$aws/things/t1/jobs/job-1/update", b"{}")
        assert device.receive() == ("$aws/things/t1/jobs/job-1/update/accepted", b'{"ok":true}')
        assert device.receive() == ("$aws/things/t1/jobs/notify-next", b'{"execution":null}')
    finally:
        bridge.stop()


def test_publish_sends_service_notifications(
    broker: RunningBroker, echo_bridge: JobsTopicBridge, make_device
) -> None:
    device = make_device(broker)
    device.subscribe("$aws/things/t1/jobs/notify")
    assert echo_bridge.publish("$aws/things/t1/jobs/notify", '{"jobs":{}}') is True
    assert device.receive() == ("$aws/things/t1/jobs/notify", b'{"jobs":{}}')


def test_lifecycle(broker: RunningBroker) -> None:
    bridge = JobsTopicBridge(broker.host, broker.port, Recorder())
    assert not bridge.running
    with pytest.raises(BridgeError, match="not started"):
        bridge.publish("$aws/things/t1/jobs/notify", b"{}")
    threads_before = set(threading.enumerate())
    assert bridge.start() is bridge
    assert bridge.start() is bridge  # already running: no second connection
    assert bridge.running
    bridge.stop()
    bridge.stop()
    assert not bridge.running
    assert set(threading.enumerate()) == threads_before
    # A stopped bridge can be started again.
    bridge.start()
    bridge.stop()
    assert set(threading.enumerate()) == threads_before


def test_start_without_a_broker_is_a_clear_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(BridgeError, match="cannot connect"):
        JobsTopicBridge("127.0.0.1", port, Recorder()).start()


def test_replies_reach_only_subscribed_devices(broker: RunningBroker, make_device) -> None:
    """One bridge answers every thing; a device hears only the topics it subscribed to."""
    bridge = JobsTopicBridge(broker.host, broker.port, lambda t, p: [(t + "/accepted", p)]).start()
    try:
        d1, d2 = make_device(broker), make_device(broker)
        d1.subscribe("$aws/things/t1/jobs/get/accepted")
        d2.subscribe("$aws/things/t2/jobs/get/accepted")
        d1.publish("$aws/things/t1/jobs/get", b"1")
        d2.publish("$aws/things/t2/jobs/get", b"2")
        assert d1.receive() == ("$aws/things/t1/jobs/get/accepted", b"1")
        assert d2.receive() == ("$aws/things/t2/jobs/get/accepted", b"2")
        d1.assert_nothing_received(0.1)
        d2.assert_nothing_received(0.1)
    finally:
        bridge.stop()


def test_context_manager(broker: RunningBroker, make_device) -> None:
    with JobsTopicBridge(broker.host, broker.port, lambda t, p: [(t + "/accepted", p)]) as bridge:
        assert bridge.running
        device = make_device(broker)
        device.subscribe("$aws/things/t1/jobs/start-next/accepted")
        device.publish("$aws/things/t1/jobs/start-next", b"{}")
        assert device.receive() == ("$aws/things/t1/jobs/start-next/accepted", b"{}")
    assert not bridge.running


def test_bridge_reconnects_when_its_broker_comes_back(make_device) -> None:
    """The broker goes away and comes back on the same port: the bridge subscribes again."""
    from moto_iotjobs.mqtt import start_broker

    pytest.importorskip("amqtt")
    first = start_broker(kind="amqtt")
    port = first.port
    bridge = JobsTopicBridge(first.host, port, lambda t, p: [(t + "/accepted", p)]).start()
    try:
        first.stop()
        deadline = time.monotonic() + 5
        while bridge.publish("$aws/things/t1/jobs/notify", b"{}") and time.monotonic() < deadline:
            time.sleep(0.05)  # until the bridge noticed (publish answers False)
        with start_broker(port=port, kind="amqtt") as second:
            device = make_device(second)
            device.subscribe("$aws/things/t1/jobs/get/accepted")
            deadline = time.monotonic() + 15
            answered = False
            while not answered and time.monotonic() < deadline:
                device.publish("$aws/things/t1/jobs/get", b"again")
                with contextlib.suppress(queue.Empty):
                    answered = device.receive(timeout=0.5) == ("$aws/things/t1/jobs/get/accepted", b"again")
            device.close()
            assert answered
            bridge.stop()
    finally:
        bridge.stop()
