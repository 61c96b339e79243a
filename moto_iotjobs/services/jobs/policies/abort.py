"""The job abort (abortConfig): too many failures cancel the job.

Once at least minNumberOfExecutedThings executions have finished (SUCCEEDED, FAILED,
REJECTED, TIMED_OUT), the job is canceled as CancelJob without force would if the share of
the criterion's failure type reaches thresholdPercentage. AWS fills in its own reasonCode and
comment; their exact text is not documented (see README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto_iotjobs.services.jobs.lifecycle import (
    FAILED,
    JOB_CANCELED,
    REJECTED,
    SUCCEEDED,
    TIMED_OUT,
)
from moto_iotjobs.services.jobs.records import JobExecution

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore

ABORT_REASON_CODE = "ABORT_CRITERIA_MET"
_FINISHED = (SUCCEEDED, FAILED, REJECTED, TIMED_OUT)
_FAILURE_TYPES = {"FAILED": (FAILED,), "REJECTED": (REJECTED,), "TIMED_OUT": (TIMED_OUT,), "ALL": (FAILED, REJECTED, TIMED_OUT)}


def on_change(store: JobStore, execution: JobExecution, previous: str, now: float) -> None:
    """Pipeline step: after an execution finished, cancel the job if a criterion is met."""
    if execution.status == previous or execution.status not in _FINISHED:
        return
    job = execution.job
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
            store.cancel(job, False, ABORT_REASON_CODE, comment, now)
            return
