"""Snapshots: the whole mock's state (every moto `BackendDict` in use, ours included) pickled
into one file, so that startup replays only the journal written since.

The file is written aside, synced and renamed: a crash leaves the old snapshot or the new one,
never half of one. Locks are the only unpicklable things the backends hold; the pickler saves
a lock as "a new lock" (a snapshot is taken under the global write lock, when no request holds
one). Fault-injection rules are test scaffolding, not state, and are left out.
"""

from __future__ import annotations

import copyreg
import io
import os
import pickle
import threading
import zlib
from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.serving.persistence.journal import (
    IncompatibleState,
    encode_header,
    read_header,
    sync_directory,
    versions,
)

SNAPSHOT_MAGIC = b"MIOTSNAP"
SNAPSHOT_NAME = "snapshot.pkl"
#: Not state: injected faults would fail the replayed requests that succeeded when recorded.
EXCLUDED_MODULES = ("moto_iotjobs.faults.",)

_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def _new_lock(kind: str) -> Any:
    return threading.RLock() if kind == "RLock" else threading.Lock()


def _reduce_lock(lock: Any) -> Any:
    return _new_lock, ("RLock" if "RLock" in type(lock).__name__ else "Lock",)


class StatePickler(pickle.Pickler):
    """A pickler that saves locks as fresh locks."""

    dispatch_table = copyreg.dispatch_table.copy()
    for _lock_type in _LOCK_TYPES:
        dispatch_table[_lock_type] = _reduce_lock


def dumps_state(state: Any) -> bytes:
    buffer = io.BytesIO()
    StatePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(state)
    return buffer.getvalue()


def capture() -> dict[str, Any]:
    """{backend dict key: {account: per-account backends}} of every state-holding service."""
    state: dict[str, Any] = {}
    for backends in moto_compat.backend_dicts_in_use():
        key = moto_compat.backend_dict_key(backends)
        if key.startswith(EXCLUDED_MODULES):
            continue
        state[key] = dict(backends)
    return state


def restore(state: dict[str, Any]) -> None:
    for key, accounts in state.items():
        moto_compat.restore_backend_dict(moto_compat.find_backend_dict(key), accounts)


def write_snapshot(state_dir: str, generation: int) -> int:
    """Save the current state as the snapshot of `generation`; returns its size in bytes."""
    payload = dumps_state(capture())
    header = encode_header(SNAPSHOT_MAGIC, {**versions(), "generation": generation, "crc32": zlib.crc32(payload)})
    path = os.path.join(state_dir, SNAPSHOT_NAME)
    temporary = path + ".tmp"
    with open(temporary, "wb") as file:
        file.write(header)
        file.write(payload)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    sync_directory(state_dir)
    return len(header) + len(payload)


def read_snapshot(state_dir: str) -> Optional[tuple[int, dict[str, Any]]]:
    """(generation, state) of the snapshot in `state_dir`, or None if there is none."""
    path = os.path.join(state_dir, SNAPSHOT_NAME)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as file:
        data = file.read()
    header, start = read_header(path, data, SNAPSHOT_MAGIC)
    payload = data[start:]
    if zlib.crc32(payload) != header.get("crc32"):
        raise IncompatibleState(f"{path} is damaged (CRC mismatch); it was written atomically, so the disk changed it")
    return int(header["generation"]), pickle.loads(payload)
