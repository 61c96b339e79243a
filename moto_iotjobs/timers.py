"""Time-driven behaviour, applied lazily: every request first applies what has come due.

No background threads: `advance(now)` runs before each request is answered, with `now` read
from the clock on that request, so freezegun and time-machine control it.
"""

from __future__ import annotations

import heapq
from typing import Optional

from .lifecycle import IN_PROGRESS, TIMED_OUT, Actor
from .records import Job, JobExecution
from .store import JobStore


class TimeDriven(JobStore):
    def _init_timers(self) -> None:
        # (deadline, seq, execution): lazily invalidated entries.
        self._deadlines: list[tuple[float, int, JobExecution]] = []

    def advance(self, now: float) -> None:
        """Apply every deadline that has passed by `now`."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            deadline, _, execution = heapq.heappop(deadlines)
            if execution.status == IN_PROGRESS and execution.deadline() == deadline and self.is_current(execution):
                self.change_status(execution, TIMED_OUT, Actor.TIMER, deadline)

    def is_current(self, execution: JobExecution) -> bool:
        return self.thing_executions.get(execution.thing_name, execution.job.job_id) is execution

    def _arm(self, execution: JobExecution) -> None:
        deadline = execution.deadline()
        if deadline is not None:
            heapq.heappush(self._deadlines, (deadline, execution.seq, execution))

    def after_execution_change(self, execution: JobExecution, previous: str, now: float) -> None:
        if execution.status == IN_PROGRESS and previous != IN_PROGRESS:
            minutes = (execution.job.timeout_config or {}).get("inProgressTimeoutInMinutes")
            if minutes:
                execution.in_progress_deadline = now + minutes * 60
                self._arm(execution)

    def set_step_timeout(self, execution: JobExecution, minutes: Optional[int], now: float) -> None:
        if minutes is None or execution.status != IN_PROGRESS:
            return
        execution.step_deadline = None if minutes == -1 else now + minutes * 60
        self._arm(execution)

    def scheduled_rollouts(self, job: Job, now: float) -> Optional[list[dict[str, str]]]:
        """Job.scheduledJobRollouts: the next maintenance window starts (see schedules)."""
        return None
