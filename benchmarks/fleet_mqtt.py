"""Fleet rollout over the Jobs MQTT API: N devices, one job on a thing group (issue #19).

    python benchmarks/fleet_mqtt.py                      # 1,000 devices, embedded amqtt
    python benchmarks/fleet_mqtt.py --devices 200 --broker mosquitto --report-only

In one process: `mock_iotjobs()`, an `MqttJobsService` on 127.0.0.1 (a free port), N things in
one static thing group. N devices connect over loopback with a minimal MQTT 3.1.1 client
written here (asyncio, all devices on one event loop in one thread: paho needs a thread per
client for `loop_start`). Each subscribes to its start-next and update replies. Then one
boto3 CreateJob targets the group, and every device publishes `start-next`, waits for the
accepted execution, publishes `update` with SUCCEEDED and waits for its acceptance.

Reported: connect time, rollout wall time (CreateJob to the last device's acceptance; the
target is < 30 s for 1,000 devices), messages per second through the broker (device requests
+ replies + the service's notifications), and the CPU time of the broker's thread (or
process, for mosquitto), the bridge's I/O thread, and the device loop, from
`/proc/self/task/<tid>/stat`. Exit 1 when the target is missed or a device did not finish;
`--report-only` exits 0 and says so. The whole run is bounded by `--timeout` (default 120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _table import REPORT_ONLY_BANNER, verdict  # noqa: E402

from moto_iotjobs.devices.packets import read_packet  # noqa: E402
from moto_iotjobs.mqtt.bridge_link import (  # noqa: E402  (the packets the bridge sends)
    connect_packet,
    parse_publish,
    publish_packet,
    subscribe_packet,
)

TARGET_SECONDS = 30.0
JOB_ID = "fleet-rollout"
GROUP = "fleet"
CONNECT_CONCURRENCY = 100


# -- a minimal asyncio MQTT 3.1.1 client (QoS 0 only; its packets are the bridge's own) ---------


async def _read_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(first byte, body) of the broker's next packet (the TLS gateway's reader)."""
    packet = await read_packet(reader)
    if packet is None:
        raise ConnectionError("the broker closed the connection")
    return packet.first, packet.body


class Device:
    """One thing's MQTT connection: start-next, then SUCCEEDED."""

    def __init__(self, thing: str, counters: dict[str, int]) -> None:
        self.thing = thing
        self.counters = counters
        self.reader: Optional[asyncio.StreamReader] = None
        self.writer: Optional[asyncio.StreamWriter] = None

    async def connect(self, host: str, port: int) -> None:
        self.reader, self.writer = await asyncio.open_connection(host, port)
        self.writer.write(connect_packet(self.thing, keepalive=600))
        first, ack = await _read_packet(self.reader)
        if first >> 4 != 2 or ack[1] != 0:
            raise RuntimeError(f"{self.thing}: CONNACK refused {ack!r}")
        base = f"$aws/things/{self.thing}/jobs"
        filters = [f"{base}/start-next/accepted", f"{base}/start-next/rejected",
                   f"{base}/{JOB_ID}/update/accepted", f"{base}/{JOB_ID}/update/rejected"]
        self.writer.write(subscribe_packet(1, filters))
        first, _ = await _read_packet(self.reader)
        if first >> 4 != 9:
            raise RuntimeError(f"{self.thing}: no SUBACK")

    async def _request(self, topic: str, body: dict[str, Any]) -> dict[str, Any]:
        assert self.reader is not None and self.writer is not None
        self.writer.write(publish_packet(topic, json.dumps(body).encode()))
        self.counters["sent"] += 1
        while True:
            first, packet = await _read_packet(self.reader)
            if first >> 4 != 3:
                continue
            reply_topic, payload = parse_publish(first, packet)
            self.counters["received"] += 1
            if reply_topic.startswith(topic + "/"):
                reply: dict[str, Any] = json.loads(payload)
                if reply_topic.endswith("/rejected"):
                    raise RuntimeError(f"{self.thing}: {topic} rejected: {reply}")
                return reply

    async def roll_out(self) -> None:
        base = f"$aws/things/{self.thing}/jobs"
        started = await self._request(f"{base}/start-next", {"clientToken": "s"})
        execution = started.get("execution") or {}
        if execution.get("jobId") != JOB_ID:
            raise RuntimeError(f"{self.thing}: start-next gave {started}")
        await self._request(f"{base}/{JOB_ID}/update", {"status": "SUCCEEDED", "clientToken": "u"})
        self.counters["done"] += 1

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.write(b"\xe0\x00")  # DISCONNECT
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


# -- CPU time per thread ------------------------------------------------------------------


def _ticks(path: str) -> float:
    """utime + stime (seconds) from a /proc stat file; 0 when it is gone."""
    try:
        with open(path) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_sources(service: Any) -> dict[str, str]:
    """The /proc stat files of the broker, the bridge's I/O thread and this (device) thread."""
    sources = {"devices (asyncio loop)": f"/proc/self/task/{threading.get_native_id()}/stat"}
    for thread in threading.enumerate():
        if thread.name.startswith("amqtt-broker"):
            sources["broker (amqtt thread)"] = f"/proc/self/task/{thread.native_id}/stat"
        elif thread.name.startswith("moto-iotjobs-bridge"):
            sources["bridge (I/O thread)"] = f"/proc/self/task/{thread.native_id}/stat"
    pid = getattr(getattr(service, "_broker", None), "pid", None)
    if pid is not None:
        sources["broker (mosquitto process)"] = f"/proc/{pid}/stat"
    return sources


# -- the run ------------------------------------------------------------------------------


def _build_fleet(iot: Any, count: int) -> list[str]:
    from moto_iotjobs.moto_integration.compat import iot_registry

    things = [f"dev-{i:05d}" for i in range(count)]
    arn = iot.create_thing_group(thingGroupName=GROUP)["thingGroupArn"]
    backend = iot_registry("123456789012", "us-east-1")
    for thing in things:
        iot.create_thing(thingName=thing)
    # the group's membership through moto's backend: N boto3 AddThingToThingGroup calls would
    # only add setup time
    for thing in things:
        backend.add_thing_to_thing_group(GROUP, None, thing, None)
    return [arn, *things]


async def _run(service: Any, iot: Any, group_arn: str, things: list[str], report: dict[str, Any]) -> None:
    counters = {"sent": 0, "received": 0, "done": 0}
    devices = [Device(thing, counters) for thing in things]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(device: Device) -> None:
        async with gate:
            await device.connect(service.host, service.port)

    started = time.perf_counter()
    await asyncio.gather(*(connect(d) for d in devices))
    report["connect_s"] = time.perf_counter() - started

    sources = _cpu_sources(service)
    cpu_before = {name: _ticks(path) for name, path in sources.items()}
    notified = {"count": 0}

    def count(topic: str, payload: bytes) -> None:
        notified["count"] += 1

    from moto_iotjobs.services.jobs import notifications

    notifications.add_sink(count, "123456789012", "us-east-1")
    try:
        started, started_cpu = time.perf_counter(), time.process_time()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, lambda: iot.create_job(
            jobId=JOB_ID, targets=[group_arn], document=json.dumps({"op": "update"})))
        report["create_job_s"] = time.perf_counter() - started
        results = await asyncio.gather(*(d.roll_out() for d in devices), return_exceptions=True)
        report["rollout_s"] = time.perf_counter() - started
        report["process_cpu_s"] = time.process_time() - started_cpu
    finally:
        notifications.remove_sink(count)
    report["cpu_s"] = {name: _ticks(path) - cpu_before[name] for name, path in sources.items()}
    errors = [r for r in results if isinstance(r, BaseException)]
    report["errors"] = [repr(e) for e in errors[:3]]
    report["done"] = counters["done"]
    report["messages"] = counters["sent"] + counters["received"] + notified["count"]
    report["notifications"] = notified["count"]
    await asyncio.gather(*(d.close() for d in devices))


def run(devices: int, broker: str, timeout: float, broker_url: Optional[str] = None) -> dict[str, Any]:
    import boto3

    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.mqtt.service import MqttJobsService

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ[name] = value
    report: dict[str, Any] = {"devices": devices, "broker": broker_url or broker}
    with mock_iotjobs():
        iot = boto3.client("iot", region_name="us-east-1")
        started = time.perf_counter()
        group_arn, *things = _build_fleet(iot, devices)
        report["setup_s"] = time.perf_counter() - started
        kwargs: dict[str, Any] = {"broker_url": broker_url} if broker_url else {"kind": broker}
        with MqttJobsService(**kwargs) as service:
            asyncio.run(asyncio.wait_for(_run(service, iot, group_arn, things, report), timeout))
    return report


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--broker", choices=("amqtt", "mosquitto"), default="amqtt")
    parser.add_argument("--broker-url", default=None,
                        help="attach to this broker (mqtt://127.0.0.1:PORT) instead of starting one")
    parser.add_argument("--timeout", type=float, default=120.0, help="hard bound on the rollout (s)")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when the target is missed")
    args = parser.parse_args(argv)
    if args.report_only:
        print(REPORT_ONLY_BANNER, flush=True)
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 2 * args.devices + 256))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    try:
        report = run(args.devices, args.broker, args.timeout, args.broker_url)
    except asyncio.TimeoutError:
        print(f"fleet rollout: TIMED OUT after {args.timeout:.0f} s ({args.devices} devices)")
        return verdict(False, args.report_only)
    rollout = report["rollout_s"]
    ok = report["done"] == args.devices and rollout < TARGET_SECONDS * args.devices / 1000
    print(f"fleet rollout over MQTT: {args.devices} devices, broker {report['broker']}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  setup (things + group): {report['setup_s']:.1f} s; devices connected in {report['connect_s']:.1f} s")
    print(f"  rollout wall: {rollout:.2f} s (CreateJob {report['create_job_s']:.2f} s)   "
          f"target < {TARGET_SECONDS * args.devices / 1000:.1f} s   {'met' if ok else 'MISSED'}")
    print(f"  devices done: {report['done']}/{args.devices}" +
          (f"; errors: {report['errors']}" if report["errors"] else ""))
    print(f"  messages: {report['messages']} ({report['notifications']} notifications), "
          f"{report['messages'] / rollout:.0f} per second")
    print(f"  CPU during the rollout: process {report['process_cpu_s']:.2f} s"
          f" ({100 * report['process_cpu_s'] / rollout:.0f} % of one core)")
    for name, seconds in report["cpu_s"].items():
        print(f"    {name:28} {seconds:6.2f} s  ({100 * seconds / rollout:3.0f} % of one core)")
    return verdict(ok, args.report_only)


if __name__ == "__main__":
    sys.exit(main())
