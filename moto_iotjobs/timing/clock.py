"""The current time, read on every request and never cached.

`datetime.now(timezone.utc)` is what freezegun and time-machine move, so tests control the
mock's clock with the libraries they already use.
"""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> float:
    """Epoch seconds, as a float with sub-second precision."""
    return datetime.now(timezone.utc).timestamp()
