"""Just enough MQTT 3.1.1 and MQTT 5 to authorise a connection packet by packet.

The gateway reads whole control packets (fixed header + body) in both directions, decodes the
few it must judge (CONNECT, PUBLISH, SUBSCRIBE, SUBACK, PUBREL), and builds the refusals
(CONNACK, SUBACK, PUBACK/PUBREC with reason codes, DISCONNECT). Everything else is relayed
byte for byte. Specifications: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/mqtt-v3.1.1.html
and https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from typing import Optional

__all__ = [
    "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
    "SUBACK", "DISCONNECT", "MQTT5", "MalformedPacket", "Packet", "Connect", "Publish",
    "Subscribe", "read_packet", "parse_connect", "parse_publish", "parse_subscribe",
    "parse_suback", "encode_subscribe", "encode_suback", "encode_publish", "connack", "ack",
    "disconnect", "packet_id_of",
]

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, DISCONNECT = 8, 9, 14
MQTT5 = 5
MAX_PACKET = 268_435_455  # the largest Remaining Length MQTT can encode

NOT_AUTHORIZED_V5 = 0x87
NOT_AUTHORIZED_CONNACK_V3 = 0x05


class MalformedPacket(ValueError):
    """Bytes that are not a well-formed MQTT packet: the connection is closed."""


@dataclass
class Packet:
    """One control packet: its first byte and the bytes after the Remaining Length."""

    first: int
    body: bytes

    @property
    def kind(self) -> int:
        return self.first >> 4

    def encode(self) -> bytes:
        return bytes([self.first]) + _varint(len(self.body)) + self.body


@dataclass
class Connect:
    protocol_level: int
    client_id: str


@dataclass
class Publish:
    topic: str
    qos: int
    packet_id: Optional[int]
    topic_alias: Optional[int] = None
    payload: bytes = b""


@dataclass
class Subscribe:
    packet_id: int
    properties: bytes  # MQTT 5 only: the encoded property block, relayed unchanged
    filters: list[tuple[str, int]] = field(default_factory=list)  # (filter, options byte)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    for index in range(offset, min(offset + 4, len(data))):
        value |= (data[index] & 0x7F) << shift
        shift += 7
        if not data[index] & 0x80:
            return value, index + 1
    raise MalformedPacket("bad variable byte integer")


def _string(data: bytes, offset: int) -> tuple[str, int]:
    if offset + 2 > len(data):
        raise MalformedPacket("truncated string")
    (length,) = struct.unpack_from("!H", data, offset)
    end = offset + 2 + length
    if end > len(data):
        raise MalformedPacket("truncated string")
    try:
        return data[offset + 2 : end].decode("utf-8"), end
    except UnicodeDecodeError:
        raise MalformedPacket("string is not UTF-8") from None


def _encode_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("!H", len(raw)) + raw


async def read_packet(reader: asyncio.StreamReader) -> Optional[Packet]:
    """The next packet, or None at a clean end of stream."""
    try:
        first = (await reader.readexactly(1))[0]
    except asyncio.IncompleteReadError:
        return None
    length, shift = 0, 0
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    else:
        raise MalformedPacket("remaining length longer than 4 bytes")
    return Packet(first, await reader.readexactly(length) if length else b"")


def _skip_properties(data: bytes, offset: int) -> tuple[bytes, int]:
    length, start = _read_varint(data, offset)
    end = start + length
    if end > len(data):
        raise MalformedPacket("truncated properties")
    return data[start:end], end


# Property identifier -> encoded size (-1: UTF-8 string or binary data, -2: string pair,
# 0: variable byte integer). MQTT 5 section 2.2.2.2.
_PROPERTY_SIZES = {
    0x01: 1, 0x02: 4, 0x03: -1, 0x08: -1, 0x09: -1, 0x0B: 0, 0x11: 4, 0x12: -1, 0x13: 2,
    0x15: -1, 0x16: -1, 0x17: 1, 0x18: 4, 0x19: 1, 0x1A: -1, 0x1C: -1, 0x1F: -1, 0x21: 2,
    0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x26: -2, 0x27: 4, 0x28: 1, 0x29: 1, 0x2A: 1,
}


def _property(properties: bytes, wanted: int) -> Optional[bytes]:
    """The raw value of one property, or None."""
    offset = 0
    while offset < len(properties):
        identifier = properties[offset]
        offset += 1
        size = _PROPERTY_SIZES.get(identifier)
        if size is None:
            raise MalformedPacket(f"unknown property {identifier:#x}")
        start = offset
        if size > 0:
            offset += size
        elif size == 0:
            _, offset = _read_varint(properties, offset)
        else:
            for _ in range(-size):
                if offset + 2 > len(properties):
                    raise MalformedPacket("truncated property")
                offset += 2 + struct.unpack_from("!H", properties, offset)[0]
        if identifier == wanted:
            return properties[start:offset]
    return None


def parse_connect(packet: Packet) -> Connect:
    data = packet.body
    name, offset = _string(data, 0)
    if name not in ("MQTT", "MQIsdp") or offset + 4 > len(data):
        raise MalformedPacket("not an MQTT CONNECT")
    level = data[offset]
    offset += 4  # level, flags, keep alive
    if level == MQTT5:
        _, offset = _skip_properties(data, offset)
    client_id, _ = _string(data, offset)
    return Connect(level, client_id)


def parse_publish(packet: Packet, level: int) -> Publish:
    data = packet.body
    qos = (packet.first >> 1) & 0x03
    topic, offset = _string(data, 0)
    packet_id = None
    if qos:
        if offset + 2 > len(data):
            raise MalformedPacket("truncated PUBLISH")
        (packet_id,) = struct.unpack_from("!H", data, offset)
        offset += 2
    alias = None
    if level == MQTT5:
        properties, offset = _skip_properties(data, offset)
        raw = _property(properties, 0x23)
        alias = struct.unpack("!H", raw)[0] if raw else None
    return Publish(topic, qos, packet_id, alias, data[offset:])


def encode_publish(topic: str, payload: bytes, level: int) -> bytes:
    """A QoS 0 PUBLISH of ``payload`` on ``topic`` (MQTT 5: with no properties)."""
    properties = b"\x00" if level == MQTT5 else b""
    return Packet(PUBLISH << 4, _encode_string(topic) + properties + payload).encode()


def packet_id_of(packet: Packet) -> int:
    if len(packet.body) < 2:
        raise MalformedPacket("no packet identifier")
    return int(struct.unpack_from("!H", packet.body, 0)[0])


def parse_subscribe(packet: Packet, level: int) -> Subscribe:
    data = packet.body
    packet_id = packet_id_of(packet)
    offset, properties = 2, b""
    if level == MQTT5:
        start = offset
        _, offset = _skip_properties(data, offset)
        properties = data[start:offset]
    subscribe = Subscribe(packet_id, properties)
    while offset < len(data):
        topic_filter, offset = _string(data, offset)
        if offset >= len(data):
            raise MalformedPacket("SUBSCRIBE filter without options")
        subscribe.filters.append((topic_filter, data[offset]))
        offset += 1
    if not subscribe.filters:
        raise MalformedPacket("SUBSCRIBE without filters")
    return subscribe


def encode_subscribe(subscribe: Subscribe) -> Packet:
    body = struct.pack("!H", subscribe.packet_id) + subscribe.properties
    body += b"".join(_encode_string(f) + bytes([options]) for f, options in subscribe.filters)
    return Packet((SUBSCRIBE << 4) | 0x02, body)


def parse_suback(packet: Packet, level: int) -> tuple[int, bytes, list[int]]:
    """(packet id, MQTT 5 property block as encoded, reason codes)."""
    packet_id = packet_id_of(packet)
    offset, properties = 2, b""
    if level == MQTT5:
        _, offset = _skip_properties(packet.body, 2)
        properties = packet.body[2:offset]
    return packet_id, properties, list(packet.body[offset:])


def encode_suback(packet_id: int, level: int, codes: list[int], properties: bytes = b"") -> Packet:
    properties = (properties or b"\x00") if level == MQTT5 else b""
    return Packet(SUBACK << 4, struct.pack("!H", packet_id) + properties + bytes(codes))


def connack(level: int, refused: bool) -> bytes:
    """A CONNACK refusing the connection as not authorised (or accepting it)."""
    if level == MQTT5:
        code = NOT_AUTHORIZED_V5 if refused else 0
        return Packet(CONNACK << 4, bytes([0, code, 0])).encode()
    code = NOT_AUTHORIZED_CONNACK_V3 if refused else 0
    return Packet(CONNACK << 4, bytes([0, code])).encode()


def ack(kind: int, packet_id: int, level: int, reason: int = 0) -> bytes:
    """PUBACK/PUBREC/PUBREL/PUBCOMP for ``packet_id`` (MQTT 5: with a reason code)."""
    first = (kind << 4) | (0x02 if kind == PUBREL else 0)
    body = struct.pack("!H", packet_id)
    if level == MQTT5 and reason:
        body += bytes([reason, 0])
    return Packet(first, body).encode()


def disconnect(level: int, reason: int = NOT_AUTHORIZED_V5) -> bytes:
    if level == MQTT5:
        return Packet(DISCONNECT << 4, bytes([reason, 0])).encode()
    return Packet(DISCONNECT << 4, b"").encode()
