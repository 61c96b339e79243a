"""Startup: the snapshot is loaded, then the journal written since is replayed in order,
through the same WSGI application (HTTP records) or MQTT API (MQTT records) that applied it,
with the clock pinned to each record's original instant.

The plugin reads time through `moto_iotjobs.timing.clock.now()`, so its timestamps, versions
and time-driven events (timeouts, rollouts, schedules fire lazily as time is read) come out
as they were. moto's own timestamps (a thing's creation date, an object's LastModified) are
restored the same way when freezegun is installed (the `test` extra); without it they take
the time of the replay. After replay the clock is real time again.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.serving.persistence.journal import (
    IncompatibleState,
    JournalWriter,
    read_journal,
    truncate,
)
from moto_iotjobs.serving.persistence.snapshot import read_snapshot, restore
from moto_iotjobs.timing import clock

log = logging.getLogger("moto_iotjobs.persistence")


@dataclass
class Restored:
    generation: int
    writer: JournalWriter
    snapshot_loaded: bool
    records_replayed: int
    records_diverged: int
    dropped_bytes: int
    seconds: float


class _Clock:
    """Moves moto's clock (freezegun, when installed) along the replayed records."""

    def __init__(self) -> None:
        self._freezer: Any = None
        self._frozen: Any = None

    def move_to(self, at: float) -> None:
        moment = datetime.fromtimestamp(at, timezone.utc)
        if self._frozen is not None:
            self._frozen.move_to(moment)
            return
        try:
            from freezegun import freeze_time
        except ImportError:
            return
        self._freezer = freeze_time(moment)
        self._frozen = self._freezer.start()

    def stop(self) -> None:
        if self._freezer is not None:
            self._freezer.stop()


def _environ(method: str, path: str, query: str, context: tuple[tuple[str, str], ...], body: bytes) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(dict(context))
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ


class Replayer:
    """Applies journal records again, as the server applied them."""

    def __init__(self) -> None:
        self.app = moto_compat.moto_server_app()
        self._mqtt_apis: dict[tuple[str, str, str], Any] = {}

    def http(self, method: str, path: str, query: str, context: tuple[tuple[str, str], ...], body: bytes) -> bool:
        statuses: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
            statuses.append(status)
            return lambda data: None

        result = self.app(_environ(method, path, query, context, body), start_response)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return bool(statuses) and statuses[0].startswith("2")

    def mqtt(self, api: str, account_id: str, region_name: str, topic: str, payload: bytes) -> bool:
        key = (api, account_id, region_name)
        handler = self._mqtt_apis.get(key)
        if handler is None:
            if api == "commands":
                from moto_iotjobs.mqtt.commands_api import CommandsMqttApi

                handler = CommandsMqttApi(region_name=region_name, account_id=account_id)
            else:
                from moto_iotjobs.mqtt.jobs_api import JobsMqttApi

                handler = JobsMqttApi(region_name=region_name, account_id=account_id)
            self._mqtt_apis[key] = handler
        replies = handler.handle(topic, payload)
        return not any(reply_topic.endswith("/rejected") for reply_topic, _ in replies)


def load(state_dir: str, journal_path: str, fsync: str) -> Restored:
    """Restore the state of `state_dir` into this process; the journal writer to go on with."""
    started = time.perf_counter()
    snapshot = read_snapshot(state_dir)
    generation = 0
    if snapshot is not None:
        generation, state = snapshot
        restore(state)
    replayed = diverged = dropped = 0
    if os.path.exists(journal_path):
        contents = read_journal(journal_path)
        if contents.generation > generation:
            raise IncompatibleState(
                f"{journal_path} follows snapshot {contents.generation}, but the state directory "
                f"holds snapshot {generation}: the snapshot file is missing or older"
            )
        if contents.generation == generation:
            replayed, diverged = _replay(contents.records)
            dropped = contents.dropped_bytes
            if dropped:
                truncate(journal_path, contents.good_end)
            writer = JournalWriter(journal_path, fsync)
        else:  # a crash between a snapshot's rename and the journal's: it is in the snapshot
            writer = JournalWriter.create(journal_path, generation, fsync)
    else:
        writer = JournalWriter.create(journal_path, generation, fsync)
    seconds = time.perf_counter() - started
    log.info(
        "state restored from %s in %.2f s: snapshot %s, %d journal records replayed",
        state_dir,
        seconds,
        generation if snapshot is not None else "none",
        replayed,
    )
    return Restored(generation, writer, snapshot is not None, replayed, diverged, dropped, seconds)


def _replay(records: list[tuple[str, float, int, Any]]) -> tuple[int, int]:
    if not records:
        return 0, 0
    replayer = Replayer()
    moto_clock = _Clock()
    diverged = 0
    try:
        for kind, at, seed, data in records:
            moto_clock.move_to(at)
            moto_compat.seed_random(seed)
            context: AbstractContextManager[Any] = clock.pinned(at) if at else nullcontext()
            with context:
                ok = replayer.http(*data) if kind == "http" else replayer.mqtt(*data)
            if not ok:
                diverged += 1
                log.warning("journal record %s %s failed on replay (it had succeeded)", kind, _describe(data))
    finally:
        moto_clock.stop()
    return len(records), diverged


def _describe(data: Any) -> Optional[str]:
    return f"{data[0]} {data[1]}" if isinstance(data, tuple) and len(data) > 1 else None
