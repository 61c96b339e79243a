"""Time-driven behaviour, applied lazily: every request first applies what has come due.

No background threads. `advance(now)` runs before each request is answered, with `now` read
from the clock on that request (so freezegun and time-machine control it), and fires every
event whose time has passed, in time order, at its own time. Events are kept in one heap;
an event that no longer applies (the execution moved on) is dropped when it fires.

This module holds the scheduler and the execution timers (in-progress and step timeouts).
Retry and abort live in `failure_policies.py`, rollout pacing in `rollout.py`, schedules and
maintenance windows in `scheduling.py`.
"""

from __future__ import annotations

import heapq
from typing import Any, Optional

from moto_iotjobs.services.jobs.lifecycle import IN_PROGRESS, TIMED_OUT, Actor
from moto_iotjobs.services.jobs.records import JobExecution
from moto_iotjobs.services.jobs.store import JobStore


class TimeDriven(JobStore):
    def _init_timers(self) -> None:
        self._events: list[tuple[float, int, str, Any]] = []
        self._event_seq = 0

    def at(self, when: float, action: str, target: Any) -> None:
        """Run `self.on_<action>(target, when)` once the clock reaches `when`."""
        self._event_seq += 1
        heapq.heappush(self._events, (when, self._event_seq, action, target))

    def advance(self, now: float) -> None:
        """Apply every event that has come due by `now`."""
        events = self._events
        while events and events[0][0] <= now:
            when, _, action, target = heapq.heappop(events)
            getattr(self, f"on_{action}")(target, when)

    def is_current(self, execution: JobExecution) -> bool:
        return self.thing_executions.get(execution.thing_name, execution.job.job_id) is execution

    # --- execution timeouts ---------------------------------------------------------------

    def _arm_timeout(self, execution: JobExecution) -> None:
        deadline = execution.deadline()
        if deadline is not None:
            self.at(deadline, "timeout", execution)

    def on_timeout(self, execution: JobExecution, when: float) -> None:
        if execution.status == IN_PROGRESS and execution.deadline() == when and self.is_current(execution):
            self.change_status(execution, TIMED_OUT, Actor.TIMER, when)

    def after_execution_change(self, execution: JobExecution, previous: str, now: float) -> None:
        if execution.status == IN_PROGRESS and previous != IN_PROGRESS:
            minutes = (execution.job.timeout_config or {}).get("inProgressTimeoutInMinutes")
            if minutes:
                execution.in_progress_deadline = now + minutes * 60
                self._arm_timeout(execution)
        super().after_execution_change(execution, previous, now)

    def set_step_timeout(self, execution: JobExecution, minutes: Optional[int], now: float) -> None:
        """A new step timer replaces the previous one; -1 cancels it. The effective deadline
        never outlasts the in-progress timer (`JobExecution.deadline`)."""
        if minutes is None or execution.status != IN_PROGRESS:
            return
        execution.step_deadline = None if minutes == -1 else now + minutes * 60
        self._arm_timeout(execution)
