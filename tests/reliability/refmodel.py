"""A small, independent reference model of IoT Jobs, for the state-machine test.

Written from the behaviour decisions in issue #7 and docs/BEHAVIOUR.md, not from the
plugin: nothing here imports `moto_iotjobs`. Each operation returns what the service must
answer, `Ok(value)` or `Err(code)`, and applies the change only when it is accepted.

Decisions it encodes:
- executions start QUEUED with versionNumber 1; every accepted change (device or service:
  cancel, timeout) adds exactly 1; a removal (REMOVED) keeps it (issue #13, live capture);
- CancelJob cancels QUEUED executions, with force IN_PROGRESS ones too; cancelling a
  COMPLETED job, or a CANCELED one again without force, is InvalidRequest;
- a CANCELED job never becomes COMPLETED; CONTINUOUS jobs never complete; a SNAPSHOT job is
  COMPLETED once every (latest) execution is terminal, at once when it reaches no thing;
- a thing deleted gets its pending executions REMOVED (any job); a thing that no longer
  belongs to a target group of a CONTINUOUS job (and is not a direct target) gets its QUEUED
  execution REMOVED (an IN_PROGRESS one stays); a thing that joins a target group of an
  IN_PROGRESS CONTINUOUS job it did not reach before gets a new QUEUED execution, numbered one
  more than its last, unless its newest is still QUEUED or IN_PROGRESS (issue #13);
- GetPendingJobExecutions: IN_PROGRESS first then QUEUED, each oldest first, 10 at most;
- a device asking for a status only the service sets is InvalidStateTransition (before the
  execution is looked up and before any version check; issue #13, captured on the live
  service); a device's stale expectedVersion is InvalidStateTransition (409);
  control-plane CancelJobExecution answers VersionConflict;
- timeouts: entering IN_PROGRESS arms inProgressTimeoutInMinutes; stepTimeoutInMinutes
  arms (or with -1 clears) a step timer; the earlier deadline wins; at the deadline (the
  clock has reached it) the execution is TIMED_OUT.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Optional, Union

QUEUED, IN_PROGRESS = "QUEUED", "IN_PROGRESS"
SUCCEEDED, FAILED, REJECTED = "SUCCEEDED", "FAILED", "REJECTED"
TIMED_OUT, REMOVED, CANCELED = "TIMED_OUT", "REMOVED", "CANCELED"
PENDING = frozenset({QUEUED, IN_PROGRESS})
TERMINAL = frozenset({SUCCEEDED, FAILED, REJECTED, TIMED_OUT, REMOVED, CANCELED})
DEVICE_STATUSES = frozenset({IN_PROGRESS, SUCCEEDED, FAILED, REJECTED})
COUNTERS = {
    QUEUED: "numberOfQueuedThings",
    IN_PROGRESS: "numberOfInProgressThings",
    SUCCEEDED: "numberOfSucceededThings",
    FAILED: "numberOfFailedThings",
    REJECTED: "numberOfRejectedThings",
    TIMED_OUT: "numberOfTimedOutThings",
    REMOVED: "numberOfRemovedThings",
    CANCELED: "numberOfCanceledThings",
}
MAX_PENDING = 10

# Error codes.
IR = "InvalidRequestException"
NF = "ResourceNotFoundException"
AE = "ResourceAlreadyExistsException"
IST = "InvalidStateTransitionException"
VC = "VersionConflictException"


@dataclass(frozen=True)
class Ok:
    value: Any = None


@dataclass(frozen=True)
class Err:
    code: str


Outcome = Union[Ok, Err]


@dataclass
class Execution:
    job: Job
    thing: str
    number: int
    seq: int
    status: str = QUEUED
    version: int = 1
    details: Optional[dict[str, str]] = None
    started: bool = False
    in_progress_deadline: Optional[float] = None
    step_deadline: Optional[float] = None

    def deadline(self) -> Optional[float]:
        deadlines = [d for d in (self.in_progress_deadline, self.step_deadline) if d is not None]
        return min(deadlines) if deadlines else None


@dataclass
class Job:
    uid: int
    job_id: str
    selection: str
    thing_targets: list[str]
    group_targets: list[str]
    timeout_minutes: Optional[int]
    status: str = "IN_PROGRESS"
    # Every execution record of each thing, oldest number first; the last is the current one.
    executions: dict[str, list[Execution]] = field(default_factory=dict)

    def current(self, thing: str) -> Optional[Execution]:
        records = self.executions.get(thing)
        return records[-1] if records else None

    def currents(self) -> list[Execution]:
        return [records[-1] for records in self.executions.values() if records]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(COUNTERS.values(), 0)
        for execution in self.currents():
            out[COUNTERS[execution.status]] += 1
        return out


class Model:
    def __init__(self, now: float) -> None:
        self.now = now
        self.things: set[str] = set()
        self.groups: dict[str, list[str]] = {}  # group -> member things, in join order
        self.jobs: dict[str, Job] = {}
        self._seq = itertools.count(1)
        self._uid = itertools.count(1)

    # --- helpers ------------------------------------------------------------------------

    def groups_of(self, thing: str) -> set[str]:
        return {g for g, members in self.groups.items() if thing in members}

    def reaches(self, job: Job, thing: str) -> bool:
        return thing in job.thing_targets or bool(self.groups_of(thing) & set(job.group_targets))

    def _queue(self, job: Job, thing: str) -> Execution:
        records = job.executions.setdefault(thing, [])
        number = records[-1].number + 1 if records else 1
        execution = Execution(job, thing, number, next(self._seq))
        records.append(execution)
        return execution

    def _change(self, execution: Execution, status: str,
                details: Optional[dict[str, str]] = None, bump: bool = True) -> None:
        previous = execution.status
        execution.status = status
        if bump:
            execution.version += 1
        if details is not None:
            execution.details = details
        if status == IN_PROGRESS and previous != IN_PROGRESS:
            execution.started = True
            minutes = execution.job.timeout_minutes
            if minutes:
                execution.in_progress_deadline = self.now + minutes * 60
        if status in TERMINAL:
            execution.in_progress_deadline = None
            execution.step_deadline = None
        self._maybe_complete(execution.job)

    def _maybe_complete(self, job: Job) -> None:
        if (
            job.status == "IN_PROGRESS"
            and job.selection == "SNAPSHOT"
            and all(e.status in TERMINAL for e in job.currents())
        ):
            job.status = "COMPLETED"

    def pending(self, thing: str) -> tuple[list[Execution], list[Execution]]:
        currents = [job.current(thing) for job in self.jobs.values()]
        live = sorted((e for e in currents if e is not None), key=lambda e: e.seq)
        in_progress = [e for e in live if e.status == IN_PROGRESS]
        queued = [e for e in live if e.status == QUEUED]
        in_progress = in_progress[:MAX_PENDING]
        return in_progress, queued[: MAX_PENDING - len(in_progress)]

    def next_pending(self, thing: str) -> Optional[Execution]:
        in_progress, queued = self.pending(thing)
        candidates = in_progress or queued
        return candidates[0] if candidates else None

    # --- registry -----------------------------------------------------------------------

    def create_thing(self, thing: str) -> None:
        self.things.add(thing)

    def add_to_group(self, thing: str, group: str) -> None:
        before = self.groups_of(thing)
        if thing not in self.groups[group]:
            self.groups[group].append(thing)
        self._reconcile(thing, before)

    def remove_from_group(self, thing: str, group: str) -> None:
        before = self.groups_of(thing)
        if thing in self.groups[group]:
            self.groups[group].remove(thing)
        self._reconcile(thing, before)

    def delete_group(self, group: str) -> None:
        befores = {thing: self.groups_of(thing) for thing in self.groups[group]}
        for thing in self.groups.pop(group):
            self._reconcile(thing, befores[thing])

    def delete_thing(self, thing: str) -> None:
        self.things.discard(thing)
        for members in self.groups.values():
            if thing in members:
                members.remove(thing)
        for job in self.jobs.values():
            execution = job.current(thing)
            if execution is not None and execution.status in PENDING:
                self._change(execution, REMOVED, bump=False)

    def _reconcile(self, thing: str, before: set[str]) -> None:
        groups = self.groups_of(thing)
        for job in self.jobs.values():  # creation order
            if job.selection != "CONTINUOUS":
                continue
            current = job.current(thing)
            targets = set(job.group_targets)
            joined = bool((groups - before) & targets)
            reached_before = thing in job.thing_targets or bool(before & targets)
            if job.status == "IN_PROGRESS" and joined and not reached_before:
                if current is None or current.status not in PENDING:
                    self._queue(job, thing)
            elif current is not None and current.status == QUEUED and not self.reaches(job, thing):
                self._change(current, REMOVED, bump=False)

    # --- control plane ------------------------------------------------------------------

    def create_job(self, job_id: str, selection: str, thing_targets: list[str],
                   group_targets: list[str], timeout_minutes: Optional[int]) -> Outcome:
        if job_id in self.jobs:
            return Err(AE)
        if any(t not in self.things for t in thing_targets) or any(
            g not in self.groups for g in group_targets
        ):
            return Err(NF)
        job = Job(next(self._uid), job_id, selection, list(thing_targets), list(group_targets),
                  timeout_minutes)
        self.jobs[job_id] = job
        reached: dict[str, None] = dict.fromkeys(thing_targets)
        for group in group_targets:
            reached.update(dict.fromkeys(self.groups[group]))
        for thing in reached:
            self._queue(job, thing)
        self._maybe_complete(job)
        return Ok(job)

    def cancel_job(self, job_id: str, force: bool) -> Outcome:
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        if job.status == "COMPLETED" or (job.status == "CANCELED" and not force):
            return Err(IR)
        job.status = "CANCELED"
        for execution in job.currents():
            if execution.status == QUEUED or (force and execution.status == IN_PROGRESS):
                self._change(execution, CANCELED)
        return Ok()

    def delete_job(self, job_id: str, force: bool) -> Outcome:
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        if job.status not in ("COMPLETED", "CANCELED") and not force:
            return Err(IST)
        del self.jobs[job_id]
        return Ok()

    def associate_targets(self, job_id: str, group: str) -> Outcome:
        """AssociateTargetsWithJob of one group: its things join the job as a group join does."""
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        if job.selection != "CONTINUOUS" or job.status != "IN_PROGRESS":
            return Err(IR)
        if group not in self.groups:
            return Err(NF)
        if group in job.group_targets:
            return Ok()
        joiners = [t for t in self.groups[group] if not self.reaches(job, t)]
        job.group_targets.append(group)
        for thing in joiners:
            current = job.current(thing)
            if current is None or current.status not in PENDING:
                self._queue(job, thing)
        return Ok()

    def update_job_timeout(self, job_id: str, minutes: int) -> Outcome:
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        job.timeout_minutes = minutes  # applies to executions that start later
        return Ok()

    def cancel_job_execution(self, thing: str, job_id: str, force: bool,
                             expected: Optional[int], details: Optional[dict[str, str]]) -> Outcome:
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        execution = job.current(thing)
        if execution is None:
            return Err(NF)
        if expected is not None and expected != execution.version:
            return Err(VC)
        if execution.status == QUEUED or (execution.status == IN_PROGRESS and force):
            self._change(execution, CANCELED, details)
            return Ok()
        return Err(IST)

    def delete_job_execution(self, thing: str, job_id: str, number: int, force: bool) -> Outcome:
        job = self.jobs.get(job_id)
        if job is None:
            return Err(NF)
        records = job.executions.get(thing, [])
        matches = [e for e in records if e.number == number]
        if not matches:
            return Err(NF)
        execution = matches[0]
        if execution.status in PENDING and not force:
            return Err(IST)
        records.remove(execution)
        if not records:
            del job.executions[thing]
        self._maybe_complete(job)
        return Ok()

    # --- device plane -------------------------------------------------------------------

    def start_next(self, thing: str, details: Optional[dict[str, str]],
                   step: Optional[int]) -> Outcome:
        execution = self.next_pending(thing)
        if execution is None or execution.status == IN_PROGRESS:
            return Ok(execution)
        self._change(execution, IN_PROGRESS, details)
        self._set_step(execution, step)
        return Ok(execution)

    def update(self, thing: str, job_id: str, status: str, expected: Optional[int],
               details: Optional[dict[str, str]], step: Optional[int]) -> Outcome:
        if status not in DEVICE_STATUSES:  # a status only the service sets: refused first
            return Err(IST)
        job = self.jobs.get(job_id)
        execution = job.current(thing) if job is not None else None
        if execution is None:
            return Err(NF)
        if expected is not None and expected != execution.version:
            return Err(IST)
        if execution.status in TERMINAL:
            return Err(IST)
        self._change(execution, status, details)
        self._set_step(execution, step)
        return Ok(execution)

    def _set_step(self, execution: Execution, step: Optional[int]) -> None:
        if step is None or execution.status != IN_PROGRESS:
            return
        execution.step_deadline = None if step == -1 else self.now + step * 60

    # --- time ---------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        self.now += seconds
        while True:
            due = [
                (deadline, e.seq, e)
                for job in self.jobs.values()
                for e in job.currents()
                if e.status == IN_PROGRESS
                and (deadline := e.deadline()) is not None
                and deadline <= self.now
            ]
            if not due:
                return
            execution = min(due, key=lambda item: (item[0], item[1]))[2]
            self._change(execution, TIMED_OUT)

    # --- views --------------------------------------------------------------------------

    def all_executions(self) -> list[Execution]:
        return [e for job in self.jobs.values() for records in job.executions.values() for e in records]
