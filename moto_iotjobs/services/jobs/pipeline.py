"""The write pipeline: what every change of an execution's status sets off, in order.

`JobStore.change_status` applies a change (transition table, indexes, version, listeners)
and then calls each policy below in turn, so the order is the list's order, not an
inheritance chain's:

1. `timeouts.on_change`: an execution entering IN_PROGRESS arms its in-progress timer;
2. `retry.on_change`: a FAILED or TIMED_OUT execution with retries left is queued again
   (as an event just after the failure);
3. `abort.on_change`: once enough executions have finished, the job is canceled if the
   abortConfig threshold is reached.

Then the store completes the job if nothing is pending and no execution is still to come:
`PENDING_ROLLOUT` lists the checks of "still to come", any of which holds the job open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from moto_iotjobs.services.jobs.policies import abort, retry, rollout, timeouts

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.records import Job, JobExecution
    from moto_iotjobs.services.jobs.store import JobStore

#: policy(store, execution, previous status, now)
ExecutionPolicy = Callable[["JobStore", "JobExecution", str, float], None]

EXECUTION_CHANGE_POLICIES: tuple[ExecutionPolicy, ...] = (
    timeouts.on_change,
    retry.on_change,
    abort.on_change,
)

#: check(job) -> executions are still to be created for the job
PENDING_ROLLOUT: tuple[Callable[[Job], bool], ...] = (
    rollout.pending,
    retry.pending,
)
