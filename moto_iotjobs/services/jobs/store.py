"""The job store: records, their indexes, and the primitive changes both planes share.

Every change of an execution's status goes through `change_status`, which consults the
transition table, keeps the per-job status indexes (and so jobProcessDetails) exact, bumps
versionNumber and lastUpdatedAt, completes SNAPSHOT jobs, and tells listeners
(notifications) what happened. Operations live in `control_plane.py` and `device_plane.py`.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional

from moto_iotjobs.protocol.errors import ResourceNotFoundException
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
    Actor,
    check_execution_transition,
)
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.packages.deployment import on_execution_succeeded

#: listener(event, job, execution_or_None, previous_status_or_None, now)
Listener = Callable[[str, Job, Optional[JobExecution], Optional[str], float], None]


class JobStore:
    """State of one account and region. Guard every public entry point with `self.lock`."""

    region_name: str
    account_id: str
    partition: str

    def _init_store(self) -> None:
        self.lock = threading.RLock()
        self.jobs: dict[str, Job] = {}
        self.jobs_all: SeqIndex[Job] = SeqIndex()
        self.jobs_by_status: dict[str, SeqIndex[Job]] = {}
        self.jobs_by_selection: dict[str, SeqIndex[Job]] = {}
        self.jobs_by_group_name: dict[str, SeqIndex[Job]] = {}
        self.jobs_by_group_id: dict[str, SeqIndex[Job]] = {}
        self.jobs_by_namespace: dict[str, SeqIndex[Job]] = {}
        #: IN_PROGRESS continuous jobs by the name of each group they target.
        self.continuous_jobs_by_group: dict[str, dict[str, Job]] = {}
        self.thing_executions = ThingExecutions()
        self.listeners: list[Listener] = []
        self._seq = 0

    # --- identity -----------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
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

    def emit(self, event: str, job: Job, execution: Optional[JobExecution], previous: Optional[str], now: float) -> None:
        for listener in self.listeners:
            listener(event, job, execution, previous, now)

    # --- job indexes --------------------------------------------------------------------

    @staticmethod
    def _index(table: dict[str, SeqIndex[Job]], key: Optional[str], job: Job) -> None:
        if key is not None:
            table.setdefault(key, SeqIndex()).add(job.seq, job)

    @staticmethod
    def _unindex(table: dict[str, SeqIndex[Job]], key: Optional[str], job: Job) -> None:
        if key is not None and key in table:
            index = table[key]
            index.discard(job.seq)
            if not len(index):
                del table[key]

    def index_job(self, job: Job) -> None:
        self.jobs[job.job_id] = job
        self.jobs_all.add(job.seq, job)
        self._index(self.jobs_by_status, job.status, job)
        self._index(self.jobs_by_selection, job.target_selection, job)
        self._index(self.jobs_by_namespace, job.namespace_id, job)
        for name in job.target_group_names:
            self._index(self.jobs_by_group_name, name, job)
        for group_id in job.target_group_ids.values():
            self._index(self.jobs_by_group_id, group_id, job)
        self.track_continuous(job)

    def unindex_job(self, job: Job) -> None:
        del self.jobs[job.job_id]
        self.jobs_all.discard(job.seq)
        self._unindex(self.jobs_by_status, job.status, job)
        self._unindex(self.jobs_by_selection, job.target_selection, job)
        self._unindex(self.jobs_by_namespace, job.namespace_id, job)
        for name in job.target_group_names:
            self._unindex(self.jobs_by_group_name, name, job)
        for group_id in job.target_group_ids.values():
            self._unindex(self.jobs_by_group_id, group_id, job)
        self.untrack_continuous(job)

    def add_target_groups(self, job: Job, group_ids: dict[str, str]) -> None:
        for name, group_id in group_ids.items():
            if name in job.target_group_ids:
                continue
            job.target_group_names.append(name)
            job.target_group_ids[name] = group_id
            self._index(self.jobs_by_group_name, name, job)
            self._index(self.jobs_by_group_id, group_id, job)
        self.track_continuous(job)

    def track_continuous(self, job: Job) -> None:
        if job.target_selection == "CONTINUOUS" and job.status == JOB_IN_PROGRESS:
            for name in job.target_group_names:
                self.continuous_jobs_by_group.setdefault(name, {})[job.job_id] = job

    def untrack_continuous(self, job: Job) -> None:
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
        self._unindex(self.jobs_by_status, job.status, job)
        self.untrack_continuous(job)
        job.status = status
        job.last_updated_at = now
        if status == JOB_COMPLETED:
            job.completed_at = now
        self._index(self.jobs_by_status, status, job)
        self.track_continuous(job)
        if announce:
            self.emit("job-status", job, None, None, now)

    # --- executions ---------------------------------------------------------------------

    def queue_execution(self, job: Job, thing_name: str, now: float) -> JobExecution:
        """A new QUEUED execution of `job` on `thing_name` (execution number 1, or one more
        than the thing's previous execution of the same job)."""
        previous = self.thing_executions.get(thing_name, job.job_id)
        if previous is not None and previous.job is not job:
            previous = None  # a deleted job's leftover cannot happen, but never chain across jobs
        number = previous.execution_number + 1 if previous is not None else 1
        execution = JobExecution(job, thing_name, number, self.next_seq(), now)
        if previous is not None:
            execution.previous = previous
            self._unindex_execution(previous)
        self.thing_executions.put(execution)
        job.by_status[QUEUED].add(execution)
        self.emit("execution-queued", job, execution, None, now)
        return execution

    def queue_executions(self, job: Job, thing_names: Any, now: float) -> int:
        """Bulk form of `queue_execution` for a job's first rollout (one record per thing)."""
        created: list[JobExecution] = []
        next_seq = self._seq
        queued = job.by_status[QUEUED]
        things = self.thing_executions
        get = things.get
        put = things.put
        for thing_name in thing_names:
            if get(thing_name, job.job_id) is not None:
                continue
            next_seq += 1
            execution = JobExecution(job, thing_name, 1, next_seq, now)
            put(execution)
            queued.add(execution)
            created.append(execution)
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

    def _unindex_execution(self, execution: JobExecution) -> None:
        execution.job.by_status[execution.status].discard(execution)

    def change_status(
        self,
        execution: JobExecution,
        status: str,
        actor: Actor,
        now: float,
        status_details: Optional[dict[str, str]] = None,
    ) -> None:
        """Move an execution through the transition table, keeping every index exact."""
        previous = execution.status
        check_execution_transition(previous, status, actor, self._describe(execution))
        job = execution.job
        current = self.thing_executions.get(execution.thing_name, job.job_id) is execution
        if current and previous != status:
            job.by_status[previous].discard(execution)
        execution.status = status
        if current and previous != status:
            job.by_status[status].add(execution)
        execution.version_number += 1
        execution.last_updated_at = now
        if status_details is not None:
            execution.status_details = status_details
        if status == IN_PROGRESS and execution.started_at is None:
            execution.started_at = now
        if status in TERMINAL or status == QUEUED:
            execution.in_progress_deadline = None
            execution.step_deadline = None
        if previous != status:
            job.last_updated_at = now
        self.emit("execution-changed", job, execution, previous, now)
        if status == SUCCEEDED and previous != SUCCEEDED and job.destination_package_versions:
            on_execution_succeeded(self.account_id, self.region_name, execution.thing_name, job, now)
        self.after_execution_change(execution, previous, now)
        if previous != status:
            self.maybe_complete(job, now)


    @staticmethod
    def _describe(execution: JobExecution) -> str:
        return f"of job {execution.job.job_id} on thing {execution.thing_name}"

    def cancel(
        self, job: Job, force: bool, reason_code: Optional[str], comment: Optional[str], now: float
    ) -> None:
        """Cancel a job (CancelJob, abort, end of schedule): QUEUED executions always,
        IN_PROGRESS ones only with force."""
        job.force_canceled = force or bool(job.force_canceled)
        if reason_code is not None:
            job.reason_code = reason_code
        if comment is not None:
            job.comment = comment
        self.emit("job-canceling", job, None, None, now)
        self.set_job_status(job, JOB_CANCELED, now, announce=False)
        job.last_updated_at = now
        actor = Actor.FORCE_CANCEL if force else Actor.CANCEL
        statuses = (QUEUED, IN_PROGRESS) if force else (QUEUED,)
        for status in statuses:
            for execution in job.by_status[status].values():
                self.change_status(execution, CANCELED, actor, now)
                execution.force_canceled = force
        self.stop_rollout(job, now)
        self.emit("job-status", job, None, None, now)

    def remove_execution(self, execution: JobExecution, now: float) -> None:
        """Forget one execution record (DeleteJobExecution)."""
        job = execution.job
        latest = self.thing_executions.get(execution.thing_name, job.job_id)
        if latest is execution:
            self._unindex_execution(execution)
            earlier = execution.previous
            self.thing_executions.replace(execution, earlier)
            if earlier is not None:
                job.by_status[earlier.status].add(earlier)
        else:
            record = latest
            while record is not None and record.previous is not execution:
                record = record.previous
            if record is not None:
                record.previous = execution.previous
        job.last_updated_at = now
        self.emit("execution-deleted", job, execution, execution.status, now)
        self.maybe_complete(job, now)

    def maybe_complete(self, job: Job, now: float) -> None:
        """A SNAPSHOT job is COMPLETED once every execution is terminal; a CONTINUOUS one
        only once its schedule has ended as well."""
        if (
            job.status == JOB_IN_PROGRESS
            and (job.target_selection == "SNAPSHOT" or job.extra.get("ended"))
            and not any(len(job.by_status[s]) for s in PENDING)
            and not self.pending_rollout(job)
        ):
            self.set_job_status(job, JOB_COMPLETED, now)

    # --- hooks: the defaults here; time-driven behaviour overrides them ---------------------

    def after_execution_change(self, execution: JobExecution, previous: str, now: float) -> None:
        """Called after every status change (timers, retry, abort: `timers.py`,
        `failure_policies.py`)."""

    def pending_rollout(self, job: Job) -> bool:
        """Whether executions are still to come (rollout, retries: `rollout.py`,
        `failure_policies.py`)."""
        return False

    def start_rollout(self, job: Job, thing_names: Any, now: float) -> None:
        """Create a job's executions (paced in `rollout.py`)."""
        self.queue_executions(job, thing_names, now)
        self.maybe_complete(job, now)

    def stop_rollout(self, job: Job, now: float) -> None:
        """Create no more executions for the job (`rollout.py`)."""

    def check_scheduling(self, config: Optional[dict[str, Any]], now: float) -> Any:
        """Validate schedulingConfig; the parsed schedule (`scheduling.py`)."""
        return None

    def schedule_job(self, job: Job, schedule: Any, now: float) -> None:
        """Arm a job's start, end and maintenance windows (`scheduling.py`)."""

    def scheduled_rollouts(self, job: Job, now: float) -> Optional[list[dict[str, str]]]:
        """Job.scheduledJobRollouts (`scheduling.py`)."""
        return None

    def set_step_timeout(self, execution: JobExecution, minutes: Optional[int], now: float) -> None:
        """Arm, replace or (-1) cancel an execution's step timer (`timers.py`)."""

    def advance(self, now: float) -> None:
        """Apply what has come due by `now` (`timers.py`)."""
