"""The embedded amqtt broker: pure Python MQTT 3.1.1 in a daemon thread with its own loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import warnings
from functools import partial
from typing import Any

from moto_iotjobs.mqtt import switch_interval
from moto_iotjobs.mqtt.amqtt_reader import FairReader
from moto_iotjobs.mqtt.bridge import SERVICE_CLIENT_PREFIX
from moto_iotjobs.mqtt.broker_base import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    BrokerError,
    BrokerNotAvailable,
    RunningBroker,
)

log = logging.getLogger(__name__)

#: The amqtt release whose private ``Broker._handle_message_delivery`` we override (see
#: ``_amqtt_broker_class``). The ``mqtt`` extra pins it; other versions get a warning.
AMQTT_VERSION = "0.12.1"

#: Listen backlog: 1,000 devices connecting at once all get in (asyncio's default is 100).
LISTEN_BACKLOG = 2048
#: Seconds a TCP connection may stay without being answered a CONNACK (it never sent a
#: CONNECT): then it is closed, as AWS IoT closes idle sockets, so they cannot pile up.
CONNECT_TIMEOUT = 10.0
#: Packets read from the Jobs service's own connection per turn of the event loop (a
#: device's connection: one).
SERVICE_PACKETS_PER_TURN = 16
#: Seconds between two reports of the event loop's own errors (e.g. accept() failing when
#: out of descriptors, which would otherwise log a traceback per attempt, in a loop).
ERROR_REPORT_INTERVAL = 5.0


class _AnsweredWriter:
    """A StreamWriter that notes whether the broker wrote anything (the CONNACK)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.answered = False

    def write(self, data: bytes) -> None:
        self.answered = True
        self._writer.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


def _close_if_unanswered(writer: _AnsweredWriter) -> None:
    if not writer.answered and not writer.transport.is_closing():
        writer.transport.abort()


class _RateLimitedErrors:
    """An event loop exception handler that reports at most once per interval."""

    def __init__(self, interval: float = ERROR_REPORT_INTERVAL) -> None:
        self.interval = interval
        self.last = float("-inf")
        self.suppressed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        now = loop.time()
        if now - self.last < self.interval:
            self.suppressed += 1
            return
        self.last = now
        if self.suppressed:
            log.warning("amqtt broker: %d similar errors not reported", self.suppressed)
            self.suppressed = 0
        log.warning("amqtt broker: %s", context.get("message"), exc_info=context.get("exception"))



def _amqtt_broker_class() -> type:
    """Build the amqtt ``Broker`` subclass that lets clients publish to ``$aws/...`` topics.

    Since amqtt 0.11.2, ``Broker._handle_message_delivery`` rejects every client PUBLISH whose
    topic begins with ``$`` ([MQTT-4.7.2-1] is about *subscription* wildcards, but amqtt applies
    it to publishes): the message is dropped, only logged at WARNING, and amqtt stops serving
    that client's connection (paho then reconnects a second later). AWS IoT devices publish all Jobs requests to
    ``$aws/things/...``, so this subclass handles ``$`` topics itself (except broker-reserved
    ``$SYS``) with the same steps amqtt 0.12.1 uses for ordinary topics, and defers everything
    else to amqtt unchanged. Imported lazily: amqtt needs Python 3.10+ and is optional when
    mosquitto is used.
    """
    from amqtt.broker import Broker
    from amqtt.contexts import Action
    from amqtt.events import BrokerEvents

    try:
        from importlib.metadata import version

        installed = version("amqtt")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        installed = "unknown"
    if installed != AMQTT_VERSION:
        warnings.warn(
            f"moto_iotjobs.mqtt patches amqtt {AMQTT_VERSION} internals but amqtt {installed} is "
            "installed; '$aws/...' publishes may not be delivered",
            RuntimeWarning,
            stacklevel=3,
        )

    # Fleet scale: message fan-out looks up the matching filters instead of scanning all.
    from moto_iotjobs.mqtt.amqtt_fanout import indexed_broadcast_mixin, publish_fast

    class DollarTopicBroker(indexed_broadcast_mixin(), Broker):  # type: ignore[misc]
        """amqtt Broker that accepts client publishes to ``$`` topics other than ``$SYS``.

        It also tracks its TCP connections and their tasks, so that ``stop()`` can drop them
        (see ``AmqttBroker._shutdown``).
        """

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.moto_connections: set[asyncio.StreamWriter] = set()
            self.moto_connection_tasks: set[asyncio.Task[Any]] = set()

        async def stream_connected(
            self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, listener_name: str
        ) -> None:
            task = asyncio.current_task()
            if task is not None:
                self.moto_connection_tasks.add(task)
            self.moto_connections.add(writer)
            # Hardening #14: a socket that sends no CONNECT is closed after CONNECT_TIMEOUT.
            watched = _AnsweredWriter(writer)
            timer = asyncio.get_running_loop().call_later(
                CONNECT_TIMEOUT, _close_if_unanswered, watched
            )
            try:
                fair = FairReader(reader, writer.get_extra_info("socket"))
                await super().stream_connected(fair, watched, listener_name)
            finally:
                timer.cancel()
                self.moto_connections.discard(writer)
                if task is not None:
                    self.moto_connection_tasks.discard(task)
                # amqtt returns without closing the socket when the first packet is not a
                # CONNECT (e.g. a port probe), which leaks the transport.
                writer.close()

        async def _initialize_client_session(
            self, reader: Any, writer: Any, *args: Any, **kwargs: Any
        ) -> Any:
            """amqtt's session set-up; the Jobs service's own connection is read first.

            The service's replies are work already done for devices: reading them ahead of
            new requests keeps a reply from queueing behind another client's flood (#14).
            """
            handler, session = await super()._initialize_client_session(
                reader, writer, *args, **kwargs
            )
            publish_fast(handler, self)
            fair = getattr(reader, "_reader", None)
            if isinstance(fair, FairReader) and str(session.client_id or "").startswith(
                SERVICE_CLIENT_PREFIX
            ):
                fair.packets_per_turn = SERVICE_PACKETS_PER_TURN
            return handler, session

        async def _create_server_instance(
            self, listener_name: str, listener_type: Any, address: Any, port: int, ssl_context: Any
        ) -> Any:
            """amqtt's TCP listener with a listen backlog for a fleet connecting at once."""
            if str(getattr(listener_type, "value", listener_type)).lower() != "tcp":
                return await super()._create_server_instance(
                    listener_name, listener_type, address, port, ssl_context
                )
            return await asyncio.start_server(
                partial(self.stream_connected, listener_name=listener_name),
                address,
                port,
                reuse_address=True,
                ssl=ssl_context,
                backlog=LISTEN_BACKLOG,
            )

        async def moto_drop_connections(self, timeout: float = 2.0) -> None:
            """Abort every client connection and wait for its task to finish."""
            for writer in list(self.moto_connections):
                if not writer.transport.is_closing():
                    writer.transport.abort()
            tasks = [t for t in self.moto_connection_tasks if not t.done()]
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        async def _handle_message_delivery(
            self, client_session: Any, handler: Any, wait_deliver: Any
        ) -> bool:
            app_message = wait_deliver.result()
            topic = getattr(app_message, "topic", None)
            if (
                not topic
                or not topic.startswith("$")
                or topic.startswith("$SYS")
                or "#" in topic
                or "+" in topic
            ):
                # Not ours: amqtt's own checks and delivery, unchanged.
                return bool(
                    await super()._handle_message_delivery(client_session, handler, wait_deliver)
                )

            # Same sequence as amqtt 0.12.1 for a valid ordinary topic.
            await self.plugins_manager.fire_event(
                BrokerEvents.MESSAGE_RECEIVED,
                client_id=client_session.client_id,
                message=app_message,
            )
            if not await self._topic_filtering(client_session, topic=topic, action=Action.PUBLISH):
                self.logger.info(
                    f"{client_session.client_id} not allowed to publish to TOPIC {topic}."
                )
                return True
            await self.plugins_manager.fire_event(
                BrokerEvents.MESSAGE_BROADCAST,
                client_id=client_session.client_id,
                message=app_message,
            )
            await self._broadcast_message(client_session, topic, app_message.data)
            if app_message.publish_packet and app_message.publish_packet.retain_flag:
                await self.retain_message(client_session, topic, app_message.data, app_message.qos)
            return True

    return DollarTopicBroker


_amqtt_class: type | None = None
_amqtt_class_lock = threading.Lock()


def _get_amqtt_class() -> type:
    global _amqtt_class
    with _amqtt_class_lock:
        if _amqtt_class is None:
            try:
                _amqtt_class = _amqtt_broker_class()
            except ImportError as exc:
                raise BrokerNotAvailable(
                    f"amqtt is not importable ({exc}); install moto-iotjobs[mqtt] "
                    f"(amqtt=={AMQTT_VERSION}, Python 3.10+) or use kind='mosquitto'"
                ) from exc
            # amqtt logs at WARNING on routine events (a client dropping its socket, messages
            # left in the queue at shutdown). Without this, Python's last-resort handler prints
            # them to stderr when the application configured no logging; with logging
            # configured, records still propagate as usual.
            logging.getLogger("amqtt").addHandler(logging.NullHandler())
            logging.getLogger("transitions").addHandler(logging.NullHandler())
        return _amqtt_class


def _amqtt_config(host: str, port: int) -> dict[str, Any]:
    """Broker config: one TCP listener, anonymous access, and no default ``$SYS`` publisher."""
    # No brackets for IPv6: amqtt 0.12.1 keeps them in the host it binds; its rsplit(":") on
    # "::1:1883" splits host and port correctly.
    bind = f"{host}:{port}"
    return {
        "listeners": {"default": {"type": "tcp", "bind": bind, "max_connections": 0}},
        # An explicit list replaces amqtt's defaults (event/packet loggers and BrokerSysPlugin,
        # which publishes $SYS topics every 20 s).
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class AmqttBroker(RunningBroker):
    """amqtt running in a daemon thread with its own event loop."""

    kind = "amqtt"

    def __init__(self, host: str) -> None:
        super().__init__(host, 0)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls, host: str, port: int) -> AmqttBroker:
        broker_class = _get_amqtt_class()
        self = cls(host)
        self._thread = threading.Thread(
            target=self._run,
            args=(broker_class, port),
            name=f"amqtt-broker-{host}:{port}",
            daemon=True,
        )
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            self._stopped = True
            self._signal_stop()
            raise BrokerError(
                f"amqtt broker on {host}:{port} did not start within {START_TIMEOUT} s"
            )
        if self._error is not None:
            self._stopped = True
            self._thread.join(STOP_TIMEOUT)
            raise BrokerError(
                f"amqtt broker on {host}:{port} failed to start: {self._error}"
            ) from self._error
        self._thread.name = f"amqtt-broker-{host}:{self.port}"
        switch_interval.lower()
        self._lowered_switch_interval = True
        return self

    def _run(self, broker_class: type, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
            loop.set_exception_handler(_RateLimitedErrors())
            loop.run_until_complete(self._serve(broker_class, port))
        except BaseException as exc:  # reported to start() if it happens before readiness
            if not self._ready.is_set():
                self._error = exc
            else:
                log.exception("amqtt broker on %s:%s stopped with an error", self.host, self.port)
        finally:
            try:
                _cancel_remaining_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()
                self._ready.set()

    async def _serve(self, broker_class: type, port: int) -> None:
        self._stop_event = asyncio.Event()
        broker = broker_class(_amqtt_config(self.host, port))
        await broker.start()
        try:
            server = broker._servers["default"].instance
            self.port = int(server.sockets[0].getsockname()[1])
            self._ready.set()
            await self._stop_event.wait()
        finally:
            await self._shutdown(broker)

    async def _shutdown(self, broker: Any) -> None:
        """Stop like a killed broker process: drop every connection, then amqtt's shutdown.

        amqtt's graceful ``shutdown()`` alone can hang: a handler stopped while a QoS 1 PUBACK
        is being processed loses the cancellation and waits for its reader forever, a
        connection that never sent CONNECT is waited for forever, and on Python 3.12+
        ``Server.wait_closed()`` waits for every connection. Closing the asyncio Server while an
        accept is in flight leaks that socket. Hence: stop accepting but keep the listener until
        accepted sockets have their transports, abort all connections and let their tasks end by
        themselves, then run amqtt's (now quick) shutdown under a timeout.
        """
        if broker.transitions.state != "started":
            return
        loop = asyncio.get_running_loop()
        for server in broker._servers.values():
            for sock in getattr(server.instance, "sockets", None) or ():
                loop.remove_reader(sock.fileno())
        await _settle_pending_accepts()
        await broker.moto_drop_connections()
        try:
            await asyncio.wait_for(broker.shutdown(), STOP_TIMEOUT)
        except asyncio.TimeoutError:
            log.debug("amqtt shutdown timed out; cancelling its remaining tasks")
        await broker.moto_drop_connections()

    def _signal_stop(self) -> None:
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)

    def _stop(self) -> None:
        if getattr(self, "_lowered_switch_interval", False):
            self._lowered_switch_interval = False
            switch_interval.restore()
        self._signal_stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_TIMEOUT + 5)
            if thread.is_alive():
                raise BrokerError(f"amqtt broker thread on {self.host}:{self.port} did not stop")


async def _settle_pending_accepts(timeout: float = 1.0) -> None:
    """Wait for asyncio's in-flight accepts to attach their transports, and their handler tasks to start."""
    accepting = [
        t
        for t in asyncio.all_tasks()
        if not t.done()
        and getattr(t.get_coro(), "__qualname__", "").endswith("_accept_connection2")
    ]
    if accepting:
        await asyncio.wait(accepting, timeout=timeout)
    await asyncio.sleep(0)  # the stream_connected() tasks they created run their first step


def _cancel_remaining_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await whatever amqtt left running, so closing the loop warns about nothing."""
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            log.debug("amqtt task ended with %r during shutdown", task.exception())
