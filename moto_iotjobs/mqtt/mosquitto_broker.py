"""mosquitto as a subprocess (MQTT 3.1.1 and 5), when it is installed."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from typing import IO

from moto_iotjobs.mqtt.broker_base import (
    MAX_PACKET_BYTES,
    START_TIMEOUT,
    STOP_TIMEOUT,
    BrokerError,
    BrokerNotAvailable,
    RunningBroker,
    free_port,
    port_is_free,
    wait_for_port,
)

# Where Debian/Homebrew put mosquitto when ``/usr/sbin`` is not on a non-root user's PATH.
_MOSQUITTO_FALLBACKS = (
    "/usr/sbin/mosquitto",
    "/usr/local/sbin/mosquitto",
    "/opt/homebrew/sbin/mosquitto",
)




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
_live_mosquittos: set[MosquittoBroker] = set()


@atexit.register
def _stop_live_mosquittos() -> None:
    for broker in list(_live_mosquittos):
        with contextlib.suppress(Exception):
            broker.stop()


class MosquittoBroker(RunningBroker):
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
    def start(cls, host: str, port: int, executable: str | None) -> MosquittoBroker:
        """Run `executable` (see `find_mosquitto`; None: not installed) on host:port."""
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
            chosen = port or free_port(host)
            # Checked first: otherwise another listener on the port would pass the readiness
            # probe while mosquitto is still failing to bind.
            if not port_is_free(host, chosen):
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
    ) -> tuple[MosquittoBroker | None, str]:
        workdir = tempfile.mkdtemp(prefix="moto-iotjobs-mosquitto-")
        config = os.path.join(workdir, "mosquitto.conf")
        with open(config, "w", encoding="utf-8") as fh:
            fh.write(
                f"listener {port} {host}\n"
                "allow_anonymous true\n"
                "set_tcp_nodelay true\n"
                # the whole packet: type byte + 3 length bytes + at most MAX_PACKET_BYTES (as amqtt)
                f"max_packet_size {MAX_PACKET_BYTES + 4}\n"
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
        if wait_for_port(host, port, deadline, alive=lambda: process.poll() is None):
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
