"""Indexes that keep every list and filter proportional to its answer, not to the store.

`SeqIndex` orders records by their creation sequence number (the order AWS lists them in,
newest first) and pages from any position in O(log n + page). `ThingExecutions` holds the
latest execution of each job on each thing; most fleets have one job per thing at a time,
so a lone execution is stored bare rather than in a dict of its own (memory per execution
is a performance target).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, Optional, TypeVar, Union

if TYPE_CHECKING:
    from .records import JobExecution

T = TypeVar("T")


class SeqIndex(Generic[T]):
    """Records keyed by a unique, increasing sequence number, iterable from any position.

    Removal is lazy: the sorted key list keeps stale entries until they outnumber the live
    ones. A record re-added out of order marks the list unsorted; it is re-sorted on the
    next read (timsort on nearly sorted keys is close to linear).
    """

    __slots__ = ("_items", "_order", "_sorted")

    def __init__(self) -> None:
        self._items: dict[int, T] = {}
        self._order: list[int] = []
        self._sorted = True

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, seq: int) -> bool:
        return seq in self._items

    def add(self, seq: int, item: T) -> None:
        if seq in self._items:
            self._items[seq] = item
            return
        self._items[seq] = item
        order = self._order
        if order and seq < order[-1]:
            self._sorted = False
        order.append(seq)

    def discard(self, seq: int) -> None:
        if self._items.pop(seq, None) is not None and len(self._order) > 2 * len(self._items) + 32:
            self._compact()

    def _compact(self) -> None:
        self._order = sorted(self._items)
        self._sorted = True

    def _ready(self) -> list[int]:
        if not self._sorted:
            self._compact()
        return self._order

    def newest_first(self, before: Optional[int] = None) -> Iterator[T]:
        """Records with seq < `before` (all when None), highest seq first."""
        order = self._ready()
        items = self._items
        index = len(order) if before is None else bisect_left(order, before)
        previous = None
        while index > 0:
            index -= 1
            seq = order[index]
            if seq == previous:
                continue
            previous = seq
            item = items.get(seq)
            if item is not None:
                yield item

    def oldest_first(self, after: Optional[int] = None) -> Iterator[T]:
        """Records with seq > `after` (all when None), lowest seq first."""
        order = self._ready()
        items = self._items
        index = 0 if after is None else bisect_right(order, after)
        previous = None
        end = len(order)
        while index < end:
            seq = order[index]
            index += 1
            if seq == previous:
                continue
            previous = seq
            item = items.get(seq)
            if item is not None:
                yield item

    def values(self) -> Iterator[T]:
        return iter(self._items.values())


_Slot = Union["JobExecution", dict[str, "JobExecution"]]


class ThingExecutions:
    """The latest execution of each job on each thing, in queue order per thing."""

    __slots__ = ("_by_thing",)

    def __init__(self) -> None:
        self._by_thing: dict[str, _Slot] = {}

    def get(self, thing_name: str, job_id: str) -> Optional[JobExecution]:
        slot = self._by_thing.get(thing_name)
        if slot is None:
            return None
        if isinstance(slot, dict):
            return slot.get(job_id)
        return slot if slot.job.job_id == job_id else None

    def put(self, execution: JobExecution) -> None:
        """Add an execution as the newest of its thing, replacing one of the same job."""
        thing_name = execution.thing_name
        job_id = execution.job.job_id
        slot = self._by_thing.get(thing_name)
        if slot is None:
            self._by_thing[thing_name] = execution
        elif isinstance(slot, dict):
            slot.pop(job_id, None)
            slot[job_id] = execution
        elif slot.job.job_id == job_id:
            self._by_thing[thing_name] = execution
        else:
            self._by_thing[thing_name] = {slot.job.job_id: slot, job_id: execution}

    def remove(self, execution: JobExecution) -> None:
        thing_name = execution.thing_name
        slot = self._by_thing.get(thing_name)
        if slot is None:
            return
        if isinstance(slot, dict):
            if slot.get(execution.job.job_id) is execution:
                del slot[execution.job.job_id]
                if len(slot) == 1:
                    self._by_thing[thing_name] = next(iter(slot.values()))
                elif not slot:
                    del self._by_thing[thing_name]
        elif slot is execution:
            del self._by_thing[thing_name]

    def replace(self, old: JobExecution, new: Optional[JobExecution]) -> None:
        """Swap `old` for `new` in place (keeps its queue position), or drop it."""
        slot = self._by_thing.get(old.thing_name)
        if new is None:
            self.remove(old)
        elif isinstance(slot, dict):
            slot[old.job.job_id] = new
        elif slot is old:
            self._by_thing[old.thing_name] = new

    def lone(self, thing_name: str) -> Optional[JobExecution]:
        """The thing's execution when it has exactly one."""
        slot = self._by_thing.get(thing_name)
        return None if slot is None or isinstance(slot, dict) else slot

    def of_thing(self, thing_name: str) -> list[JobExecution]:
        """The thing's latest executions, oldest queued first."""
        slot = self._by_thing.get(thing_name)
        if slot is None:
            return []
        if isinstance(slot, dict):
            return list(slot.values())
        return [slot]

    def things(self) -> Iterator[str]:
        return iter(self._by_thing)
