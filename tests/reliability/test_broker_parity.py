"""The same MQTT limits on both local brokers (amqtt embedded, mosquitto subprocess), #14.

- A Jobs request over AWS's 128 KB payload limit is answered InvalidRequest, state unchanged.
- A packet over ``MAX_PACKET_BYTES`` (1 MiB) closes the sender's connection; others go on.
- Sockets that never send CONNECT do not keep devices out. amqtt closes them after 10 s
  (``test_broker_limits.py``); mosquitto 2.0 after 90 s, which no setting changes
  (``docs/BEHAVIOUR.md``).

Raw loopback sockets, bounded in time; the service is stopped afterwards.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from moto_iotjobs.mqtt import find_mosquitto
from moto_iotjobs.mqtt.broker_base import MAX_PACKET_BYTES
from moto_iotjobs.mqtt.jobs_api import MAX_PAYLOAD_BYTES
from moto_iotjobs.mqtt.service import MqttJobsService

from .flood_clients import Connection, _publish
from .helpers import thing_arn
from .summary import record

pytestmark = pytest.mark.mqtt

UPDATE = "$aws/things/t1/jobs/j1/update"
GET = "$aws/things/t1/jobs/get"


@pytest.fixture(params=["amqtt", "mosquitto"])
def service(request: pytest.FixtureRequest, iotjobs: Any) -> Iterator[MqttJobsService]:
    if request.param == "mosquitto" and find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    if request.param == "amqtt":
        pytest.importorskip("amqtt")
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t1")
    iot.create_job(jobId="j1", targets=[thing_arn("t1")], document="{}")
    with MqttJobsService(kind=request.param) as running:
        yield running


def reply(connection: Connection) -> tuple[str, dict[str, Any]]:
    while True:
        first, body = connection.packet()
        if first >> 4 == 3:
            length = int.from_bytes(body[:2], "big")
            return body[2 : 2 + length].decode(), json.loads(body[2 + length :])


def status(iotjobs: Any) -> str:
    execution = iotjobs.client("iot").describe_job_execution(jobId="j1", thingName="t1")["execution"]
    return str(execution["status"])


def test_request_over_128_kb_is_rejected(service: MqttJobsService, iotjobs: Any) -> None:
    device = Connection(service.host, service.port, "t1", [UPDATE + "/accepted", UPDATE + "/rejected"])
    try:
        pad = "x" * (MAX_PAYLOAD_BYTES + 1)
        device.sock.sendall(_publish(UPDATE, json.dumps({"status": "IN_PROGRESS", "pad": pad}).encode()))
        topic, answer = reply(device)
        assert topic == UPDATE + "/rejected" and answer["code"] == "InvalidRequest", answer
        assert status(iotjobs) == "QUEUED"
        device.sock.sendall(_publish(UPDATE, b'{"status":"IN_PROGRESS","clientToken":"small"}'))
        topic, answer = reply(device)
        assert topic == UPDATE + "/accepted" and answer["clientToken"] == "small"
    finally:
        device.sock.close()
    record(f"mqtt broker parity ({service.kind})", "128 KB + 1 payload rejected")


def test_packet_over_the_broker_limit_closes_the_connection(service: MqttJobsService) -> None:
    sender = Connection(service.host, service.port, "big", [GET + "/accepted"])
    sender.sock.settimeout(20)
    try:
        payload = b"{" + b" " * MAX_PACKET_BYTES + b"}"
        with _sent_or_reset():
            sender.sock.sendall(_publish(GET, payload))
        with pytest.raises((EOFError, ConnectionResetError)):
            reply(sender)  # the broker hangs up instead of answering
    finally:
        sender.sock.close()
    # everyone else is still served
    device = Connection(service.host, service.port, "t1", [GET + "/accepted"])
    try:
        device.sock.sendall(_publish(GET, b'{"clientToken":"after"}'))
        assert reply(device)[1]["clientToken"] == "after"
    finally:
        device.sock.close()
    record(f"mqtt broker parity ({service.kind})", "over-limit packet disconnected")


class _sent_or_reset:
    """The broker may hang up while the big packet is still being sent."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> bool:
        return kind is not None and issubclass(kind, (ConnectionResetError, BrokenPipeError))


def test_idle_sockets_do_not_keep_devices_out(service: MqttJobsService) -> None:
    idle = [socket.create_connection((service.host, service.port), timeout=10) for _ in range(50)]
    try:
        started = time.monotonic()
        device = Connection(service.host, service.port, "t1", [GET + "/accepted"])
        try:
            device.sock.sendall(_publish(GET, b'{"clientToken":"busy"}'))
            assert reply(device)[1]["clientToken"] == "busy"
        finally:
            device.sock.close()
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()
    record(f"mqtt broker parity ({service.kind})", "device served beside 50 idle sockets")
