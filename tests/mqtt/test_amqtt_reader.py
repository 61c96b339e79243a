"""The embedded amqtt broker's reader acknowledges a client's PUBACK and PUBCOMP at once."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from moto_iotjobs.mqtt.amqtt_reader import FairReader

QUICKACK = getattr(socket, "TCP_QUICKACK", None)

PACKETS = {
    "PUBLISH": bytes([0x30, 5, 0, 1, ord("t"), ord("h"), ord("i")]),
    "PUBACK": bytes([0x40, 2, 0, 1]),
    "PUBREC": bytes([0x50, 2, 0, 2]),
    "PUBREL": bytes([0x62, 2, 0, 2]),
    "PUBCOMP": bytes([0x70, 2, 0, 2]),
    "PINGREQ": bytes([0xC0, 0]),
}


class RecordingSocket:
    def __init__(self) -> None:
        self.options: list[tuple[int, int, int]] = []

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.options.append((level, option, value))


async def _read_like_amqtt(reader: FairReader) -> int:
    """One packet as amqtt 0.12.1 reads it: type byte, length byte by byte, body."""
    await reader.readexactly(1)
    length, multiplier = 0, 1
    while True:
        digit = (await reader.readexactly(1))[0]
        length += (digit & 0x7F) * multiplier
        multiplier *= 128
        if not digit & 0x80:
            break
    if length:
        await reader.readexactly(length)
    return length


@pytest.mark.skipif(QUICKACK is None, reason="TCP_QUICKACK is Linux only")
def test_quick_ack_after_puback_and_pubcomp_only() -> None:
    async def scenario() -> list[tuple[str, int]]:
        stream = asyncio.StreamReader()
        sock = RecordingSocket()
        reader = FairReader(stream, sock)
        seen = []
        for name, data in PACKETS.items():
            stream.feed_data(data)
            await _read_like_amqtt(reader)
            seen.append((name, len(sock.options)))
        assert all(option == (socket.IPPROTO_TCP, QUICKACK, 1) for option in sock.options)
        return seen

    seen = asyncio.run(scenario())
    assert seen == [
        ("PUBLISH", 0), ("PUBACK", 1), ("PUBREC", 1), ("PUBREL", 1), ("PUBCOMP", 2), ("PINGREQ", 2),
    ]


def test_reader_without_socket_reads_acknowledgements() -> None:
    """No socket (as in unit use): the packets are read all the same."""

    async def scenario() -> list[int]:
        stream = asyncio.StreamReader()
        reader: Any = FairReader(stream)
        lengths = []
        for data in PACKETS.values():
            stream.feed_data(data)
            lengths.append(await _read_like_amqtt(reader))
        return lengths

    assert asyncio.run(scenario()) == [5, 2, 2, 2, 2, 0]
