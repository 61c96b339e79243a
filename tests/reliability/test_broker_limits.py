"""The embedded amqtt broker under connection pressure: 1,000 devices connecting at once all
get in; sockets that never send CONNECT are closed; the loop's errors are not logged in a
loop. Raw loopback sockets, bounded in time, broker stopped afterwards."""

from __future__ import annotations

import asyncio
import logging
import selectors
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from moto_iotjobs.mqtt import amqtt_broker, start_broker
from moto_iotjobs.mqtt.broker_base import RunningBroker

from .summary import record

# The [mqtt] extra's amqtt (Python 3.10+): a run without it deselects these with -m "not mqtt"
pytestmark = pytest.mark.mqtt

DEVICES = 1000


def connect_packet(client_id: str) -> bytes:
    """An MQTT 3.1.1 CONNECT, clean session, keep-alive 60 s."""
    ident = client_id.encode()
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = len(ident).to_bytes(2, "big") + ident
    remaining = len(variable) + len(payload)
    assert remaining < 128
    return b"\x10" + bytes([remaining]) + variable + payload


@pytest.fixture
def broker() -> Iterator[RunningBroker]:
    running = start_broker("127.0.0.1", 0, "amqtt")
    try:
        yield running
    finally:
        running.stop()


def test_a_thousand_devices_connect_at_once(broker: RunningBroker) -> None:
    sockets: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    try:
        for _ in range(DEVICES):  # every connect() before any CONNECT is read
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex((broker.host, broker.port))
            sockets.append(sock)
        for index, sock in enumerate(sockets):
            selector.register(sock, selectors.EVENT_WRITE, index)
        sent: set[int] = set()
        acked: set[int] = set()
        started = time.monotonic()
        deadline = started + 60
        while len(acked) < DEVICES and time.monotonic() < deadline:
            for key, _events in selector.select(timeout=1):
                sock, index = key.fileobj, key.data
                assert isinstance(sock, socket.socket)
                if index not in sent:
                    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        selector.unregister(sock)  # refused: counted as lost below
                        continue
                    sock.sendall(connect_packet(f"dev{index}"))
                    sent.add(index)
                    selector.modify(sock, selectors.EVENT_READ, index)
                    continue
                data = sock.recv(4)
                if data[:2] == b"\x20\x02" and data[3:4] == b"\x00":
                    acked.add(index)
                selector.unregister(sock)
        lost = DEVICES - len(acked)
        record("mqtt broker", "seconds for 1000 devices to connect", int(time.monotonic() - started))
        record("mqtt broker", f"devices of {DEVICES} connecting at once that lost their connection", lost)
        assert lost == 0
    finally:
        selector.close()
        for sock in sockets:
            sock.close()


def test_sockets_that_never_send_connect_are_closed(
    monkeypatch: pytest.MonkeyPatch, broker: RunningBroker
) -> None:
    monkeypatch.setattr(amqtt_broker, "CONNECT_TIMEOUT", 1.0)  # read per connection
    idle = [socket.create_connection((broker.host, broker.port), timeout=10) for _ in range(50)]
    try:
        started = time.monotonic()
        for sock in idle:
            assert sock.recv(1) == b""  # closed by the broker, within the recv timeout
        elapsed = time.monotonic() - started
        assert elapsed < 8
        record("mqtt broker", "idle pre-CONNECT sockets closed (of 50)", len(idle))
        # A device that does send CONNECT still gets in, and stays past the timeout.
        with socket.create_connection((broker.host, broker.port), timeout=10) as device:
            device.sendall(connect_packet("late"))
            assert device.recv(4)[:2] == b"\x20\x02"
            time.sleep(1.5)
            device.sendall(b"\xc0\x00")  # PINGREQ
            assert device.recv(2) == b"\xd0\x00"  # PINGRESP: still connected
    finally:
        for sock in idle:
            sock.close()


def test_loop_errors_are_reported_at_most_once_per_interval(caplog: Any) -> None:
    handler = amqtt_broker._RateLimitedErrors(interval=60)
    loop = asyncio.new_event_loop()
    try:
        with caplog.at_level(logging.WARNING, logger=amqtt_broker.__name__):
            for _ in range(10_000):
                handler(loop, {"message": "socket.accept() out of system resource", "exception": OSError(24, "EMFILE")})
    finally:
        loop.close()
    assert len(caplog.records) == 1
    assert handler.suppressed == 9_999
    record("mqtt broker", "loop errors logged of 10000", len(caplog.records))
