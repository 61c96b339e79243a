"""A fleet of 1,000 devices over mutual TLS, each with its own key and CSR certificate, runs a
job to SUCCEEDED through the Jobs MQTT API (start-next, then update), 50 handshakes in flight.
benchmarks/mqtt_fleet_tls.py measures the connect rate; this test asserts the outcome."""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import tempfile
import time
from typing import Any

import pytest

from moto_iotjobs.devices import packets

from .devices import allow, arn, csr_pem, key_pem, new_device_key, policy_document

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

FLEET = 1000
IN_FLIGHT = 50
REPLY_TIMEOUT = 60.0  # seconds one device waits for one reply on a loaded 2-core machine
FLEET_POLICY = policy_document(
    allow("iot:Connect", arn("client", "fleet-*")),
    allow(["iot:Publish", "iot:Receive"], arn("topic", "$aws/things/${iot:ClientId}/jobs/*")),
)


def _provision(iot: Any, directory: str) -> list[tuple[str, str, str]]:
    """(client id = thing name, cert path, key path): own EC key, CSR certificate, policy,
    thing in the fleet group."""
    iot.create_policy(policyName="fleet", policyDocument=FLEET_POLICY)
    iot.create_thing_group(thingGroupName="fleet")
    devices = []
    for index in range(FLEET):
        name = f"fleet-{index:04d}"
        key = new_device_key()
        created = iot.create_certificate_from_csr(
            certificateSigningRequest=csr_pem(key, name), setAsActive=True
        )
        iot.attach_policy(policyName="fleet", target=created["certificateArn"])
        iot.create_thing(thingName=name)
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=name)
        cert_path, key_path = os.path.join(directory, f"{name}.pem"), os.path.join(directory, f"{name}.key")
        with open(cert_path, "w") as handle:
            handle.write(created["certificatePem"])
        with open(key_path, "w") as handle:
            handle.write(key_pem(key))
        devices.append((name, cert_path, key_path))
    return devices


def _connect_packet(client_id: str) -> bytes:
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id.encode()
    return bytes([0x10, len(body)]) + body


async def _reply(reader: asyncio.StreamReader, topic: str) -> Any:
    while True:
        packet = await asyncio.wait_for(packets.read_packet(reader), REPLY_TIMEOUT)
        if packet is None:
            raise ConnectionError(f"closed while waiting for {topic}")
        if packet.kind == packets.PUBLISH:
            publish = packets.parse_publish(packet, 4)
            if publish.topic.startswith(topic + "/"):
                assert publish.topic == topic + "/accepted", publish.payload
                return json.loads(publish.payload)


async def _run_device(name: str, cert_path: str, key_path: str, port: int, ca_path: str,
                      gate: asyncio.Semaphore, connect_ms: list[float]) -> str:
    """Connect, start the next job, report it SUCCEEDED; the job id it ran."""
    context = ssl.create_default_context(cafile=ca_path)
    context.load_cert_chain(cert_path, key_path)
    async with gate:
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost")
        writer.write(_connect_packet(name))
        connack = await asyncio.wait_for(reader.readexactly(4), REPLY_TIMEOUT)
        assert connack == b"\x20\x02\x00\x00", f"{name}: CONNACK {connack.hex()}"
        connect_ms.append((time.perf_counter() - started) * 1000)
    try:
        start_next = f"$aws/things/{name}/jobs/start-next"
        writer.write(packets.encode_publish(start_next, b"{}", 4))
        execution = (await _reply(reader, start_next))["execution"]
        update = f"$aws/things/{name}/jobs/{execution['jobId']}/update"
        writer.write(packets.encode_publish(update, b'{"status": "SUCCEEDED"}', 4))
        await _reply(reader, update)
        return str(execution["jobId"])
    finally:
        writer.close()


async def _run_fleet(devices: list[tuple[str, str, str]], port: int, ca_path: str) -> tuple[list[Any], list[float]]:
    gate = asyncio.Semaphore(IN_FLIGHT)
    connect_ms: list[float] = []
    results = await asyncio.gather(
        *(_run_device(*device, port, ca_path, gate, connect_ms) for device in devices),
        return_exceptions=True,
    )
    return results, connect_ms


@pytest.mark.timeout(300)
@pytest.mark.parametrize("iotjobs_mqtt_tls", ["amqtt", "mosquitto"], indirect=True)
def test_a_thousand_devices_over_mtls_take_their_job_to_succeeded(iotjobs, iotjobs_mqtt_tls):
    iot = iotjobs.client("iot")
    with tempfile.TemporaryDirectory(prefix="fleet-") as directory:
        began = time.perf_counter()
        devices = _provision(iot, directory)
        provisioned = time.perf_counter() - began
        group_arn = iot.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]
        iot.create_job(jobId="fleet-job", targets=[group_arn], document=json.dumps({"op": "update"}))

        began = time.perf_counter()
        results, connect_ms = asyncio.run(
            _run_fleet(devices, iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path))
        elapsed = time.perf_counter() - began
    failures = [f"{name}: {result!r}" for (name, _, _), result in zip(devices, results)
                if result != "fleet-job"]
    assert not failures, f"{len(failures)} devices failed, e.g. {failures[:5]}"
    details = iot.describe_job(jobId="fleet-job")["job"]
    assert details["jobProcessDetails"]["numberOfSucceededThings"] == FLEET
    assert details["status"] == "COMPLETED"
    connect_ms.sort()
    print(f"\n{FLEET} devices ({iotjobs_mqtt_tls.kind}): provisioned in {provisioned:.1f} s; "
          f"connect + start-next + update in {elapsed:.1f} s ({FLEET / elapsed:.0f} devices/s); "
          f"connect->CONNACK median {connect_ms[len(connect_ms) // 2]:.0f} ms, "
          f"p90 {connect_ms[int(len(connect_ms) * 0.9)]:.0f} ms; load {os.getloadavg()[0]:.1f}")
