"""What every local MQTT broker shares: errors, the running-broker handle, port helpers.

The two implementations live beside it (`amqtt_broker.py`, `mosquitto_broker.py`);
`broker.py` picks one.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Callable

from moto_iotjobs.mqtt.stopping import StopsOnExit

#: Seconds to wait for a broker to accept connections, and for it to shut down.
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

#: Largest MQTT packet either local broker takes (remaining length, bytes); a client sending
#: a bigger one is disconnected. AWS IoT Core takes payloads up to 128 KB; what lies between
#: reaches the Jobs MQTT API, which answers InvalidRequest as AWS does. The cap is a guard
#: for the process's memory (a 100 MB publish was read and answered before, #14).
MAX_PACKET_BYTES = 1024 * 1024


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


def wait_for_port(
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


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now (as a listener with SO_REUSEADDR would)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """Ask the OS for a currently free TCP port on ``host`` (for brokers that cannot bind port 0)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
