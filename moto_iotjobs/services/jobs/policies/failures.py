"""What happens after an execution fails: retries (jobExecutionsRetryConfig) and the job
abort (abortConfig).

Retry: a FAILED or TIMED_OUT execution whose failure type still has retries left is queued
again (QUEUED, retryAttempt + 1, new queuedAt, no startedAt) just after the failure, as an
event, so the caller that reported the failure sees FAILED and the next request sees the
retry. REJECTED is never retried. A canceled job attempts no more retries.

Abort: once at least minNumberOfExecutedThings executions have finished (SUCCEEDED, FAILED,
REJECTED, TIMED_OUT), the job is canceled as CancelJob without force would if the share of
the criterion's failure type reaches thresholdPercentage. AWS fills in its own reasonCode and
comment; their exact text is not documented (see README).
"""

from __future__ import annotations

from moto_iotjobs.services.jobs.lifecycle import (
    FAILED,
    JOB_CANCELED,
    JOB_IN_PROGRESS,
    QUEUED,
    REJECTED,
    SUCCEEDED,
    TIMED_OUT,
    Actor,
)
from moto_iotjobs.services.jobs.policies.timeouts import TimeDriven
from moto_iotjobs.services.jobs.records import Job, JobExecution

ABORT_REASON_CODE = "ABORT_CRITERIA_MET"
_FINISHED = (SUCCEEDED, FAILED, REJECTED, TIMED_OUT)
_FAILURE_TYPES = {"FAILED": (FAILED,), "REJECTED": (REJECTED,), "TIMED_OUT": (TIMED_OUT,), "ALL": (FAILED, REJECTED, TIMED_OUT)}


class FailurePolicies(TimeDriven):
    def after_execution_change(self, execution: JobExecution, previous: str, now: float) -> None:
        super().after_execution_change(execution, previous, now)
        status = execution.status
        if status == previous or status not in _FINISHED:
            return
        if status in (FAILED, TIMED_OUT):
            self._maybe_retry(execution, now)
        self._maybe_abort(execution.job, now)

    # --- retry ------------------------------------------------------------------------

    @staticmethod
    def retries_allowed(job: Job, status: str) -> int:
        criteria = (job.retry_config or {}).get("criteriaList") or []
        by_type = {c.get("failureType"): c.get("numberOfRetries") or 0 for c in criteria}
        if status in by_type:
            return int(by_type[status])
        return int(by_type.get("ALL", 0))

    def _maybe_retry(self, execution: JobExecution, now: float) -> None:
        job = execution.job
        if job.status != JOB_IN_PROGRESS:
            return
        allowed = self.retries_allowed(job, execution.status)
        used = (execution.retry_counts or {}).get(execution.status, 0)
        if used >= allowed:
            return
        job.extra["pending_retries"] = job.extra.get("pending_retries", 0) + 1
        self.at(now, "retry", execution)

    def on_retry(self, execution: JobExecution, when: float) -> None:
        job = execution.job
        job.extra["pending_retries"] = job.extra.get("pending_retries", 1) - 1
        failed_as = execution.status
        if job.status != JOB_IN_PROGRESS or failed_as not in (FAILED, TIMED_OUT) or not self.is_current(execution):
            self.maybe_complete(job, when)
            return
        counts = dict(execution.retry_counts or {})
        counts[failed_as] = counts.get(failed_as, 0) + 1
        execution.retry_counts = counts
        execution.retry_attempt += 1
        execution.queued_at = when
        execution.started_at = None
        self.change_status(execution, QUEUED, Actor.RETRY, when)

    def pending_rollout(self, job: Job) -> bool:
        return bool(job.extra.get("pending_retries")) or super().pending_rollout(job)

    # --- abort ------------------------------------------------------------------------

    def _maybe_abort(self, job: Job, now: float) -> None:
        if job.status == JOB_CANCELED or not job.abort_config:
            return
        finished = sum(job.count(s) for s in _FINISHED)
        for criterion in job.abort_config.get("criteriaList") or []:
            if finished < (criterion.get("minNumberOfExecutedThings") or 1):
                continue
            failures = sum(job.count(s) for s in _FAILURE_TYPES.get(criterion.get("failureType"), ()))
            threshold = float(criterion.get("thresholdPercentage") or 0)
            if 100.0 * failures / finished >= threshold:
                comment = (
                    f"Job aborted: {failures} of {finished} finished executions "
                    f"({100.0 * failures / finished:.2f}%) ended {criterion.get('failureType')}, "
                    f"reaching the abort threshold of {threshold:g}%"
                )
                self.cancel(job, False, ABORT_REASON_CODE, comment, now)
                return
