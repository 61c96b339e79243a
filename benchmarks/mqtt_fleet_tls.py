"""A fleet of devices connecting over mutual TLS at once: connect rate and connect time.

    python benchmarks/mqtt_fleet_tls.py                       # 1,000 devices, both brokers
    python benchmarks/mqtt_fleet_tls.py --count 200 --kinds mosquitto --concurrency 20

Each device has its own key (EC P-256) and a certificate from CreateCertificateFromCsr (issued
by the mock CA), with a policy allowing ``iot:Connect``; all devices connect to the TLS
listener of one ``MqttJobsService`` on 127.0.0.1 (asyncio clients, at most ``--concurrency``
handshakes in flight), send an MQTT 3.1.1 CONNECT and wait for CONNACK, and stay connected
until the whole fleet is in. Reports connects per second and the median / p90 / max of
TCP connect -> CONNACK per device. Bounded: ``--timeout`` seconds per broker, then it stops.
Fake credentials; nothing leaves the machine. The checkout holding this script is imported first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_name] = _value

CONNECT_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iot:Connect", "Resource": "arn:aws:iot:us-east-1:123456789012:client/*"}
]})


def provision(iot, count: int, directory: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(client id, cert path, key path) per device: own key, CSR, certificate, policy."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    iot.create_policy(policyName="fleet-connect", policyDocument=CONNECT_POLICY)
    devices = []
    for index in range(count):
        client_id = f"fleet-{index:05d}"
        key = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, client_id)])
        ).sign(key, hashes.SHA256())
        created = iot.create_certificate_from_csr(
            certificateSigningRequest=csr.public_bytes(serialization.Encoding.PEM).decode(),
            setAsActive=True,
        )
        iot.attach_policy(policyName="fleet-connect", target=created["certificateArn"])
        cert_path = os.path.join(directory, f"{client_id}.pem")
        key_path = os.path.join(directory, f"{client_id}.key")
        with open(cert_path, "w") as handle:
            handle.write(created["certificatePem"])
        with open(key_path, "wb") as handle:
            handle.write(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))
        devices.append((client_id, cert_path, key_path))
    return devices


def _connect_packet(client_id: str) -> bytes:
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(client_id).to_bytes(2, "big") + client_id.encode()
    return bytes([0x10, len(body)]) + body


async def run_fleet(port: int, ca_path: str, devices: list[tuple[str, str, str]],
                    concurrency: int, timeout: float) -> dict:
    gate = asyncio.Semaphore(concurrency)
    writers: list[asyncio.StreamWriter] = []
    times: list[float] = []
    failures: list[str] = []

    async def one(client_id: str, cert_path: str, key_path: str) -> None:
        context = ssl.create_default_context(cafile=ca_path)
        context.load_cert_chain(cert_path, key_path)
        async with gate:
            started = time.perf_counter()
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, ssl=context, server_hostname="localhost")
                writer.write(_connect_packet(client_id))
                connack = await asyncio.wait_for(reader.readexactly(4), 10)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ssl.SSLError) as error:
                failures.append(f"{client_id}: {error!r}")
                return
            if connack[0] != 0x20 or connack[3] != 0:
                failures.append(f"{client_id}: CONNACK {connack.hex()}")
            else:
                times.append((time.perf_counter() - started) * 1000)
            writers.append(writer)

    began = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(one(*device) for device in devices)), timeout)
    except asyncio.TimeoutError:
        failures.append(f"timed out after {timeout:.0f} s")
    elapsed = time.perf_counter() - began
    for writer in writers:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
    ordered = sorted(times)
    return {
        "devices": len(devices), "connected": len(times), "failures": failures[:5],
        "failed": len(failures), "seconds": round(elapsed, 2),
        "connects_per_second": round(len(times) / elapsed, 1) if elapsed else None,
        "median_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p90_ms": round(ordered[int(len(ordered) * 0.9) - 1], 1) if ordered else None,
        "max_ms": round(ordered[-1], 1) if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--kinds", default="amqtt,mosquitto")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()

    import boto3

    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.mqtt import find_mosquitto
    from moto_iotjobs.mqtt.service import MqttJobsService

    with mock_iotjobs(), tempfile.TemporaryDirectory(prefix="fleet-tls-") as directory:
        iot = boto3.client("iot", region_name="us-east-1")
        began = time.perf_counter()
        devices = provision(iot, args.count, directory)
        print(f"provisioned {len(devices)} devices (CSR certificates) in "
              f"{time.perf_counter() - began:.1f} s", flush=True)
        for kind in args.kinds.split(","):
            if kind == "mosquitto" and find_mosquitto() is None:
                print("mosquitto: not installed, skipped")
                continue
            with MqttJobsService(kind=kind, tls_port=0) as service:  # type: ignore[arg-type]
                assert service.tls_port is not None and service.ca_path is not None
                result = asyncio.run(run_fleet(
                    service.tls_port, service.ca_path, devices, args.concurrency, args.timeout))
            print(f"{kind}: {json.dumps(result)}", flush=True)


if __name__ == "__main__":
    main()
