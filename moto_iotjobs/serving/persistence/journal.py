"""The request journal: an append-only file of the state changes that succeeded, in commit order.

Layout: an 8-byte magic, a length-prefixed JSON header (format version, moto_iotjobs and moto
versions, generation), then records. A record is `length (4 bytes) | CRC32 (4 bytes) | payload`
with the payload a pickled `(kind, at, seed, data)` tuple. Each record goes out in ONE `os.write` on
an O_APPEND descriptor before the response is sent: once a caller saw success, the record is in
the kernel's page cache and survives the process being killed (`kill -9`); `fsync="always"`
also waits for the disk (power loss), `fsync="batch"` syncs once a second in the background.

A record cut short (a crash mid-write) or whose CRC does not match ends the readable journal:
it and everything after it are dropped with a warning, and the file is truncated there so that
new records follow the last good one.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import struct
import threading
import zlib
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("moto_iotjobs.persistence")

JOURNAL_MAGIC = b"MIOTJRNL"
FORMAT_VERSION = 1
_RECORD = struct.Struct(">II")
_HEADER_LENGTH = struct.Struct(">I")
FSYNC_POLICIES = ("always", "batch")
BATCH_INTERVAL = 1.0


class IncompatibleState(Exception):
    """A journal or snapshot written by another format or other moto/moto_iotjobs versions."""


def versions() -> dict[str, Any]:
    """What a state file must have been written by to be read back."""
    import moto_iotjobs
    from moto_iotjobs.moto_integration.compat import moto_version

    return {"format": FORMAT_VERSION, "moto_iotjobs": moto_iotjobs.__version__, "moto": moto_version()}


def encode_header(magic: bytes, fields: dict[str, Any]) -> bytes:
    body = json.dumps(fields, sort_keys=True).encode()
    return magic + _HEADER_LENGTH.pack(len(body)) + body


def read_header(path: str, data: bytes, magic: bytes) -> tuple[dict[str, Any], int]:
    """The header of a state file and where its body starts; IncompatibleState if it is not
    one of ours, or was written by other versions."""
    if not data.startswith(magic) or len(data) < len(magic) + _HEADER_LENGTH.size:
        raise IncompatibleState(f"{path} is not a moto_iotjobs state file (bad magic)")
    (length,) = _HEADER_LENGTH.unpack_from(data, len(magic))
    start = len(magic) + _HEADER_LENGTH.size
    try:
        header = json.loads(data[start : start + length])
    except ValueError:
        raise IncompatibleState(f"{path} has an unreadable header") from None
    expected = versions()
    found = {key: header.get(key) for key in expected}
    if found != expected:
        raise IncompatibleState(
            f"{path} was written by {found}; this server is {expected}: replay it with those "
            "versions, or move the state directory away to start empty"
        )
    return header, start + length


def encode_record(kind: str, at: float, seed: int, data: Any) -> bytes:
    """`at`: the clock when applied; `seed`: of moto's identifier source when applied."""
    payload = pickle.dumps((kind, at, seed, data), protocol=pickle.HIGHEST_PROTOCOL)
    return _RECORD.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass
class JournalContents:
    generation: int
    records: list[tuple[str, float, int, Any]]
    good_end: int  # offset after the last good record
    dropped_bytes: int


def read_journal(path: str) -> JournalContents:
    """Every intact record of a journal, in order; a damaged tail is reported, not raised."""
    with open(path, "rb") as file:
        data = file.read()
    header, offset = read_header(path, data, JOURNAL_MAGIC)
    records: list[tuple[str, float, int, Any]] = []
    end = len(data)
    while offset < end:
        if end - offset < _RECORD.size:
            break
        length, crc = _RECORD.unpack_from(data, offset)
        start = offset + _RECORD.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break
        try:
            records.append(pickle.loads(payload))
        except Exception:
            break
        offset = start + length
    dropped = end - offset
    if dropped:
        log.warning(
            "journal %s: dropped a damaged tail of %d bytes after record %d (a crash mid-write); "
            "every record before it is restored",
            path,
            dropped,
            len(records),
        )
    return JournalContents(int(header.get("generation", 0)), records, offset, dropped)


class JournalWriter:
    """Appends records to a journal file; thread-safe only under the caller's write lock."""

    def __init__(self, path: str, fsync: str = "batch") -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync policy must be one of {FSYNC_POLICIES}, not {fsync!r}")
        self.path = path
        self.fsync = fsync
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.size = os.fstat(self._fd).st_size
        self._dirty = False
        self._closed = threading.Event()
        self._syncer: threading.Thread | None = None
        if fsync == "batch":
            self._syncer = threading.Thread(target=self._sync_loop, name="moto-iotjobs-journal-sync", daemon=True)
            self._syncer.start()

    @classmethod
    def create(cls, path: str, generation: int, fsync: str = "batch") -> JournalWriter:
        """A new, empty journal replacing `path` atomically (written aside, synced, renamed)."""
        temporary = path + ".tmp"
        with open(temporary, "wb") as file:
            file.write(encode_header(JOURNAL_MAGIC, {**versions(), "generation": generation}))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        sync_directory(os.path.dirname(path))
        return cls(path, fsync)

    def append(self, record: bytes) -> None:
        view = memoryview(record)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.size += len(record)
        if self.fsync == "always":
            os.fdatasync(self._fd)
        else:
            self._dirty = True

    def _sync_loop(self) -> None:
        while not self._closed.wait(BATCH_INTERVAL):
            if self._dirty:
                self._dirty = False
                try:
                    os.fdatasync(self._fd)
                except OSError:  # closed meanwhile
                    return

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        if self._syncer is not None:
            self._syncer.join(timeout=5)
        os.fsync(self._fd)
        os.close(self._fd)


def truncate(path: str, size: int) -> None:
    """Cut a journal after its last good record, so that new records follow it."""
    with open(path, "r+b") as file:
        file.truncate(size)
        file.flush()
        os.fsync(file.fileno())


def sync_directory(path: str) -> None:
    """Make a rename in `path` durable."""
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
