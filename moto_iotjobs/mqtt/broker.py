"""Local MQTT brokers for the Jobs device API: embedded amqtt (default) or a mosquitto subprocess.

Device code (paho-mqtt, the AWS IoT Device SDK) needs a real broker to talk to; these run on
loopback only, without TLS or authentication, for tests.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import warnings
from typing import IO, TYPE_CHECKING, Any, Callable

from moto_iotjobs.mqtt.stopping import StopsOnExit

if TYPE_CHECKING:
    from typing import Literal

    BrokerKind = Literal["amqtt", "mosquitto"]

__all__ = [
    "AMQTT_VERSION",
    "BrokerError",
    "BrokerNotAvailable",
    "RunningBroker",
    "find_mosquitto",
    "start_broker",
]

log = logging.getLogger(__name__)

#: The amqtt release whose private ``Broker._handle_message_delivery`` we override (see
#: ``_make_amqtt_broker_class``). The ``mqtt`` extra pins it; other versions get a warning.
AMQTT_VERSION = "0.12.1"

#: Seconds to wait for a broker to accept connections, and for it to shut down.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# Where Debian/Homebrew put mosquitto when ``/usr/sbin`` is not on a non-root user's PATH.
_MOSQUITTO_FALLBACKS = (
    "/usr/sbin/mosquitto",
    "/usr/local/sbin/mosquitto",
    "/opt/homebrew/sbin/mosquitto",
)


class BrokerError(RuntimeError):
    """A broker failed to start or stop."""


class BrokerNotAvailable(BrokerError):
    """The requested broker implementation is not installed."""


class RunningBroker(StopsOnExit):
    """A started broker: ``host`` and ``port`` to connect to, ``stop()`` to end it.

    Usable as a context manager; ``stop()`` is idempotent.
    """

    kind: str = ""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True until ``stop()`` has been called."""
        return not self._stopped

    def stop(self) -> None:
        """Stop the broker and release its port; safe to call more than once."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._stop()

    def _stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> RunningBroker:
        return self

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.kind} {self.host}:{self.port} {state}>"


def start_broker(
    host: str = "127.0.0.1", port: int = 0, kind: BrokerKind = "amqtt"
) -> RunningBroker:
    """Start a local MQTT broker and return once it accepts TCP connections.

    ``port=0`` picks a free port (read it back from ``.port``). ``kind="amqtt"`` embeds a pure
    Python MQTT 3.1.1 broker in a daemon thread; ``kind="mosquitto"`` runs the ``mosquitto``
    executable (MQTT 3.1.1 and 5), which must be installed.
    """
    if kind == "amqtt":
        return _AmqttBroker.start(host, port)
    if kind == "mosquitto":
        return _MosquittoBroker.start(host, port)
    raise ValueError(f"unknown broker kind {kind!r}; expected 'amqtt' or 'mosquitto'")


def _wait_for_port(
    host: str, port: int, deadline: float, alive: Callable[[], bool] | None = None
) -> bool:
    """Poll until ``host:port`` accepts a TCP connection; False if ``alive()`` turns false first."""
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.005)
    return False


def _port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now (as a listener with SO_REUSEADDR would)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    """Ask the OS for a currently free TCP port on ``host`` (for brokers that cannot bind port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------------------------
# amqtt


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

    # Fleet scale (#19): message fan-out looks up the matching filters instead of scanning all.
    from moto_iotjobs.mqtt.amqtt_fanout import indexed_broadcast_mixin

    class DollarTopicBroker(indexed_broadcast_mixin(), Broker):  # type: ignore[misc]
        """amqtt Broker that accepts client publishes to ``$`` topics other than ``$SYS``.

        It also tracks its TCP connections and their tasks, so that ``stop()`` can drop them
        (see ``_AmqttBroker._shutdown``).
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
            try:
                await super().stream_connected(reader, writer, listener_name)
            finally:
                self.moto_connections.discard(writer)
                if task is not None:
                    self.moto_connection_tasks.discard(task)
                # amqtt returns without closing the socket when the first packet is not a
                # CONNECT (e.g. a port probe), which leaks the transport.
                writer.close()

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


class _AmqttBroker(RunningBroker):
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
    def start(cls, host: str, port: int) -> _AmqttBroker:
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
        return self

    def _run(self, broker_class: type, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            asyncio.set_event_loop(loop)
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


# --------------------------------------------------------------------------------------------
# mosquitto


def find_mosquitto() -> str | None:
    """Path of the mosquitto executable, looking past PATH into the usual sbin directories."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in _MOSQUITTO_FALLBACKS:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# Brokers not stopped by their owner are stopped at interpreter exit, so no mosquitto process
# outlives the test run (held strongly: a forgotten broker must not lose its process handle).
_live_mosquittos: set[_MosquittoBroker] = set()


@atexit.register
def _stop_live_mosquittos() -> None:
    for broker in list(_live_mosquittos):
        with contextlib.suppress(Exception):
            broker.stop()


class _MosquittoBroker(RunningBroker):
    """mosquitto as a subprocess with a generated config, stopped by its pid."""

    kind = "mosquitto"

    def __init__(
        self,
        host: str,
        port: int,
        process: subprocess.Popen[bytes],
        workdir: str,
        logfile: IO[bytes],
    ):
        super().__init__(host, port)
        self.pid = process.pid
        self._process = process
        self._workdir = workdir
        self._logfile = logfile

    @classmethod
    def start(cls, host: str, port: int) -> _MosquittoBroker:
        executable = find_mosquitto()
        if executable is None:
            raise BrokerNotAvailable(
                "mosquitto is not installed (not on PATH nor in /usr/sbin); install it "
                "(Debian/Ubuntu: apt-get install mosquitto; macOS: brew install mosquitto) "
                "or use kind='amqtt'"
            )
        # mosquitto cannot bind port 0, so pick a free port and retry if another process takes it
        # between our probe and mosquitto's bind.
        attempts = 5 if port == 0 else 1
        last_log = ""
        for _ in range(attempts):
            chosen = port or _free_port(host)
            # Checked first: otherwise another listener on the port would pass the readiness
            # probe while mosquitto is still failing to bind.
            if not _port_is_free(host, chosen):
                last_log = f"Error: Address {host}:{chosen} already in use"
                continue
            broker, last_log = cls._try_start(executable, host, chosen)
            if broker is not None:
                return broker
            if "in use" not in last_log:
                break
        raise BrokerError(
            f"mosquitto failed to start on {host}:{port or 'a free port'}: {last_log.strip()}"
        )

    @classmethod
    def _try_start(
        cls, executable: str, host: str, port: int
    ) -> tuple[_MosquittoBroker | None, str]:
        workdir = tempfile.mkdtemp(prefix="moto-iotjobs-mosquitto-")
        config = os.path.join(workdir, "mosquitto.conf")
        with open(config, "w", encoding="utf-8") as fh:
            fh.write(
                f"listener {port} {host}\n"
                "allow_anonymous true\n"
                "set_tcp_nodelay true\n"
                "persistence false\n"
                "log_dest stderr\n"
                "log_type error\n"
                "log_type warning\n"
            )
        logfile = open(os.path.join(workdir, "mosquitto.log"), "w+b")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [executable, "-c", config],
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=subprocess.STDOUT,
        )
        broker = cls(host, port, process, workdir, logfile)
        _live_mosquittos.add(broker)
        deadline = time.monotonic() + START_TIMEOUT
        if _wait_for_port(host, port, deadline, alive=lambda: process.poll() is None):
            return broker, ""
        text = broker._read_log()
        broker.stop()
        return None, text or f"exit code {process.returncode}"

    def _read_log(self) -> str:
        try:
            self._logfile.flush()
            self._logfile.seek(0)
            return self._logfile.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    def _stop(self) -> None:
        process = self._process
        _live_mosquittos.discard(self)
        try:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait(STOP_TIMEOUT)
        finally:
            self._logfile.close()
            shutil.rmtree(self._workdir, ignore_errors=True)
