"""Retries (jobExecutionsRetryConfig): a failed execution is queued again.

A FAILED or TIMED_OUT execution whose failure type still has retries left is queued again
(QUEUED, retryAttempt + 1, new queuedAt, no startedAt) just after the failure, as an event,
so the caller that reported the failure sees FAILED and the next request sees the retry.
REJECTED is never retried. A canceled job attempts no more retries.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from moto_iotjobs.services.jobs.lifecycle import FAILED, JOB_IN_PROGRESS, QUEUED, TIMED_OUT, Actor
from moto_iotjobs.services.jobs.records import Job, JobExecution

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore


def retries_allowed(job: Job, status: str) -> int:
    criteria = (job.retry_config or {}).get("criteriaList") or []
    by_type = {c.get("failureType"): c.get("numberOfRetries") or 0 for c in criteria}
    if status in by_type:
        return int(by_type[status])
    return int(by_type.get("ALL", 0))


def on_change(store: JobStore, execution: JobExecution, previous: str, now: float) -> None:
    """Pipeline step: arm a retry of a FAILED or TIMED_OUT execution with retries left."""
    status = execution.status
    if status == previous or status not in (FAILED, TIMED_OUT):
        return
    job = execution.job
    if job.status != JOB_IN_PROGRESS:
        return
    used = (execution.retry_counts or {}).get(status, 0)
    if used >= retries_allowed(job, status):
        return
    store.touch(job)
    job.pending_retries += 1
    store.events.at(now, partial(_retry, store, execution), owner=job)


def pending(job: Job) -> bool:
    """Retries decided but not yet queued hold the job open."""
    return job.pending_retries > 0


def _retry(store: JobStore, execution: JobExecution, when: float) -> None:
    job = execution.job
    store.touch(job)
    job.pending_retries = max(0, job.pending_retries - 1)
    failed_as = execution.status
    if job.status != JOB_IN_PROGRESS or failed_as not in (FAILED, TIMED_OUT) or not store.is_current(execution):
        store.maybe_complete(job, when)
        return
    store.touch(execution)
    counts = dict(execution.retry_counts or {})
    counts[failed_as] = counts.get(failed_as, 0) + 1
    execution.retry_counts = counts
    execution.retry_attempt += 1
    execution.queued_at = execution.time_of_change(when)  # never before its last change
    execution.started_at = None
    store.change_status(execution, QUEUED, Actor.RETRY, when)
