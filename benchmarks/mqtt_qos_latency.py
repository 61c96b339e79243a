"""Publish -> receive latency of a paho device by subscription and publish QoS, per broker.

    python benchmarks/mqtt_qos_latency.py                    # amqtt and mosquitto
    python benchmarks/mqtt_qos_latency.py --kinds amqtt --count 200

For each broker (127.0.0.1, a free port), subscription QoS 0/1/2 and publish QoS 0/1, three
shapes, each sample one message after the previous one arrived: ``self``, one device
publishing to a topic it subscribed to; ``pair``, one device publishing, another subscribed;
``jobs``, a device publishing ``$aws/things/t1/jobs/get`` and subscribed to its ``/accepted``
reply from an echoing Jobs bridge. Prints the median and p99 in ms, the host's delayed ACKs
(``TcpExt DelayedACKs`` of /proc/net/netstat, Linux) counted during each line, and the load
average. Report only: the asserted bound is ``tests/mqtt/test_qos_latency.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WARM_UP = 5


def delayed_acks() -> int | None:
    """The host's TCP delayed-ACK timer count so far (Linux), else None."""
    try:
        with open("/proc/net/netstat") as stats:
            lines = stats.read().splitlines()
    except OSError:
        return None
    for header, values in zip(lines[::2], lines[1::2]):
        if header.startswith("TcpExt:"):
            return int(dict(zip(header.split()[1:], values.split()[1:]))["DelayedACKs"])
    return None


def connect(host: str, port: int) -> Any:
    from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv311

    client = Client(CallbackAPIVersion.VERSION2, client_id=f"qos-{uuid.uuid4().hex[:8]}",
                    protocol=MQTTv311)
    connected = threading.Event()
    client.on_connect = lambda *a: connected.set()
    client.connect(host, port)
    client.loop_start()
    if not connected.wait(5):
        raise RuntimeError("device did not connect")
    return client


def measure(subscriber: Any, publisher: Any, sub_topic: str, pub_topic: str, sub_qos: int,
            pub_qos: int, count: int) -> list[float]:
    arrived, subscribed = threading.Event(), threading.Event()
    subscriber.on_message = lambda *a: arrived.set()
    subscriber.on_subscribe = lambda *a: subscribed.set()
    subscriber.subscribe(sub_topic, sub_qos)
    if not subscribed.wait(5):
        raise RuntimeError("no SUBACK")
    samples = []
    for i in range(WARM_UP + count):
        arrived.clear()
        started = time.perf_counter()
        publisher.publish(pub_topic, b'{"clientToken":"%d"}' % i, qos=pub_qos)
        if not arrived.wait(5):
            raise RuntimeError(f"message {i} not delivered")
        if i >= WARM_UP:
            samples.append(time.perf_counter() - started)
    return samples


def run_shape(host: str, port: int, shape: str, sub_qos: int, pub_qos: int, count: int) -> list[float]:
    devices = [connect(host, port)]
    if shape == "pair":
        devices.append(connect(host, port))
    try:
        if shape == "jobs":
            topic = "$aws/things/t1/jobs/get"
            return measure(devices[0], devices[0], topic + "/accepted", topic, sub_qos, pub_qos, count)
        topic = f"qos/{shape}"
        return measure(devices[0], devices[-1], topic, topic, sub_qos, pub_qos, count)
    finally:
        for device in devices:
            device.disconnect()
            device.loop_stop()


def main() -> int:
    from moto_iotjobs.mqtt import JobsTopicBridge, start_broker

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kinds", nargs="+", default=["amqtt", "mosquitto"])
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; {args.count} samples per line; ms")
    for kind in args.kinds:
        with start_broker(kind=kind) as broker:
            bridge = JobsTopicBridge(broker.host, broker.port, lambda t, p: [(t + "/accepted", p)]).start()
            try:
                for sub_qos in (0, 1, 2):
                    for pub_qos in (0, 1):
                        cells = []
                        for shape in ("self", "pair", "jobs"):
                            before = delayed_acks()
                            ms = sorted(s * 1000 for s in run_shape(
                                broker.host, broker.port, shape, sub_qos, pub_qos, args.count))
                            after = delayed_acks()
                            acks = "?" if before is None or after is None else str(after - before)
                            p99 = ms[max(0, int(len(ms) * 0.99) - 1)]
                            cells.append(f"{shape} {statistics.median(ms):6.2f}/{p99:6.2f} ({acks} d-ACKs)")
                        print(f"{kind:9s} sub QoS {sub_qos} pub QoS {pub_qos}: " + " | ".join(cells),
                              flush=True)
            finally:
                bridge.stop()
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
