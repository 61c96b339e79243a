"""Execution timers: the in-progress timeout (timeoutConfig) and step timeouts
(stepTimeoutInMinutes), as events of the store's event queue (`timing/events.py`).

The effective deadline is the earlier of the two (`JobExecution.deadline`); an armed timer
that finds the deadline moved (a new step timer, a status change) does nothing.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Optional

from moto_iotjobs.services.jobs.lifecycle import IN_PROGRESS, TIMED_OUT, Actor
from moto_iotjobs.services.jobs.records import JobExecution

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore


def on_change(store: JobStore, execution: JobExecution, previous: str, now: float) -> None:
    """Pipeline step: an execution entering IN_PROGRESS arms its in-progress timer."""
    if execution.status == IN_PROGRESS and previous != IN_PROGRESS:
        minutes = (execution.job.timeout_config or {}).get("inProgressTimeoutInMinutes")
        if minutes:
            execution.in_progress_deadline = now + minutes * 60
            _arm(store, execution)


def set_step_timeout(store: JobStore, execution: JobExecution, minutes: Optional[int], now: float) -> None:
    """A new step timer replaces the previous one; -1 cancels it. The effective deadline
    never outlasts the in-progress timer (`JobExecution.deadline`)."""
    if minutes is None or execution.status != IN_PROGRESS:
        return
    store.touch(execution)
    execution.step_deadline = None if minutes == -1 else now + minutes * 60
    _arm(store, execution)


def _arm(store: JobStore, execution: JobExecution) -> None:
    deadline = execution.deadline()
    if deadline is not None:
        store.events.at(deadline, partial(_time_out, store, execution), owner=execution.job)


def _time_out(store: JobStore, execution: JobExecution, when: float) -> None:
    if execution.status == IN_PROGRESS and execution.deadline() == when and store.is_current(execution):
        store.change_status(execution, TIMED_OUT, Actor.TIMER, when)
