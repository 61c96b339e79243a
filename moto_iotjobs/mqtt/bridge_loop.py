"""The Jobs bridge's I/O thread: read everything, answer the things in turn, send in a window.

See ``JobsTopicBridge`` (``bridge.py``) for the behaviour; this module is its machinery.
"""

from __future__ import annotations

import contextlib
import logging
import select
import selectors
import socket
import time
from collections import deque
from typing import TYPE_CHECKING

from moto_iotjobs.mqtt import bridge_link
from moto_iotjobs.mqtt.fair_queue import FairQueue, requester_of

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.bridge import JobsTopicBridge

log = logging.getLogger("moto_iotjobs.mqtt.bridge")

#: Seconds ``open()`` waits for the broker's CONNACK and SUBACK.
START_TIMEOUT = 10.0
#: Seconds a send to the broker may block before the connection counts as lost.
SEND_TIMEOUT = 10.0
#: Publishes the bridge sends before the broker must have read them: after this many it sends
#: a PINGREQ, and it sends no more until the PINGRESP (which the broker writes after reading
#: everything before it) is back, while it keeps reading requests into their queues. So a
#: device's reply never waits behind more than about twice this many other replies in the
#: socket (#14).
PUBLISH_WINDOW = 8
#: Seconds between reconnect attempts after the broker went away (doubling up to the max).
RECONNECT_DELAY = (1.0, 5.0)


def as_bytes(payload: bytes | bytearray | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


class Link:
    """One bridge's connection and its I/O thread's state (the thread runs ``run``)."""

    def __init__(self, bridge: JobsTopicBridge) -> None:
        self.bridge = bridge
        self.requests: FairQueue[tuple[str, bytes]] = FairQueue(bridge.max_waiting_per_thing)
        #: Notifications posted by other threads, sent in order by the I/O thread.
        self.outbox: deque[bytes] = deque()
        self.sock: socket.socket | None = None
        self.buffer = bridge_link.PacketBuffer()
        self.closing = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sent = 0  # publishes since the last PINGREQ
        self._ping_sent_at: float | None = None  # a PINGREQ is unanswered since then
        self._last_send = time.monotonic()

    # -- other threads ---------------------------------------------------------------------

    def post(self, packet: bytes) -> bool:
        if self.sock is None or self.closing:
            return False
        self.outbox.append(packet)
        self._wake()
        return True

    def close(self) -> None:
        self.closing = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    # -- connection ------------------------------------------------------------------------

    def open(self, timeout: float) -> None:
        bridge = self.bridge
        sock, buffer = bridge_link.open_link(
            bridge.host,
            bridge.port,
            bridge.client_id,
            bridge.topic_filters,
            keepalive=bridge.keepalive,
            username=bridge.username,
            password=bridge.password,
            timeout=timeout,
        )
        sock.setblocking(False)  # reads never wait; sends wait up to SEND_TIMEOUT (_send_all)
        self.buffer = buffer
        self._sent, self._ping_sent_at, self._last_send = 0, None, time.monotonic()
        self.sock = sock

    def _drop_connection(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def run(self) -> None:
        delay = RECONNECT_DELAY[0]
        try:
            while not self.closing:
                if self.sock is None:
                    if self._sleep(delay):
                        break
                    try:
                        self.open(START_TIMEOUT)
                    except OSError as exc:
                        log.debug("Jobs bridge reconnect to %s:%s failed: %s",
                                  self.bridge.host, self.bridge.port, exc)
                        delay = min(delay * 2, RECONNECT_DELAY[1])
                        continue
                    delay = RECONNECT_DELAY[0]
                try:
                    self._serve()
                except OSError as exc:
                    if not self.closing:
                        log.warning("Jobs bridge lost its broker %s:%s (%s); reconnecting",
                                    self.bridge.host, self.bridge.port, exc)
                    self._drop_connection()
                except Exception:  # a defect of ours: never leave the bridge dead
                    log.exception("Jobs bridge I/O failed; reconnecting")
                    self._drop_connection()
        finally:
            sock, self.sock = self.sock, None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.sendall(bridge_link.DISCONNECT_PACKET)
                with contextlib.suppress(OSError):
                    sock.close()
            self._wake_r.close()
            self._wake_w.close()

    def _sleep(self, seconds: float) -> bool:
        """Wait before a reconnect; True if the bridge is stopping."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._wake_r, selectors.EVENT_READ)
            selector.select(seconds)
        self._drain_wake()
        return self.closing

    def _drain_wake(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass

    # -- the I/O loop ----------------------------------------------------------------------

    def _serve(self) -> None:
        sock = self.sock
        assert sock is not None
        keepalive = self.bridge.keepalive
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            self._take_packets()  # what came with the SUBACK
            while not self.closing:
                idle = not (self._window_open() and (self.requests or self.outbox))
                # idle: nothing to do until the broker or another thread says something
                if idle and any(key.fileobj is self._wake_r
                                for key, _ in selector.select(self._idle_timeout(keepalive))):
                    self._drain_wake()
                self._read(sock)
                self._write(sock)
                self._keep_alive(sock, keepalive)

    def _idle_timeout(self, keepalive: int) -> float | None:
        """Until the next PINGREQ is due, or (one unanswered) until its PINGRESP is late."""
        if keepalive <= 0:
            return None
        now = time.monotonic()
        if self._ping_sent_at is not None:
            return max(0.0, self._ping_sent_at + keepalive - now)
        return max(0.0, self._last_send + keepalive / 2 - now)

    def _read(self, sock: socket.socket) -> None:
        """Everything the broker sent so far, into the queues (never blocks)."""
        while True:
            try:
                data = sock.recv(bridge_link.READ_SIZE)  # non-blocking socket
            except (BlockingIOError, InterruptedError):
                break
            if not data:
                raise bridge_link.LinkError("the broker closed the connection")
            self.buffer.feed(data)
            if len(data) < bridge_link.READ_SIZE:
                break
        self._take_packets()

    def _take_packets(self) -> None:
        accept = self.bridge.accept
        requests = self.requests
        for first, body in self.buffer.packets():
            kind = first >> 4
            if kind == bridge_link.PUBLISH:
                try:
                    topic, payload = bridge_link.parse_publish(first, body)
                except ValueError:  # malformed: nothing to answer
                    continue
                if accept(topic):
                    requests.put(requester_of(topic), (topic, payload))
            elif kind == bridge_link.PINGRESP:
                self._ping_sent_at = None

    def _window_open(self) -> bool:
        return self._sent < PUBLISH_WINDOW or self._ping_sent_at is None

    def _write(self, sock: socket.socket) -> None:
        """Notifications first, then one request's replies, within the window."""
        if not self._window_open():
            return
        out: list[bytes] = []
        outbox = self.outbox
        while outbox and len(out) < PUBLISH_WINDOW:
            out.append(outbox.popleft())
        if not out and self.requests:
            topic, payload = self.requests.pop()
            out = self._answer(topic, payload)
        if out:
            self._send(sock, b"".join(out), len(out))

    def _answer(self, topic: str, payload: bytes) -> list[bytes]:
        try:
            replies = self.bridge.handler(topic, payload)
            return [
                bridge_link.publish_packet(reply_topic, as_bytes(reply_payload))
                for reply_topic, reply_payload in replies or ()
            ]
        except Exception:
            log.exception("Jobs bridge handler failed for %s", topic)
            return []

    def _send(self, sock: socket.socket, data: bytes, publishes: int) -> None:
        self._sent += publishes
        if self._sent >= PUBLISH_WINDOW and self._ping_sent_at is None:
            data += bridge_link.PINGREQ_PACKET
            self._sent = 0
            self._ping_sent_at = time.monotonic()
        _send_all(sock, data)
        self._last_send = time.monotonic()

    def _keep_alive(self, sock: socket.socket, keepalive: int) -> None:
        if keepalive <= 0:
            return
        now = time.monotonic()
        if self._ping_sent_at is not None:
            if now - self._ping_sent_at > keepalive:
                raise bridge_link.LinkError(f"no PINGRESP within {keepalive} s")
        elif now - self._last_send >= keepalive / 2:
            self._ping_sent_at = now
            self._sent = 0
            _send_all(sock, bridge_link.PINGREQ_PACKET)
            self._last_send = now


def _send_all(sock: socket.socket, data: bytes) -> None:
    """Send everything on a non-blocking socket, waiting up to SEND_TIMEOUT for room."""
    view = memoryview(data)
    deadline = time.monotonic() + SEND_TIMEOUT
    while view:
        try:
            view = view[sock.send(view):]
        except (BlockingIOError, InterruptedError):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise bridge_link.LinkError(f"the broker read nothing for {SEND_TIMEOUT} s") from None
            select.select([], [sock], [], remaining)
