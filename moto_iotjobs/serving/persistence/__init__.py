"""Persistence for server mode: a journal of every state change that succeeded, snapshots,
and replay at startup (docs/persistence.md says why this design).

    from moto_iotjobs.serving.persistence import enable_persistence
    enable_persistence("/var/lib/moto-iotjobs")       # before serving
    ThreadedMotoServer(port=5000).start()             # or `python -m moto_iotjobs --state-dir`
"""

from __future__ import annotations

import fcntl
import os
from typing import IO, Any, Callable, Optional

from moto_iotjobs.devices.ca import keep_mock_ca_in
from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.serving.persistence import hooks
from moto_iotjobs.serving.persistence.journal import IncompatibleState
from moto_iotjobs.serving.persistence.recorder import (
    DEFAULT_COMPACT_BYTES,
    JOURNAL_NAME,
    Persistence,
)
from moto_iotjobs.serving.persistence.replay import Restored, load

__all__ = ["enable_persistence", "disable_persistence", "IncompatibleState", "StateDirBusy", "Persistence"]

STATE_DIR_ENV = "MOTO_IOTJOBS_STATE_DIR"
CA_DIR_NAME = "mock-ca"  # the mock CA's ca.pem and ca.key, under the state directory

_active: Optional[Persistence] = None
_lock_file: Optional[IO[bytes]] = None
last_restore: Optional[Restored] = None


class StateDirBusy(Exception):
    """Another process serves from the same state directory."""


def _middleware(app: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    persistence = _active
    if persistence is None:
        return app(environ, start_response)
    return persistence.wsgi(app, environ, start_response)


def enable_persistence(
    state_dir: Optional[str] = None, fsync: str = "batch", compact_bytes: int = DEFAULT_COMPACT_BYTES
) -> Persistence:
    """Restore the state kept in `state_dir` (default `$MOTO_IOTJOBS_STATE_DIR`) and journal
    every later change made through moto's server application or the MQTT APIs.

    Raises IncompatibleState (files of other versions) or StateDirBusy (in use elsewhere)."""
    global _active, _lock_file, last_restore
    from moto_iotjobs.moto_integration.registration import register

    state_dir = state_dir or os.environ.get(STATE_DIR_ENV)
    if not state_dir:
        raise ValueError(f"no state directory: pass one or set ${STATE_DIR_ENV}")
    if _active is not None:
        raise RuntimeError(f"persistence is already on (state directory {_active.state_dir})")
    os.makedirs(state_dir, exist_ok=True)
    lock_file = open(os.path.join(state_dir, "lock"), "ab")  # noqa: SIM115 - held while serving
    try:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock_file.close()
        raise StateDirBusy(f"state directory {state_dir} is in use by another process") from None
    try:
        register()
        moto_compat.wrap_server_apps(_middleware)
        # the mock CA of the MQTT TLS listener is kept too: device certificates it issued
        # (CreateCertificateFromCsr) stay valid, devices keep trusting the same ca.pem
        keep_mock_ca_in(os.path.join(state_dir, CA_DIR_NAME))
        restored = load(state_dir, os.path.join(state_dir, JOURNAL_NAME), fsync)
    except BaseException:
        lock_file.close()
        raise
    last_restore = restored
    _lock_file = lock_file
    _active = Persistence(state_dir, restored.writer, restored.generation, compact_bytes)
    hooks.active = _active
    return _active


def disable_persistence(compact: bool = True) -> None:
    """Graceful stop: snapshot (unless `compact=False`), close the journal, free the directory."""
    global _active, _lock_file
    persistence = _active
    if persistence is None:
        return
    hooks.active = None
    _active = None
    persistence.close(compact=compact)
    if _lock_file is not None:
        _lock_file.close()
        _lock_file = None
