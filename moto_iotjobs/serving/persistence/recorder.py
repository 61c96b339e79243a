"""Recording state changes: the global write lock, the WSGI middleware and the MQTT hook.

A state-changing request (any method but GET/HEAD/OPTIONS) runs under ONE process-wide write
lock, with the clock pinned to the instant it started, and its record is appended to the
journal before its response leaves: commit order is journal order, and every success a caller
saw is on file. Reads take no lock. A failed request (not 2xx) changed no state (a project
rule), so it is not recorded.
"""

from __future__ import annotations

import io
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any, Callable

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.serving.persistence.hooks import Replies
from moto_iotjobs.serving.persistence.journal import JournalWriter, encode_record
from moto_iotjobs.serving.persistence.snapshot import write_snapshot
from moto_iotjobs.timing import clock

log = logging.getLogger("moto_iotjobs.persistence")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Fault rules are test scaffolding: replaying them would fail requests that had succeeded.
UNRECORDED_PREFIXES = ("/moto-api/iotjobs/faults",)
#: The request context a replay needs to route and sign the same way (environ keys).
KEPT_ENVIRON = ("wsgi.url_scheme", "CONTENT_TYPE", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "REQUEST_URI", "RAW_URI")
#: MQTT requests that only read (GetPendingJobExecutions, DescribeJobExecution).
MQTT_READ_SUFFIX = "/get"
JOURNAL_NAME = "journal.log"
#: Requests whose effect no seed reproduces (key pairs come from the OS's randomness): a
#: snapshot follows each, so that a restart keeps the very certificate the caller got.
NON_REPRODUCIBLE = frozenset({("POST", "/keys-and-certificate"), ("POST", "/certificates")})
#: After these the state is small (empty): a snapshot then costs little and drops the journal.
COMPACT_AFTER = NON_REPRODUCIBLE | {("POST", "/moto-api/reset")}
DEFAULT_COMPACT_BYTES = 64 * 1024 * 1024


def _redacted_authorization(value: str) -> str:
    """The credential scope routes the request (service, region, account); the signature is
    of no use to a mock and is not kept."""
    head, _, _ = value.partition("Signature=")
    return head.rstrip(", ")


def request_context(environ: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    kept = []
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in KEPT_ENVIRON:
            if key == "HTTP_AUTHORIZATION":
                value = _redacted_authorization(value)
            kept.append((key, value))
    return tuple(kept)


class Persistence:
    """The journal of one state directory while a server runs."""

    def __init__(self, state_dir: str, writer: JournalWriter, generation: int, compact_bytes: int) -> None:
        self.state_dir = state_dir
        self.writer = writer
        self.generation = generation
        self.compact_bytes = compact_bytes
        self.lock = threading.RLock()
        self.records_written = 0

    # -- HTTP ---------------------------------------------------------------------------------

    def wsgi(self, app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        if method in READ_METHODS or path.startswith(UNRECORDED_PREFIXES):
            return app(environ, start_response)
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text.strip():
            length = int(length_text)
            body = environ["wsgi.input"].read(length) if length > 0 else b""
        elif environ.get("wsgi.input_terminated"):  # chunked, without a guard in front
            body = environ["wsgi.input"].read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured[:] = [status, headers, exc_info]
            return lambda data: None

        with self.lock:
            at, seed = self._begin()
            with clock.pinned(at):
                result = app(environ, capture)
                try:
                    content = b"".join(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            status = captured[0] if captured else "500 INTERNAL SERVER ERROR"
            if status.startswith("2"):
                data = (method, path, environ.get("QUERY_STRING", ""), request_context(environ), body)
                self._append(encode_record("http", at, seed, data))
                if (method, path) in COMPACT_AFTER:
                    self.compact()
        if not captured:  # the application never started a response: not recorded above
            captured[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], None]
            content = b"Internal error in moto_iotjobs"
        if captured[2] is not None:
            start_response(captured[0], captured[1], captured[2])
        else:
            start_response(captured[0], captured[1])
        return [content]

    # -- MQTT ---------------------------------------------------------------------------------

    def around_mqtt(
        self, api: str, account_id: str, region_name: str, topic: str, payload: bytes, apply: Callable[[], Replies]
    ) -> Replies:
        if topic.endswith(MQTT_READ_SUFFIX):
            return apply()
        with self.lock:
            at, seed = self._begin()
            with clock.pinned(at):
                replies = apply()
            if replies and not any(reply_topic.endswith("/rejected") for reply_topic, _ in replies):
                self._append(encode_record("mqtt", at, seed, (api, account_id, region_name, topic, bytes(payload))))
        return replies

    # -- journal and snapshots ----------------------------------------------------------------

    def _begin(self) -> tuple[float, int]:
        """The instant and the identifier seed of the change about to be applied."""
        seed = int.from_bytes(os.urandom(8), "big")
        moto_compat.seed_random(seed)
        return clock.now(), seed

    def _append(self, record: bytes) -> None:
        self.writer.append(record)
        self.records_written += 1
        if self.writer.size > self.compact_bytes:
            self.compact()

    def compact(self) -> None:
        """Snapshot the state and start an empty journal (under the write lock: no change is
        in flight). The snapshot is renamed into place before the journal is replaced; a crash
        in between leaves a journal whose generation says it is already in the snapshot."""
        with self.lock:
            started = time.perf_counter()
            generation = self.generation + 1
            size = write_snapshot(self.state_dir, generation)
            self.writer.close()
            self.writer = JournalWriter.create(
                os.path.join(self.state_dir, JOURNAL_NAME), generation, self.writer.fsync
            )
            self.generation = generation
            log.info(
                "state snapshot %d written (%d bytes) in %.2f s; journal restarted",
                generation,
                size,
                time.perf_counter() - started,
            )

    def close(self, compact: bool = True) -> None:
        """Graceful stop: a last snapshot (fast next start), then the journal is closed."""
        with self.lock:
            if compact and self.writer.size > 0 and self.records_written:
                self.compact()
            self.writer.close()

