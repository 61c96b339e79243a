"""The current time, read on every request and never cached.

`datetime.now(timezone.utc)` is what freezegun and time-machine move, so tests control the
mock's clock with the libraries they already use.

`pinned(at)` fixes the time seen by one thread for the length of one state change: the
persistence journal records the instant a change was applied and replays it with the clock
pinned to that same instant, so timestamps and time-driven events come out identical.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Optional


class _Pin(threading.local):
    """The pinned instant of the current thread. A class default rather than
    `getattr(local, "at", None)`: a miss there raises and catches an AttributeError on
    every request (about half of `now()`'s cost, #19)."""

    at: Optional[float] = None


_pin = _Pin()
_UTC = timezone.utc


def now() -> float:
    """Epoch seconds, as a float with sub-second precision."""
    at = _pin.at
    if at is not None:
        return at
    return datetime.now(_UTC).timestamp()


@contextmanager
def pinned(at: float) -> Iterator[float]:
    """`now()` returns `at` in this thread until the block ends (nested pins restore)."""
    previous = _pin.at
    _pin.at = at
    try:
        yield at
    finally:
        _pin.at = previous


def no_earlier(now: float, *floors: Optional[float]) -> float:
    """`now`, or the latest of a record's own timestamps if the clock went back (freezegun,
    time-machine): a change never dates a record before what it already shows."""
    latest = now
    for floor in floors:
        if floor is not None and floor > latest:
            latest = floor
    return latest
