"""Round trip of a Jobs MQTT request through the local broker, as a paho device sees it.

    python benchmarks/mqtt_round_trip.py                 # both brokers, 500 requests each
    python benchmarks/mqtt_round_trip.py --count 2000 --kinds amqtt

For each broker (amqtt embedded, mosquitto subprocess) a `MqttJobsService` serves an in-process
`mock_iotjobs()`; one thing has one job. A paho MQTT 3.1.1 device publishes a request, waits
for its `/accepted` reply, then sends the next (no pipelining), for:

- get:    `$aws/things/dev1/jobs/get` (GetPendingJobExecutions, one job listed)
- update: `$aws/things/dev1/jobs/job-1/update` with status IN_PROGRESS (each one a real
          state change: versionNumber + 1; IN_PROGRESS -> IN_PROGRESS publishes no notification)

Prints the median and p90 per broker and request, and whether the median meets the 2 ms target.
Fake credentials; nothing leaves the machine. Needs the [mqtt] extra (and mosquitto on PATH
for that column; it is skipped otherwise). The checkout holding this script is imported first.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TARGET_MEDIAN_MS = 2.0
WARM_UP = 20


def _device(host: str, port: int):  # type: ignore[no-untyped-def]
    from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv311

    client = Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}", protocol=MQTTv311)
    arrived = threading.Event()
    subscribed = threading.Event()
    last: list[bytes] = []

    def on_message(c, u, message):  # type: ignore[no-untyped-def]
        last[:] = [bytes(message.payload)]
        arrived.set()

    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(host, port)
    client.loop_start()
    return client, arrived, subscribed, last


def measure(host: str, port: int, topic: str, payload: dict, count: int) -> list[float]:
    client, arrived, subscribed, last = _device(host, port)
    try:
        client.subscribe(topic + "/accepted", 0)
        client.subscribe(topic + "/rejected", 0)
        if not subscribed.wait(5):
            raise RuntimeError("no SUBACK")
        time.sleep(0.05)  # both SUBACKs
        samples = []
        for i in range(WARM_UP + count):
            body = json.dumps({**payload, "clientToken": str(i)}).encode()
            arrived.clear()
            started = time.perf_counter()
            client.publish(topic, body)
            if not arrived.wait(5):
                raise RuntimeError(f"no reply to request {i} on {topic}")
            elapsed = time.perf_counter() - started
            reply = json.loads(last[0])
            if "code" in reply:
                raise RuntimeError(f"{topic} rejected: {reply}")
            if i >= WARM_UP:
                samples.append(elapsed)
        return samples
    finally:
        client.disconnect()
        client.loop_stop()


def summary(samples: list[float]) -> tuple[float, float]:
    ms = sorted(s * 1000 for s in samples)
    return statistics.median(ms), ms[max(0, int(len(ms) * 0.9) - 1)]


def run(kind: str, count: int) -> list[tuple[str, float, float]]:
    import boto3

    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.mqtt import jobs_broker

    rows = []
    with mock_iotjobs(), jobs_broker(kind=kind) as service:  # type: ignore[arg-type]
        iot = boto3.client("iot", region_name="us-east-1")
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="job-1", targets=[arn], document='{"operation": "bench"}')
        prefix = "$aws/things/dev1/jobs/"
        for name, topic, payload in (
            ("get", prefix + "get", {}),
            ("update", prefix + "job-1/update", {"status": "IN_PROGRESS"}),
        ):
            median, p90 = summary(measure(service.host, service.port, topic, payload, count))
            rows.append((name, median, p90))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="timed requests per cell (default 500)")
    parser.add_argument("--kinds", nargs="+", default=["amqtt", "mosquitto"], choices=["amqtt", "mosquitto"])
    args = parser.parse_args(argv)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ[name] = value
    os.environ.pop("AWS_PROFILE", None)

    from moto_iotjobs.mqtt import find_mosquitto

    print(f"Jobs MQTT request/reply round trip, paho device on loopback, {args.count} requests per cell")
    print(f"{'broker':<10} {'request':<8} {'median ms':>10} {'p90 ms':>8}  target (median < {TARGET_MEDIAN_MS} ms)")
    for kind in args.kinds:
        if kind == "mosquitto" and find_mosquitto() is None:
            print(f"{kind:<10} skipped: mosquitto is not installed")
            continue
        for request, median, p90 in run(kind, args.count):
            verdict = "meets" if median < TARGET_MEDIAN_MS else "MISSES"
            print(f"{kind:<10} {request:<8} {median:>10.3f} {p90:>8.3f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
