"""`with x:` for the MQTT pieces: each starts in `__enter__` as it sees fit and stops on exit."""

from __future__ import annotations

from types import TracebackType
from typing import Optional


class StopsOnExit:
    """Mixin: leaving a `with` block calls `stop()` (idempotent in every user)."""

    def stop(self) -> None:
        raise NotImplementedError

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()
