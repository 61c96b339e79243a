"""The state records: jobs and job executions.

Plain `__slots__` classes (a fleet test holds 10^5 executions, and memory per execution is
a performance target). They hold state only; the rules that change them live in
`lifecycle.py` and the backend, and their wire forms in `serialization.py`.
Timestamps are float epoch seconds, read through `clock.now()`.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Optional

from moto_iotjobs.services.jobs.indexes import StatusIndex
from moto_iotjobs.services.jobs.lifecycle import EXECUTION_STATUSES, JOB_IN_PROGRESS, QUEUED
from moto_iotjobs.timing.clock import no_earlier

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.policies.scheduling import Schedule


class Job:
    __slots__ = (
        "job_id",
        "arn",
        "seq",
        "status",
        "target_selection",
        "targets",
        "target_group_names",
        "target_group_ids",
        "document",
        "document_source",
        "description",
        "presigned_url_config",
        "rollout_config",
        "abort_config",
        "timeout_config",
        "retry_config",
        "scheduling_config",
        "tags",
        "namespace_id",
        "job_template_arn",
        "document_parameters",
        "destination_package_versions",
        "created_at",
        "last_updated_at",
        "completed_at",
        "force_canceled",
        "reason_code",
        "comment",
        "is_concurrent",
        "raw_document",
        "resolved_packages",
        "pending_retries",
        "earlier_executions",
        "rollout",
        "schedule",
        "by_status",
    )

    def __init__(self, job_id: str, arn: str, seq: int, now: float) -> None:
        self.job_id = job_id
        self.arn = arn
        self.seq = seq
        self.status = JOB_IN_PROGRESS
        self.target_selection = "SNAPSHOT"
        self.targets: list[str] = []
        self.target_group_names: list[str] = []
        self.target_group_ids: dict[str, str] = {}
        self.document: Optional[str] = None
        self.document_source: Optional[str] = None
        self.description: Optional[str] = None
        self.presigned_url_config: Optional[dict[str, Any]] = None
        self.rollout_config: Optional[dict[str, Any]] = None
        self.abort_config: Optional[dict[str, Any]] = None
        self.timeout_config: Optional[dict[str, Any]] = None
        self.retry_config: Optional[dict[str, Any]] = None
        self.scheduling_config: Optional[dict[str, Any]] = None
        self.tags: Optional[list[dict[str, str]]] = None
        self.namespace_id: Optional[str] = None
        self.job_template_arn: Optional[str] = None
        self.document_parameters: Optional[dict[str, str]] = None
        self.destination_package_versions: Optional[list[str]] = None
        self.created_at = now
        self.last_updated_at = now
        self.completed_at: Optional[float] = None
        self.force_canceled: Optional[bool] = None
        self.reason_code: Optional[str] = None
        self.comment: Optional[str] = None
        self.is_concurrent = False
        # The document before documentParameters substitution (GetJobDocument
        # beforeSubstitution), for a job created from a managed template.
        self.raw_document: Optional[str] = None
        # destinationPackageVersions resolved at creation: (package, version or None for $null)
        # pairs (`services/packages/deployment.py`), for ${aws:iot:package:...} and `$package`.
        self.resolved_packages: Optional[list[tuple[str, Optional[str]]]] = None
        # Retries decided but not yet queued (`policies/retry.py`): the job is not done yet.
        self.pending_retries = 0
        # Executions superseded by a later one of the same thing (a CONTINUOUS job's thing
        # that rejoined): none in the common case, so listings take the fast path.
        self.earlier_executions = 0
        # Executions still to create, while a paced rollout runs (`policies/rollout.py`).
        self.rollout: Optional[Rollout] = None
        # Start, end and maintenance windows (`policies/scheduling.py`).
        self.schedule: Optional[ScheduleState] = None
        # The latest execution of the job on each thing, by status (see `executions`).
        self.by_status: dict[str, StatusIndex] = {s: StatusIndex(s) for s in EXECUTION_STATUSES}

    def time_of_change(self, now: float) -> float:
        """When a change made at `now` is dated: never before the job's own timestamps, even
        when the clock went back (freezegun, time-machine)."""
        return no_earlier(now, self.created_at, self.last_updated_at, self.completed_at)

    def count(self, status: str) -> int:
        return len(self.by_status[status])

    def snapshot(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Every field but the status indexes (the store journals those), containers and
        time-driven state copied."""
        return _get_values(self), tuple(_copy(value) for value in _get_containers(self))

    def restore(self, state: tuple[tuple[Any, ...], tuple[Any, ...]]) -> None:
        values, containers = state
        for name, value in zip(_VALUE_FIELDS, values):
            setattr(self, name, value)
        for name, value in zip(_CONTAINER_FIELDS, containers):
            setattr(self, name, value)

    def executions_newest_first(self, before: Optional[int] = None) -> Iterator[JobExecution]:
        """Every current execution, highest seq first: a merge of the status indexes (one
        index fewer per execution than keeping a separate one)."""
        return heapq.merge(
            *(index.newest_first(before) for index in self.by_status.values() if len(index)),
            key=_negative_seq,
        )

    def every_execution_newest_first(self, before: Optional[int] = None) -> Iterator[JobExecution]:
        """Every execution, earlier execution numbers included, highest seq first. An
        earlier execution always has a lower seq than the one that superseded it, so it is
        pushed on a heap when its successor is yielded and comes out in order."""
        if not self.earlier_executions:
            yield from self.executions_newest_first(before)
            return
        earlier: list[tuple[int, JobExecution]] = []
        for current in self.executions_newest_first():
            while earlier and earlier[0][0] < -current.seq:
                yield from _yield_earlier(earlier, before)
            if before is None or current.seq < before:
                yield current
            if current.previous is not None:
                heapq.heappush(earlier, (-current.previous.seq, current.previous))
        while earlier:
            yield from _yield_earlier(earlier, before)

    def all_executions(self) -> list[JobExecution]:
        return [e for index in self.by_status.values() for e in index.values()]


def _yield_earlier(heap: list[tuple[int, JobExecution]], before: Optional[int]) -> Iterator[JobExecution]:
    """Pop the newest earlier execution (yielded when before `before`), pushing its own
    predecessor."""
    _, execution = heapq.heappop(heap)
    if execution.previous is not None:
        heapq.heappush(heap, (-execution.previous.seq, execution.previous))
    if before is None or execution.seq < before:
        yield execution


def _negative_seq(execution: JobExecution) -> int:
    return -execution.seq


#: Fields replaced whole (strings, numbers, configurations the operations never change in
#: place) and fields changed in place, which a snapshot copies.
_CONTAINER_FIELDS = ("targets", "target_group_names", "target_group_ids", "rollout", "schedule")
_VALUE_FIELDS = tuple(
    name for name in Job.__slots__ if name not in ("job_id", "arn", "seq", "by_status", *_CONTAINER_FIELDS)
)
_get_values = attrgetter(*_VALUE_FIELDS)
_get_containers = attrgetter(*_CONTAINER_FIELDS)


def _copy(value: Any) -> Any:
    """A copy deep enough that changes made in place after a snapshot do not reach it."""
    return None if value is None else value.copy()


@dataclass
class Rollout:
    """A paced rollout in progress: things still to reach, and how far the rate has grown."""

    remaining: deque[str]
    notified: int = 0  # executions created so far
    level: int = 0  # exponentialRate increases applied
    next_batch: Optional[float] = None  # when the armed batch fires, if one is armed

    def copy(self) -> Rollout:
        return Rollout(self.remaining.copy(), self.notified, self.level, self.next_batch)


@dataclass
class ScheduleState:
    """A scheduled job's schedule and where it stands in it."""

    schedule: Schedule
    resolved: bool = False  # targets resolved (at the first open maintenance window)
    window_closes: Optional[float] = None  # end of the open maintenance window, if one is open
    ended: bool = False  # endTime has passed

    def copy(self) -> ScheduleState:
        return replace(self)

    def holds_rollout(self) -> bool:
        """A job with maintenance windows rolls out only while one is open."""
        return bool(self.schedule.windows) and self.window_closes is None


class ExecutionExtras:
    """Fields few executions ever set, kept out of the record until one does."""

    __slots__ = (
        "status_details",
        "retry_attempt",
        "force_canceled",
        "retry_counts",
        "previous",
        "in_progress_deadline",
        "step_deadline",
        "detached",
    )

    def __init__(self) -> None:
        self.status_details: Optional[dict[str, str]] = None
        self.retry_attempt = 0
        self.force_canceled: Optional[bool] = None
        self.retry_counts: Optional[dict[str, int]] = None  # retries used, by failure type
        # An earlier execution of the same job on the same thing (a thing that left and
        # rejoined the group of a continuous job), kept for DescribeJobExecution by number.
        self.previous: Optional[JobExecution] = None
        self.in_progress_deadline: Optional[float] = None
        self.step_deadline: Optional[float] = None
        # No longer in its job's status index (superseded by a newer execution, or deleted).
        self.detached: Optional[bool] = None

    def values(self) -> tuple[Any, ...]:
        """Every field, in `__slots__` order (one C call: taken on every journaled change)."""
        return _extras_values(self)

    @classmethod
    def from_values(cls, values: tuple[Any, ...]) -> ExecutionExtras:
        """The extras `values()` saved (a rollback only)."""
        extras = cls()
        for name, value in zip(cls.__slots__, values):
            setattr(extras, name, value)
        return extras


_extras_values = attrgetter(*ExecutionExtras.__slots__)


def _extra(name: str, default: Any = None) -> property:
    def get(self: JobExecution) -> Any:
        extras = self.extras
        return default if extras is None else getattr(extras, name)

    def set_(self: JobExecution, value: Any) -> None:
        extras = self.extras
        if extras is None:
            if value == default:
                return
            extras = self.extras = ExecutionExtras()
        setattr(extras, name, value)

    return property(get, set_)


class JobExecution:
    __slots__ = (
        "job",
        "thing_name",
        "execution_number",
        "version_number",
        "status",
        "queued_at",
        "started_at",
        "last_updated_at",
        "seq",
        "extras",
    )

    # Set by few executions (a device reporting details, a retry, a cancel, a timer): kept in
    # `extras`, so a fleet of queued executions stays at ten slots each.
    status_details = _extra("status_details")
    retry_attempt = _extra("retry_attempt", 0)
    force_canceled = _extra("force_canceled")
    retry_counts = _extra("retry_counts")
    previous = _extra("previous")
    in_progress_deadline = _extra("in_progress_deadline")
    step_deadline = _extra("step_deadline")
    detached = _extra("detached")

    def __init__(
        self, job: Job, thing_name: str, execution_number: int, seq: int, now: float
    ) -> None:
        self.job = job
        self.thing_name = thing_name
        self.execution_number = execution_number
        self.version_number = 1
        self.status = QUEUED
        self.queued_at = now
        self.started_at: Optional[float] = None
        self.last_updated_at = now
        self.seq = seq
        self.extras: Optional[ExecutionExtras] = None

    def snapshot(self) -> tuple[Any, ...]:
        extras = self.extras
        return (
            self.version_number,
            self.status,
            self.queued_at,
            self.started_at,
            self.last_updated_at,
            None if extras is None else extras.values(),
        )

    def restore(self, state: tuple[Any, ...]) -> None:
        (
            self.version_number,
            self.status,
            self.queued_at,
            self.started_at,
            self.last_updated_at,
            extras,
        ) = state
        self.extras = None if extras is None else ExecutionExtras.from_values(extras)

    def time_of_change(self, now: float) -> float:
        """When a change made at `now` is dated: never before the record's own timestamps,
        even when the clock went back (freezegun, time-machine)."""
        return no_earlier(now, self.queued_at, self.started_at, self.last_updated_at)

    def deadline(self) -> Optional[float]:
        """The effective time-out: a step timer never outlasts the in-progress timer."""
        extras = self.extras
        if extras is None:
            return None
        step, overall = extras.step_deadline, extras.in_progress_deadline
        if step is None:
            return overall
        if overall is None:
            return step
        return min(step, overall)
