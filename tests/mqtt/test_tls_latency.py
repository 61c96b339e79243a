"""Connect-time figures: mutual TLS + authorisation through the gateway vs plain TCP to the
broker. The gateway's share (TLS handshake, certificate lookup, policy check, relay) is the
difference of the medians."""

from __future__ import annotations

import socket
import ssl
import statistics
import time

import pytest

from moto_iotjobs.mqtt import find_mosquitto

from .devices import allow, arn, policy_document, provision

pytestmark = pytest.mark.mqtt

CONNECT = bytes([0x10, 16, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 4]) + b"dev1"


def _connack(sock: socket.socket) -> bytes:
    sock.sendall(CONNECT)
    data = b""
    while len(data) < 4:
        chunk = sock.recv(4 - len(data))
        assert chunk, "closed before CONNACK"
        data += chunk
    return data


def _plain_connect(port: int) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        assert _connack(sock) == b"\x20\x02\x00\x00"
        return time.perf_counter() - started


def _tls_connect(port: int, context: ssl.SSLContext) -> float:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with context.wrap_socket(raw, server_hostname="localhost") as sock:
            assert _connack(sock) == b"\x20\x02\x00\x00"
            return time.perf_counter() - started


@pytest.mark.parametrize("iotjobs_mqtt_tls", ["amqtt", "mosquitto"], indirect=True)
def test_tls_connect_time_per_broker(iotjobs, iotjobs_mqtt_tls):
    if iotjobs_mqtt_tls.kind == "mosquitto" and find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=policy_document(allow("iot:Connect", arn("client", "dev1"))))
    context = ssl.create_default_context(cafile=iotjobs_mqtt_tls.ca_path)
    context.load_cert_chain(credentials.cert_path, credentials.key_path)
    for _ in range(5):  # warm-up: imports, first handshake, caches
        _tls_connect(iotjobs_mqtt_tls.tls_port, context)
        _plain_connect(iotjobs_mqtt_tls.port)
    tls = [_tls_connect(iotjobs_mqtt_tls.tls_port, context) for _ in range(30)]
    plain = [_plain_connect(iotjobs_mqtt_tls.port) for _ in range(30)]
    tls_ms, plain_ms = statistics.median(tls) * 1000, statistics.median(plain) * 1000
    print(
        f"\n{iotjobs_mqtt_tls.kind}: mTLS CONNECT->CONNACK median {tls_ms:.2f} ms "
        f"(client handshake included), plain TCP {plain_ms:.2f} ms, gateway share "
        f"{tls_ms - plain_ms:.2f} ms"
    )
    # Loose bound for a shared 2-core machine; the figure itself is what matters.
    assert tls_ms - plain_ms < 30
