"""How the embedded amqtt broker reads a connection: fairly, no packet over the limit, ACKs at once.

amqtt reads a packet as one byte (type and flags), the remaining length one byte at a time,
then the body in one or more larger reads, all through ``readexactly``. ``FairReader`` follows
those reads, so it knows where each packet starts and how long it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from moto_iotjobs.mqtt.broker_base import MAX_PACKET_BYTES

#: Packet types the broker answers with no packet of its own: PUBACK (4), PUBCOMP (7).
UNANSWERED_ACKS = frozenset({4, 7})

#: Linux only; elsewhere ``quick_ack`` does nothing.
_TCP_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


def quick_ack(sock: Any) -> None:
    """Acknowledge what the socket has received now rather than after the delayed-ACK timer.

    Linux clears TCP_QUICKACK by itself, so it is set again per acknowledgement read; a failure (the
    socket closed meanwhile, another platform) changes nothing but the timing.
    """
    if sock is None or _TCP_QUICKACK is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_QUICKACK, 1)


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

    Once a PUBACK or PUBCOMP is read, the client's TCP segment is acknowledged at once
    (``quick_ack``): the broker answers those packets with nothing, so the kernel delayed
    its ACK (~40 ms), and a client without TCP_NODELAY (paho) held its next packet back
    until then (Nagle): a QoS 1 subscriber publishing after each message waited ~44 ms.
    """

    def __init__(self, reader: asyncio.StreamReader, sock: Any = None) -> None:
        self._reader = reader
        self._sock = sock
        self._kind = 0
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
            self._kind = data[0] >> 4
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
            if self._kind in UNANSWERED_ACKS:
                quick_ack(self._sock)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)
