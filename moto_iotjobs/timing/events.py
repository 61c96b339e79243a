"""Timed events, applied lazily: every request first fires what has come due.

No background threads. `advance(now)` runs before each request is answered, with `now` read
from the clock on that request (so freezegun and time-machine control it), and calls every
callback whose time has passed, in time order, with its own time. A callback checks that its
event still applies (the execution may have moved on) and does nothing otherwise.

An event may name an owner (a job): `cancel_owner` drops every pending event of that owner,
so a deleted job's timers are released. Arming, firing and cancelling are recorded in the
journal, so a failed call leaves the queue as it found it.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from typing import Callable, Optional

from moto_iotjobs.state.transaction import Journal

#: callback(when): the event's own time, not the request's
Callback = Callable[[float], None]


class Event:
    __slots__ = ("when", "seq", "callback", "owner")

    def __init__(self, when: float, seq: int, callback: Optional[Callback], owner: Optional[Hashable]) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback  # None once cancelled
        self.owner = owner


class EventQueue:
    """A heap of events ordered by (time, arming order)."""

    __slots__ = ("_heap", "_seq", "_by_owner", "_journal")

    def __init__(self, journal: Journal) -> None:
        self._heap: list[tuple[float, int, Event]] = []
        self._seq = 0
        self._by_owner: dict[Hashable, dict[int, Event]] = {}
        self._journal = journal

    def __len__(self) -> int:
        """Pending events (cancelled ones excluded)."""
        return sum(1 for _, _, event in self._heap if event.callback is not None)

    def at(self, when: float, callback: Callback, owner: Optional[Hashable] = None) -> Event:
        """Call `callback(when)` once the clock reaches `when`."""
        self._seq += 1
        event = Event(when, self._seq, callback, owner)
        self._journal.record(lambda: self._cancel(event))
        heapq.heappush(self._heap, (when, event.seq, event))
        if owner is not None:
            self._by_owner.setdefault(owner, {})[event.seq] = event
        return event

    def due(self, now: float) -> bool:
        """Whether an event (perhaps a cancelled one) has come due by `now`."""
        heap = self._heap
        return bool(heap) and heap[0][0] <= now

    def advance(self, now: float) -> None:
        """Fire every event that has come due by `now`, in time order."""
        heap = self._heap
        journal = self._journal
        while heap and heap[0][0] <= now:
            entry = heap[0]
            event = entry[2]
            callback = event.callback
            journal.record(lambda entry=entry: self._requeue(entry))  # type: ignore[misc]
            heapq.heappop(heap)
            if callback is None:
                continue
            self._forget(event)
            callback(event.when)

    def cancel_owner(self, owner: Hashable) -> int:
        """Drop every pending event of `owner`; how many there were."""
        events = self._by_owner.get(owner)
        if not events:
            return 0
        callbacks = [(event, event.callback) for event in events.values()]

        def undo() -> None:
            for event, callback in callbacks:
                event.callback = callback
                event.owner = owner
            self._by_owner[owner] = events

        self._journal.record(undo)
        del self._by_owner[owner]
        for event in events.values():
            event.callback = None
            event.owner = None  # the heap entry stays until due, holding nothing
        return len(callbacks)

    def _cancel(self, event: Event) -> None:
        event.callback = None
        self._forget(event)

    def _forget(self, event: Event) -> None:
        owner = event.owner
        if owner is not None:
            events = self._by_owner.get(owner)
            if events is not None:
                events.pop(event.seq, None)
                if not events:
                    del self._by_owner[owner]

    def _requeue(self, entry: tuple[float, int, Event]) -> None:
        heapq.heappush(self._heap, entry)
        event = entry[2]
        if event.owner is not None:
            self._by_owner.setdefault(event.owner, {})[event.seq] = event
