"""MQTT over WebSocket, server side (RFC 6455), on asyncio streams: no extra dependency.

AWS IoT serves ``wss://<endpoint>/mqtt`` with subprotocol ``mqtt``; MQTT packets travel in
binary messages, which may split or join packets freely (MQTT 5.0 section 6). The upgrade
request is read here and handed to the caller to authenticate; afterwards ``open_pipe``
turns the connection into a (reader, writer) pair carrying the MQTT byte stream, so the
gateway's relay serves WebSocket clients like TLS ones.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Optional

__all__ = ["UpgradeRequest", "FrameWriter", "read_upgrade", "accept", "refuse", "open_pipe"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_REQUEST = 16 * 1024
#: AWS IoT's maximum MQTT message is 128 KiB; a frame may carry a little more than one packet.
MAX_FRAME = 256 * 1024
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    """The peer broke RFC 6455 (the connection is closed)."""


@dataclass
class UpgradeRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names

    def problem(self) -> Optional[str]:
        """Why this is not a WebSocket upgrade to ``/mqtt`` with subprotocol ``mqtt``."""
        if self.method != "GET" or self.path != "/mqtt":
            return "only GET /mqtt is served"
        if self.headers.get("upgrade", "").lower() != "websocket":
            return "not a WebSocket upgrade"
        if "upgrade" not in self.headers.get("connection", "").lower():
            return "Connection: Upgrade is missing"
        if self.headers.get("sec-websocket-version") != "13" or not self.headers.get("sec-websocket-key"):
            return "Sec-WebSocket-Version 13 and Sec-WebSocket-Key are required"
        protocols = [p.strip() for p in self.headers.get("sec-websocket-protocol", "").split(",")]
        if "mqtt" not in protocols:
            return "Sec-WebSocket-Protocol must offer mqtt"
        return None


async def read_upgrade(reader: asyncio.StreamReader) -> Optional[UpgradeRequest]:
    """The HTTP request line and headers, or None for something that is not HTTP."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.LimitOverrunError, asyncio.IncompleteReadError):
        return None
    if len(head) > MAX_REQUEST:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    target = parts[1]
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return UpgradeRequest(parts[0], path, query, headers)


def accept(writer: asyncio.StreamWriter, request: UpgradeRequest) -> None:
    digest = hashlib.sha1(request.headers["sec-websocket-key"].encode() + _GUID).digest()
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + base64.b64encode(digest) + b"\r\n"
        b"Sec-WebSocket-Protocol: mqtt\r\n\r\n"
    )


def refuse(writer: asyncio.StreamWriter, status: int, reason: str, message: str) -> None:
    body = message.encode()
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
    )


def _frame(opcode: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


class FrameWriter:
    """What the relay writes to a device, sent as binary WebSocket messages."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.transport = writer.transport

    def write(self, data: bytes) -> None:
        self._writer.write(_frame(OP_BINARY, data))

    def write_control(self, opcode: int, payload: bytes = b"") -> None:
        self._writer.write(_frame(opcode, payload[:125]))

    async def drain(self) -> None:
        await self._writer.drain()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._writer.get_extra_info(name, default)

    def close(self) -> None:
        if not self.transport.is_closing():
            self.write_control(OP_CLOSE, struct.pack("!H", 1000))
        self._writer.close()

    async def wait_closed(self) -> None:
        await self._writer.wait_closed()


async def _read_frame(reader: asyncio.StreamReader) -> tuple[bool, int, bytes]:
    first, second = await reader.readexactly(2)
    if not second & 0x80:
        raise WebSocketError("client frames must be masked")
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    if length > MAX_FRAME:
        raise WebSocketError("frame too large")
    mask = await reader.readexactly(4)
    data = await reader.readexactly(length)
    key = (mask * (length // 4 + 1))[:length]
    unmasked = (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(length, "big")
    return bool(first & 0x80), first & 0x0F, unmasked


async def _pump(raw: asyncio.StreamReader, stream: asyncio.StreamReader, writer: FrameWriter) -> None:
    """WebSocket messages in, MQTT bytes out (pings answered, close echoed)."""
    try:
        while True:
            _fin, opcode, payload = await _read_frame(raw)
            if opcode in (OP_BINARY, OP_CONTINUATION):
                stream.feed_data(payload)
            elif opcode == OP_PING:
                writer.write_control(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                writer.write_control(OP_CLOSE, payload[:2])
                break
            elif opcode != OP_PONG:  # text frames carry no MQTT
                writer.write_control(OP_CLOSE, struct.pack("!H", 1003))
                break
    except (asyncio.IncompleteReadError, ConnectionError, WebSocketError, OSError):
        pass
    finally:
        stream.feed_eof()


def open_pipe(
    raw_reader: asyncio.StreamReader, raw_writer: asyncio.StreamWriter
) -> tuple[asyncio.StreamReader, FrameWriter, asyncio.Task[None]]:
    """The MQTT byte stream inside an accepted WebSocket, and the task feeding it."""
    stream = asyncio.StreamReader()
    writer = FrameWriter(raw_writer)
    task = asyncio.ensure_future(_pump(raw_reader, stream, writer))
    return stream, writer, task
