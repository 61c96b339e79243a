"""How the embedded amqtt broker reads a connection: fairly, and no packet over the limit.

amqtt reads a packet as one byte (type and flags), the remaining length one byte at a time,
then the body in one or more larger reads, all through ``readexactly``. ``FairReader`` follows
those reads, so it knows where each packet starts and how long it is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from moto_iotjobs.mqtt.broker_base import MAX_PACKET_BYTES


class PacketTooLarge(ConnectionError):
    """A client announced a packet over ``MAX_PACKET_BYTES``: its connection is closed."""


class FairReader:
    """A StreamReader that lets the event loop turn before each MQTT packet it reads.

    ``StreamReader.readexactly`` returns without yielding while data is buffered, so amqtt's
    reader loop of a flooding client parsed its whole buffer (thousands of packets, a task
    each) before any other connection was read, and every other client's message waited
    behind them in the loop's ready queue (issue #14). Yielding once per packet serves the
    connections in turn; the flood's backlog stays in its own socket.

    A packet whose remaining length announces more than ``MAX_PACKET_BYTES`` raises
    ``PacketTooLarge`` before its body is read; amqtt then closes the connection (mosquitto
    does the same with ``max_packet_size``).
    """

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self._phase = "type"  # type -> length -> body -> type ...
        self._length = 0
        self._multiplier = 1
        self._body_left = 0
        self._packets = 0
        #: Packets read per turn of the loop: 1, or more for the Jobs service's own
        #: connection (``_initialize_client_session``).
        self.packets_per_turn = 1

    async def readexactly(self, n: int) -> bytes:
        phase = self._phase
        if phase == "type":
            self._packets += 1
            if self._packets >= self.packets_per_turn:
                self._packets = 0
                await asyncio.sleep(0)
            data = await self._reader.readexactly(n)
            self._phase, self._length, self._multiplier = "length", 0, 1
            return data
        data = await self._reader.readexactly(n)
        if phase == "length":
            digit = data[0]
            self._length += (digit & 0x7F) * self._multiplier
            self._multiplier *= 128
            if not digit & 0x80:
                if self._length > MAX_PACKET_BYTES:
                    raise PacketTooLarge(
                        f"MQTT packet of {self._length} bytes; at most {MAX_PACKET_BYTES}"
                    )
                self._body_left = self._length
                self._phase = "body" if self._length else "type"
            return data
        self._body_left -= n
        if self._body_left <= 0:
            self._phase = "type"
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)
