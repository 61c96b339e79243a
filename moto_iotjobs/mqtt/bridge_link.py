"""The Jobs bridge's MQTT 3.1.1 connection: just what the bridge needs, read in bulk.

The bridge subscribes at QoS 0, so every message it receives is QoS 0, and it publishes at
QoS 0; it needs CONNECT, SUBSCRIBE, PUBLISH, PINGREQ and DISCONNECT, nothing else. paho
read each packet with three or more ``recv()`` calls and a callback chain: under one device's
flood the broker filled the bridge's socket faster than that, and every other device's
request waited behind the flood in the socket (issue #14). Here the socket is read 64 KB at
a time and split into packets in one pass (``PacketBuffer``).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Iterable, Iterator

CONNACK = 2
PUBLISH = 3
SUBACK = 9
PINGRESP = 13

PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"

#: Bytes asked of the socket per read.
READ_SIZE = 65536

#: CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3).
CONNACK_CODES = {
    1: "unacceptable protocol version",
    2: "identifier rejected",
    3: "server unavailable",
    4: "bad user name or password",
    5: "not authorized",
}


class LinkError(OSError):
    """The broker refused the connection or the subscription, or hung up."""


def encode_string(value: str | bytes) -> bytes:
    data = value.encode("utf-8") if isinstance(value, str) else value
    return struct.pack("!H", len(data)) + data


def packet(first_byte: int, body: bytes) -> bytes:
    """A control packet: fixed header (type and flags, remaining length) and body."""
    length, encoded = len(body), bytearray()
    while True:
        digit, length = length % 128, length // 128
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes([first_byte]) + bytes(encoded) + body


def connect_packet(
    client_id: str, keepalive: int, username: str | None = None, password: str | None = None
) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session."""
    flags = 0x02
    payload = encode_string(client_id)
    if username is not None:
        flags |= 0x80
        payload += encode_string(username)
        if password is not None:
            flags |= 0x40
            payload += encode_string(password)
    header = encode_string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    return packet(0x10, header + payload)


def subscribe_packet(packet_id: int, topic_filters: Iterable[str]) -> bytes:
    """SUBSCRIBE to every filter at QoS 0."""
    body = struct.pack("!H", packet_id) + b"".join(encode_string(f) + b"\x00" for f in topic_filters)
    return packet(0x82, body)


def publish_packet(topic: str, payload: bytes) -> bytes:
    """PUBLISH at QoS 0, not retained."""
    return packet(0x30, encode_string(topic) + payload)


def parse_publish(first_byte: int, body: bytes) -> tuple[str, bytes]:
    """Topic and payload of a PUBLISH (its packet id skipped when QoS > 0); ValueError if
    the packet is too short to hold its topic."""
    if len(body) < 2:
        raise ValueError("malformed PUBLISH")
    (topic_length,) = struct.unpack_from("!H", body)
    if len(body) < 2 + topic_length:
        raise ValueError("malformed PUBLISH")
    topic = body[2 : 2 + topic_length].decode("utf-8", "replace")
    offset = 2 + topic_length + (2 if first_byte & 0x06 else 0)
    return topic, body[offset:]


class PacketBuffer:
    """Bytes read from the socket, handed out as complete ``(first_byte, body)`` packets."""

    def __init__(self) -> None:
        self._data = bytearray()

    def __len__(self) -> int:
        return len(self._data)

    def feed(self, data: bytes) -> None:
        self._data += data

    def packets(self) -> Iterator[tuple[int, bytes]]:
        data = self._data
        size, offset = len(data), 0
        try:
            while offset + 2 <= size:
                length, multiplier, index = 0, 1, offset + 1
                while True:
                    if index >= size:
                        return
                    digit = data[index]
                    length += (digit & 0x7F) * multiplier
                    multiplier *= 128
                    index += 1
                    if not digit & 0x80:
                        break
                    if multiplier > 128**3:
                        raise LinkError("malformed remaining length from the broker")
                end = index + length
                if end > size:
                    return
                first = data[offset]
                offset = end
                yield first, bytes(data[index:end])
        finally:
            del data[:offset]


def open_link(
    host: str,
    port: int,
    client_id: str,
    topic_filters: Iterable[str],
    *,
    keepalive: int,
    username: str | None,
    password: str | None,
    timeout: float,
) -> tuple[socket.socket, PacketBuffer]:
    """Connect, CONNECT and SUBSCRIBE; returns once both are acknowledged.

    Raises ``OSError`` (``LinkError`` with the broker's reason when it refused). The socket
    comes back in blocking mode with ``timeout`` for sends; what the broker sent after the
    SUBACK is left in the returned buffer.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = PacketBuffer()
        sock.sendall(connect_packet(client_id, keepalive, username, password))
        first, body = _expect(sock, buffer, CONNACK, deadline)
        if len(body) < 2 or body[1] != 0:
            code = body[1] if len(body) > 1 else -1
            raise LinkError(f"CONNACK refused: {CONNACK_CODES.get(code, code)}")
        filters = list(topic_filters)
        sock.sendall(subscribe_packet(1, filters))
        first, body = _expect(sock, buffer, SUBACK, deadline)
        refused = [f for f, code in zip(filters, body[2:]) if code & 0x80]
        if refused:
            raise LinkError(f"SUBACK refused: {', '.join(refused)}")
    except BaseException:
        sock.close()
        raise
    return sock, buffer


def _expect(
    sock: socket.socket, buffer: PacketBuffer, packet_type: int, deadline: float
) -> tuple[int, bytes]:
    while True:
        for first, body in buffer.packets():
            if first >> 4 == packet_type:
                return first, body
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LinkError(f"no {'CONNACK' if packet_type == CONNACK else 'SUBACK'} in time")
        sock.settimeout(remaining)
        data = sock.recv(READ_SIZE)
        if not data:
            raise LinkError("the broker closed the connection during the handshake")
        buffer.feed(data)
