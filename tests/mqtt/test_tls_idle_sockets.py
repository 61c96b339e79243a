"""Sockets that never complete TLS, or never send CONNECT (WebSocket: the upgrade) after it,
are closed after the gateway's connect timeout (10 s by default; shorter here), as the amqtt
listener closes idle sockets. A device that connects in time stays connected."""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import pytest

from moto_iotjobs.devices.gateway import CONNECT_TIMEOUT, TlsGateway

from .devices import CONNECT_ANY_POLICY, TlsDevice, provision

pytestmark = pytest.mark.mqtt

TIMEOUT = 0.5
BOUND = 5.0  # seconds within which the close must be seen (loaded machine)


@pytest.fixture
def gateway(iotjobs: Any, iotjobs_mqtt: Any) -> Any:
    with TlsGateway(iotjobs_mqtt.host, iotjobs_mqtt.port, iotjobs_mqtt.account_id,
                    iotjobs_mqtt.region_name, port=0, alpn_port=0,
                    connect_timeout=TIMEOUT) as started:
        yield started


def _closed_after(sock: Any) -> float:
    """Seconds until the server closes ``sock`` (which sends nothing)."""
    began = time.monotonic()
    sock.settimeout(BOUND)
    try:
        while sock.recv(1024):
            pass
    except (ConnectionError, ssl.SSLError):
        pass
    except socket.timeout:
        return float("inf")
    return time.monotonic() - began


def test_the_default_timeout_is_ten_seconds(iotjobs: Any, iotjobs_mqtt_tls: Any) -> None:
    assert CONNECT_TIMEOUT == 10.0
    assert iotjobs_mqtt_tls._gateway.connect_timeout == CONNECT_TIMEOUT


@pytest.mark.parametrize("listener", ["tls", "alpn"])
def test_a_socket_that_never_starts_tls_is_closed(gateway: Any, listener: str) -> None:
    port = gateway.port if listener == "tls" else gateway.alpn_port
    with socket.create_connection(("127.0.0.1", port)) as sock:
        assert TIMEOUT * 0.5 < _closed_after(sock) < BOUND


def test_a_tls_client_that_never_sends_connect_is_closed(iotjobs: Any, gateway: Any) -> None:
    credentials = provision(iotjobs.client("iot"), policy=CONNECT_ANY_POLICY)
    context = ssl.create_default_context(cafile=gateway.ca_path)
    context.load_cert_chain(credentials.cert_path, credentials.key_path)
    raw = socket.create_connection(("127.0.0.1", gateway.port))
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        assert TIMEOUT * 0.5 < _closed_after(sock) < BOUND


def test_a_websocket_client_that_never_upgrades_is_closed(gateway: Any) -> None:
    context = ssl.create_default_context(cafile=gateway.ca_path)
    context.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection(("127.0.0.1", gateway.alpn_port))
    with context.wrap_socket(raw, server_hostname="localhost") as sock:
        assert TIMEOUT * 0.5 < _closed_after(sock) < BOUND


def test_a_device_that_connected_in_time_stays_connected(iotjobs: Any, gateway: Any) -> None:
    credentials = provision(iotjobs.client("iot"), policy=CONNECT_ANY_POLICY)
    device = TlsDevice(gateway.port, gateway.ca_path, credentials, "prompt-device")
    try:
        assert device.accepted
        time.sleep(TIMEOUT * 3)
        assert not device.disconnected.is_set()
    finally:
        device.close()
