"""The current time, read on every request and never cached.

`datetime.now(timezone.utc)` is what freezegun and time-machine move, so tests control the
mock's clock with the libraries they already use.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def now() -> float:
    """Epoch seconds, as a float with sub-second precision."""
    return datetime.now(timezone.utc).timestamp()


def no_earlier(now: float, *floors: Optional[float]) -> float:
    """`now`, or the latest of a record's own timestamps if the clock went back (freezegun,
    time-machine): a change never dates a record before what it already shows."""
    latest = now
    for floor in floors:
        if floor is not None and floor > latest:
            latest = floor
    return latest
