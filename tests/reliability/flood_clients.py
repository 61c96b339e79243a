"""One device floods Jobs requests while a quiet device measures its round trips (issue #14).

Both devices are separate processes (this file run as a script), so their own work does not
share the GIL with the broker and bridge being measured. They speak MQTT 3.1.1 over raw
loopback sockets at QoS 0 (standard library only):

- the flooder subscribes to its replies, then sends ``count`` ``$aws/things/{t}/jobs/get``
  requests as fast as the socket takes them, and reads its replies until all came back;
- the quiet device sends one request, waits for its ``/accepted`` reply, waits
  ``QUIET_INTERVAL`` and sends the next, from before the flood starts until it is answered.

``measure(host, port, ...)`` runs both and returns the quiet device's round trips taken
while the flood was being answered, with the flood's figures. Everything is bounded: the
flood by ``count``, both processes by ``timeout``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Seconds the quiet device waits between a reply and its next request.
QUIET_INTERVAL = 0.005
#: Seconds the quiet device measures before the flood starts (its unloaded round trips).
QUIET_LEAD = 0.3


def _string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def _packet(first_byte: int, body: bytes) -> bytes:
    length, encoded = len(body), bytearray()
    while True:
        digit, length = length % 128, length // 128
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([first_byte]) + bytes(encoded) + body


def _publish(topic: str, payload: bytes) -> bytes:
    return _packet(0x30, _string(topic) + payload)


class Connection:
    """A connected, subscribed MQTT 3.1.1 client socket with a packet reader."""

    def __init__(self, host: str, port: int, client_id: str, filters: list[str]) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 600) + _string(client_id)
        self.sock.sendall(_packet(0x10, body))
        first, ack = self.packet()
        if first >> 4 != 2 or ack[1] != 0:
            raise RuntimeError(f"CONNACK refused: {ack!r}")
        payload = b"".join(_string(f) + b"\x00" for f in filters)
        self.sock.sendall(_packet(0x82, struct.pack("!H", 1) + payload))
        if self.packet()[0] >> 4 != 9:
            raise RuntimeError("no SUBACK")

    def packet(self) -> tuple[int, bytes]:
        buffer = self.buffer
        while True:
            if len(buffer) >= 2:
                length, multiplier, index = 0, 1, 1
                while index < len(buffer):
                    digit = buffer[index]
                    length += (digit & 0x7F) * multiplier
                    multiplier *= 128
                    index += 1
                    if not digit & 0x80:
                        if len(buffer) >= index + length:
                            first, body = buffer[0], bytes(buffer[index : index + length])
                            del buffer[: index + length]
                            return first, body
                        break
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("broker closed the connection")
            buffer += data


def _flood(host: str, port: int, thing: str, count: int) -> None:
    topic = f"$aws/things/{thing}/jobs/get"
    connection = Connection(host, port, thing, [topic + "/accepted", topic + "/rejected"])
    answered = [0]

    def read() -> None:
        try:
            while answered[0] < count:
                if connection.packet()[0] >> 4 == 3:
                    answered[0] += 1
        except (EOFError, OSError):
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    request = _publish(topic, b'{"clientToken":"flood"}')
    started = time.perf_counter()
    for sent in range(0, count, 500):
        connection.sock.sendall(request * min(500, count - sent))
    sent_at = time.perf_counter()
    reader.join(float(sys.argv[6]))
    ended = time.perf_counter()
    print(json.dumps({"started": started, "sent_s": sent_at - started, "ended": ended,
                      "answered": answered[0]}), flush=True)


def _quiet(host: str, port: int, thing: str, duration: float) -> None:
    topic = f"$aws/things/{thing}/jobs/get"
    connection = Connection(host, port, thing, [topic + "/accepted", topic + "/rejected"])
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    samples: list[tuple[float, float]] = []
    deadline = time.perf_counter() + duration
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    number = 0
    while not stop.is_set() and time.perf_counter() < deadline:
        number += 1
        sent = time.perf_counter()
        connection.sock.sendall(_publish(topic, json.dumps({"clientToken": f"q{number}"}).encode()))
        while True:
            first, body = connection.packet()
            if first >> 4 == 3 and f'"q{number}"'.encode() in body:
                break
        samples.append((sent, time.perf_counter() - sent))
        time.sleep(QUIET_INTERVAL)
    print(json.dumps({"samples": samples}), flush=True)


@dataclass
class FloodFigures:
    """What one flood run measured (milliseconds for the quiet device's round trips)."""

    flood_count: int
    answered: int
    flood_seconds: float
    quiet_ms: list[float] = field(default_factory=list)
    before_ms: list[float] = field(default_factory=list)

    @staticmethod
    def percentile(values: list[float], fraction: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]

    def summary(self, values: list[float] | None = None) -> dict[str, float]:
        values = self.quiet_ms if values is None else values
        return {"n": len(values), "p50": self.percentile(values, 0.5),
                "p99": self.percentile(values, 0.99), "max": max(values)}


def _spawn(*args: Any) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), *map(str, args)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError(f"flood client {args[0]} did not connect")
    return process


def measure(host: str, port: int, count: int, *, flood_thing: str = "flooder",
            quiet_thing: str = "quiet", timeout: float = 60.0,
            lead: float = QUIET_LEAD) -> FloodFigures:
    """Flood ``count`` requests from one device; the quiet device's round trips meanwhile
    (``quiet_ms``) and during the ``lead`` seconds before the flood (``before_ms``)."""
    flooder = _spawn("flood", host, port, flood_thing, count, timeout)
    try:
        quiet = _spawn("quiet", host, port, quiet_thing, timeout)
    except BaseException:
        flooder.kill()
        raise
    try:
        assert flooder.stdin and flooder.stdout and quiet.stdin and quiet.stdout
        quiet.stdin.write("go\n")
        quiet.stdin.flush()
        time.sleep(lead)
        flooder.stdin.write("go\n")
        flooder.stdin.flush()
        flood = json.loads(flooder.stdout.readline())
        quiet.stdin.write("stop\n")
        quiet.stdin.flush()
        samples = json.loads(quiet.stdout.readline())["samples"]
        flooder.wait(10)
        quiet.wait(10)
    finally:
        for process in (flooder, quiet):
            if process.poll() is None:
                process.kill()
                process.wait()
    during = [rtt * 1000 for sent, rtt in samples if flood["started"] <= sent <= flood["ended"]]
    before = [rtt * 1000 for sent, rtt in samples if sent < flood["started"]]
    return FloodFigures(count, flood["answered"], flood["ended"] - flood["started"], during, before)


if __name__ == "__main__":
    mode, host_arg, port_arg, thing_arg = sys.argv[1:5]
    if mode == "flood":
        _flood(host_arg, int(port_arg), thing_arg, int(sys.argv[5]))
    else:
        _quiet(host_arg, int(port_arg), thing_arg, float(sys.argv[5]))
