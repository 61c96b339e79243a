"""The job store: records, their indexes, and the primitive changes both planes share.

Every change of an execution's status goes through `change_status`, which consults the
transition table, keeps the per-job status indexes (and so jobProcessDetails) exact, bumps
versionNumber and lastUpdatedAt, tells listeners (notifications) what happened, and then
passes the change through the write pipeline (`pipeline.EXECUTION_CHANGE_POLICIES`, in
order) before completing a SNAPSHOT job that has nothing left to do. Every change is
journaled (`state.transaction`), so an operation that fails half-way is undone whole.
Operations live in `control_plane.py` and `device_plane.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Callable, Optional

from moto_iotjobs.protocol.errors import ResourceNotFoundException
from moto_iotjobs.services.jobs import pipeline
from moto_iotjobs.services.jobs.indexes import SeqIndex, ThingExecutions
from moto_iotjobs.services.jobs.lifecycle import (
    CANCELED,
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    JOB_TRANSITIONS,
    PENDING,
    QUEUED,
    SUCCEEDED,
    TERMINAL,
    UNVERSIONED_ACTORS,
    Actor,
    check_execution_transition,
)
from moto_iotjobs.services.jobs.policies import rollout
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.packages.deployment import on_execution_succeeded
from moto_iotjobs.state.transaction import Journal
from moto_iotjobs.timing.events import EventQueue

#: listener(event, job, execution_or_None, previous_status_or_None, now)
Listener = Callable[[str, Job, Optional[JobExecution], Optional[str], float], None]

_JobIndex = dict[str, SeqIndex[Job]]


class JobStore:
    """Jobs and executions of one account and region (used under the backend's lock)."""

    def __init__(self, account_id: str, region_name: str, partition: str, journal: Journal) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.partition = partition
        self.journal = journal
        self.events = EventQueue(journal)
        self.jobs: dict[str, Job] = {}
        self.jobs_all: SeqIndex[Job] = SeqIndex()
        self.jobs_by_status: _JobIndex = {}
        self.jobs_by_selection: _JobIndex = {}
        self.jobs_by_group_name: _JobIndex = {}
        self.jobs_by_group_id: _JobIndex = {}
        self.jobs_by_namespace: _JobIndex = {}
        #: IN_PROGRESS continuous jobs by the name of each group they target.
        self.continuous_jobs_by_group: dict[str, dict[str, Job]] = {}
        self.thing_executions = ThingExecutions()
        self.listeners: list[Listener] = []
        self._seq = 0

    # --- identity -----------------------------------------------------------------------

    def next_seq(self) -> int:
        seq = self._seq
        self.journal.record(lambda: setattr(self, "_seq", seq))
        self._seq = seq + 1
        return self._seq

    def arn(self, resource: str) -> str:
        return f"arn:{self.partition}:iot:{self.region_name}:{self.account_id}:{resource}"

    def get_job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ResourceNotFoundException(f"Job {job_id} does not exist")
        return job

    def get_execution(
        self, thing_name: str, job_id: str, execution_number: Optional[int] = None
    ) -> JobExecution:
        """The latest execution, or the one with `execution_number`; NF when there is none."""
        execution = self.thing_executions.get(thing_name, job_id)
        while execution is not None and execution_number is not None:
            if execution.execution_number == execution_number:
                break
            execution = execution.previous
        if execution is None:
            suffix = "" if execution_number is None else f" with execution number {execution_number}"
            raise ResourceNotFoundException(
                f"Job execution of job {job_id} on thing {thing_name}{suffix} does not exist"
            )
        return execution

    def is_current(self, execution: JobExecution) -> bool:
        return self.thing_executions.get(execution.thing_name, execution.job.job_id) is execution

    def emit(self, event: str, job: Job, execution: Optional[JobExecution], previous: Optional[str], now: float) -> None:
        for listener in self.listeners:
            listener(event, job, execution, previous, now)

    # --- journaled record changes -------------------------------------------------------

    def touch(self, record: Job | JobExecution) -> None:
        """Before changing a record's fields: save them for a rollback."""
        self.journal.touch(record)

    # --- job indexes --------------------------------------------------------------------

    def _job_keys(self, job: Job) -> list[tuple[_JobIndex, str]]:
        keys = [
            (self.jobs_by_status, job.status),
            (self.jobs_by_selection, job.target_selection),
        ]
        if job.namespace_id is not None:
            keys.append((self.jobs_by_namespace, job.namespace_id))
        keys.extend((self.jobs_by_group_name, name) for name in job.target_group_names)
        keys.extend((self.jobs_by_group_id, group_id) for group_id in job.target_group_ids.values())
        return keys

    # Each change records its undo first, and every undo also repairs a change that was
    # cut short half-way.

    def _index(self, keys: list[tuple[_JobIndex, str]], job: Job) -> None:
        self.journal.record(lambda: _unindex(keys, job))
        _index(keys, job)

    def _unindex(self, keys: list[tuple[_JobIndex, str]], job: Job) -> None:
        self.journal.record(lambda: _index(keys, job))
        _unindex(keys, job)

    def index_job(self, job: Job) -> None:
        jobs = self.jobs

        def undo() -> None:
            if jobs.get(job.job_id) is job:
                del jobs[job.job_id]
            self.jobs_all.discard(job.seq)

        self.journal.record(undo)
        jobs[job.job_id] = job
        self.jobs_all.add(job.seq, job)
        self._index(self._job_keys(job), job)
        self.track_continuous(job)

    def unindex_job(self, job: Job) -> None:
        jobs = self.jobs

        def undo() -> None:
            jobs[job.job_id] = job
            self.jobs_all.add(job.seq, job)

        self.journal.record(undo)
        del jobs[job.job_id]
        self.jobs_all.discard(job.seq)
        self._unindex(self._job_keys(job), job)
        self.untrack_continuous(job)

    def add_target_groups(self, job: Job, group_ids: dict[str, str]) -> None:
        self.touch(job)
        added: list[tuple[_JobIndex, str]] = []
        for name, group_id in group_ids.items():
            if name in job.target_group_ids:
                continue
            job.target_group_names.append(name)
            job.target_group_ids[name] = group_id
            added += [(self.jobs_by_group_name, name), (self.jobs_by_group_id, group_id)]
        self._index(added, job)
        self.track_continuous(job)

    def _save_continuous(self, names: Iterable[str]) -> None:
        table = self.continuous_jobs_by_group
        saved = [(name, dict(table[name]) if name in table else None) for name in names]

        def undo() -> None:
            for name, jobs in saved:
                if jobs is None:
                    table.pop(name, None)
                else:
                    table[name] = jobs

        self.journal.record(undo)

    def track_continuous(self, job: Job) -> None:
        if job.target_selection == "CONTINUOUS" and job.status == JOB_IN_PROGRESS:
            self._save_continuous(job.target_group_names)
            for name in job.target_group_names:
                self.continuous_jobs_by_group.setdefault(name, {})[job.job_id] = job

    def untrack_continuous(self, job: Job) -> None:
        self._save_continuous(job.target_group_names)
        for name in job.target_group_names:
            jobs = self.continuous_jobs_by_group.get(name)
            if jobs is not None and jobs.get(job.job_id) is job:
                del jobs[job.job_id]
                if not jobs:
                    del self.continuous_jobs_by_group[name]

    def set_job_status(self, job: Job, status: str, now: float, announce: bool = True) -> None:
        if job.status == status:
            return
        if status not in JOB_TRANSITIONS[job.status]:  # a defect of ours: answered as a 500
            raise AssertionError(f"job {job.job_id} can not move from {job.status} to {status}")
        self.touch(job)
        self._unindex([(self.jobs_by_status, job.status)], job)
        self.untrack_continuous(job)
        job.status = status
        job.last_updated_at = stamp = job.time_of_change(now)
        if status == JOB_COMPLETED:
            job.completed_at = stamp
        self._index([(self.jobs_by_status, status)], job)
        self.track_continuous(job)
        if announce:
            self.emit("job-status", job, None, None, now)

    # --- executions ---------------------------------------------------------------------

    def _save_thing(self, thing_name: str) -> None:
        things = self.thing_executions
        slot = things.slot(thing_name)
        self.journal.record(lambda: things.restore_slot(thing_name, slot))

    def _save_status_index(self, execution: JobExecution, status: str) -> None:
        index = execution.job.by_status[status]
        state = index.state()
        self.journal.record(lambda: index.restore(state))

    def _add_to_status(self, execution: JobExecution, status: str) -> None:
        self._save_status_index(execution, status)
        execution.job.by_status[status].add(execution)

    def _discard_from_status(self, execution: JobExecution, status: str) -> None:
        self._save_status_index(execution, status)
        execution.job.by_status[status].discard(execution)

    def queue_execution(self, job: Job, thing_name: str, now: float) -> JobExecution:
        """A new QUEUED execution of `job` on `thing_name` (execution number 1, or one more
        than the thing's previous execution of the same job)."""
        previous = self.thing_executions.get(thing_name, job.job_id)
        if previous is not None and previous.job is not job:
            previous = None  # a deleted job's leftover cannot happen, but never chain across jobs
        number = previous.execution_number + 1 if previous is not None else 1
        execution = JobExecution(job, thing_name, number, self.next_seq(), now)
        self._save_thing(thing_name)
        if previous is not None:
            execution.previous = previous
            self.touch(previous)
            self._discard_from_status(previous, previous.status)
            self.touch(job)
            job.earlier_executions += 1
        self.thing_executions.put(execution)
        self._add_to_status(execution, QUEUED)
        self.emit("execution-queued", job, execution, None, now)
        return execution

    def queue_executions(self, job: Job, thing_names: Iterable[str], now: float) -> int:
        """Bulk form of `queue_execution` for a job's first rollout (one record per thing)."""
        created: list[JobExecution] = []
        first_seq = next_seq = self._seq
        queued = job.by_status[QUEUED]
        queued_state = queued.state()
        things = self.thing_executions

        def undo() -> None:
            for execution in reversed(created):
                things.remove(execution)
            queued.restore(queued_state)
            self._seq = first_seq

        self.journal.record(undo)
        get = things.get
        put = things.put
        add = created.append
        for thing_name in thing_names:
            if get(thing_name, job.job_id) is not None:
                continue
            next_seq += 1
            execution = JobExecution(job, thing_name, 1, next_seq, now)
            add(execution)
            put(execution)
            queued.add(execution)
        self._seq = next_seq
        if created:
            for listener in self.listeners:
                bulk = getattr(listener, "executions_queued", None)
                if bulk is not None:
                    bulk(job, created, now)
                else:
                    for execution in created:
                        listener("execution-queued", job, execution, None, now)
        return len(created)

    def change_status(
        self,
        execution: JobExecution,
        status: str,
        actor: Actor,
        now: float,
        status_details: Optional[dict[str, str]] = None,
    ) -> None:
        """Move an execution through the transition table, keeping every index exact, then
        through the write pipeline."""
        previous = execution.status
        check_execution_transition(previous, status, actor, lambda: self.describe(execution))
        job = execution.job
        self.touch(execution)
        if previous != status:
            last_updated = job.last_updated_at  # the one field of the job changed here
            self.journal.record(lambda: setattr(job, "last_updated_at", last_updated))
        moves = previous != status and self.is_current(execution)
        if moves:
            self._discard_from_status(execution, previous)
        execution.status = status
        if moves:
            self._add_to_status(execution, status)
        if actor not in UNVERSIONED_ACTORS:
            execution.version_number += 1
        # Stored timestamps never go back, even when the clock does (time-travel libraries).
        execution.last_updated_at = stamp = execution.time_of_change(now)
        if status_details is not None:
            execution.status_details = status_details
        if status == IN_PROGRESS and execution.started_at is None:
            execution.started_at = stamp
        if status in TERMINAL or status == QUEUED:
            execution.in_progress_deadline = None
            execution.step_deadline = None
        if previous != status:
            job.last_updated_at = job.time_of_change(now)
        self.emit("execution-changed", job, execution, previous, now)
        if status == SUCCEEDED and previous != SUCCEEDED and job.resolved_packages:
            on_execution_succeeded(self.account_id, self.region_name, execution.thing_name, job, now)
        for policy in pipeline.EXECUTION_CHANGE_POLICIES:
            policy(self, execution, previous, now)
        if previous != status:
            self.maybe_complete(job, now)

    @staticmethod
    def describe(execution: JobExecution) -> str:
        return f"of job {execution.job.job_id} on thing {execution.thing_name}"

    def cancel(
        self, job: Job, force: bool, reason_code: Optional[str], comment: Optional[str], now: float
    ) -> None:
        """Cancel a job (CancelJob, abort, end of schedule): QUEUED executions always,
        IN_PROGRESS ones only with force."""
        self.touch(job)
        job.force_canceled = force or bool(job.force_canceled)
        if reason_code is not None:
            job.reason_code = reason_code
        if comment is not None:
            job.comment = comment
        self.emit("job-canceling", job, None, None, now)
        self.set_job_status(job, JOB_CANCELED, now, announce=False)
        job.last_updated_at = job.time_of_change(now)
        actor = Actor.FORCE_CANCEL if force else Actor.CANCEL
        statuses = (QUEUED, IN_PROGRESS) if force else (QUEUED,)
        for status in statuses:
            for execution in job.by_status[status].values():
                self.change_status(execution, CANCELED, actor, now)
                execution.force_canceled = force
        rollout.stop_rollout(self, job)
        self.emit("job-status", job, None, None, now)

    def remove_execution(self, execution: JobExecution, now: float) -> None:
        """Forget one execution record (DeleteJobExecution)."""
        job = execution.job
        self.touch(job)
        latest = self.thing_executions.get(execution.thing_name, job.job_id)
        if latest is execution:
            self.touch(execution)
            self._save_thing(execution.thing_name)
            self._discard_from_status(execution, execution.status)
            earlier = execution.previous
            self.thing_executions.replace(execution, earlier)
            if earlier is not None:
                self.touch(earlier)
                self._add_to_status(earlier, earlier.status)
                job.earlier_executions -= 1
        else:
            record = latest
            while record is not None and record.previous is not execution:
                record = record.previous
            if record is not None:
                self.touch(record)
                record.previous = execution.previous
                job.earlier_executions -= 1
        job.last_updated_at = job.time_of_change(now)
        self.emit("execution-deleted", job, execution, execution.status, now)
        self.maybe_complete(job, now)

    def remove_job(self, job: Job, now: float) -> None:
        """Forget a job, its executions and its pending timers (DeleteJob)."""
        self.emit("job-deleting", job, None, None, now)
        rollout.stop_rollout(self, job)
        executions = job.all_executions()
        for execution in executions:
            self._save_thing(execution.thing_name)
            self.thing_executions.remove(execution)
        self.unindex_job(job)
        self.events.cancel_owner(job)
        for execution in executions:
            self.emit("execution-deleted", job, execution, execution.status, now)
        self.emit("job-deleted", job, None, None, now)

    def pending_rollout(self, job: Job) -> bool:
        """Whether executions are still to come (`pipeline.PENDING_ROLLOUT`)."""
        return any(check(job) for check in pipeline.PENDING_ROLLOUT)

    def maybe_complete(self, job: Job, now: float) -> None:
        """A SNAPSHOT job is COMPLETED once every execution is terminal; a CONTINUOUS one
        only once its schedule has ended as well."""
        if (
            job.status == JOB_IN_PROGRESS
            and (job.target_selection == "SNAPSHOT" or (job.schedule is not None and job.schedule.ended))
            and not any(len(job.by_status[s]) for s in PENDING)
            and not self.pending_rollout(job)
        ):
            self.set_job_status(job, JOB_COMPLETED, now)


def _index(keys: list[tuple[_JobIndex, str]], job: Job) -> None:
    for table, key in keys:
        table.setdefault(key, SeqIndex()).add(job.seq, job)


def _unindex(keys: list[tuple[_JobIndex, str]], job: Job) -> None:
    for table, key in keys:
        index = table.get(key)
        if index is not None:
            index.discard(job.seq)
            if not len(index):
                del table[key]
