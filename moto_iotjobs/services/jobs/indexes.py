"""Indexes that keep every list and filter proportional to its answer, not to the store.

`SeqIndex` orders records by their creation sequence number (the order AWS lists them in,
newest first) and pages from any position in O(log n + page). `ThingExecutions` holds the
latest execution of each job on each thing; most fleets have one job per thing at a time,
so a lone execution is stored bare rather than in a dict of its own (memory per execution
is a performance target).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import TYPE_CHECKING, Generic, Optional, TypeVar, Union

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.records import JobExecution

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

    def slot(self, thing_name: str) -> Optional[_Slot]:
        """A copy of the thing's entry, for `restore_slot` (undo)."""
        slot = self._by_thing.get(thing_name)
        return dict(slot) if isinstance(slot, dict) else slot

    def restore_slot(self, thing_name: str, slot: Optional[_Slot]) -> None:
        if slot is None:
            self._by_thing.pop(thing_name, None)
        else:
            self._by_thing[thing_name] = slot

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



class StatusIndex:
    """A job's current executions in one status, ordered by seq, for counts and listings.

    A plain list of executions rather than a dict: at 10^5 executions per job the entry
    size matters. An entry goes stale when its execution leaves the status (or is detached:
    superseded or deleted); stale entries are skipped when read and dropped once they
    outnumber the live ones. `len()` is exact at all times (it is jobProcessDetails).
    """

    __slots__ = ("status", "_entries", "_live", "_sorted")

    def __init__(self, status: str) -> None:
        self.status = status
        self._entries: list[JobExecution] = []
        self._live = 0
        self._sorted = True

    def __len__(self) -> int:
        return self._live

    def state(self) -> tuple[list[JobExecution], int, int, bool]:
        """What `restore` needs to put the index back as it is now (entries are only ever
        appended to a list, or the list replaced whole by a compaction)."""
        return self._entries, len(self._entries), self._live, self._sorted

    def restore(self, state: tuple[list[JobExecution], int, int, bool]) -> None:
        entries, length, self._live, self._sorted = state
        del entries[length:]
        self._entries = entries

    def add(self, execution: JobExecution) -> None:
        """Index `execution`, whose status is already this one."""
        execution.detached = None
        entries = self._entries
        if entries and execution.seq < entries[-1].seq:
            self._sorted = False
        entries.append(execution)
        self._live += 1

    def discard(self, execution: JobExecution) -> None:
        """Forget `execution` (call before changing its status, or when detaching it)."""
        if execution.status == self.status:
            execution.detached = True
        self._live -= 1
        if len(self._entries) > 2 * self._live + 32:
            self._compact()

    def _is_live(self, execution: JobExecution) -> bool:
        return execution.status == self.status and not execution.detached

    def _compact(self) -> None:
        seen: set[int] = set()
        live = []
        for execution in sorted(self._entries, key=_seq):
            if execution.seq not in seen and self._is_live(execution):
                seen.add(execution.seq)
                live.append(execution)
        self._entries = live
        self._sorted = True

    def _ready(self) -> list[JobExecution]:
        if not self._sorted:
            self._entries.sort(key=_seq)
            self._sorted = True
        return self._entries

    def newest_first(self, before: Optional[int] = None) -> Iterator[JobExecution]:
        entries = self._ready()
        low, high = 0, len(entries)
        if before is not None:  # first index with seq >= before (bisect without key=, 3.9)
            while low < high:
                middle = (low + high) // 2
                if entries[middle].seq < before:
                    low = middle + 1
                else:
                    high = middle
            index = low
        else:
            index = high
        previous = -1
        while index > 0:
            index -= 1
            execution = entries[index]
            if execution.seq != previous and self._is_live(execution):
                previous = execution.seq
                yield execution

    def values(self) -> list[JobExecution]:
        return list(self.newest_first())[::-1]


def _seq(execution: JobExecution) -> int:
    return execution.seq
