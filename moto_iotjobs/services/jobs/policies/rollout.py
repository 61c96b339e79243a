"""Rollout pacing (jobExecutionsRolloutConfig): executions are created over time.

`maximumPerMinute` creates at most that many executions a minute. `exponentialRate` starts
at baseRatePerMinute and multiplies the rate by incrementFactor each time another
`rateIncreaseCriteria` step is reached (numberOfNotifiedThings executions created, or
numberOfSucceededThings executions succeeded, counted cumulatively: 1000, 2000, 3000 ...),
capped by maximumPerMinute when both are given. The job reports isConcurrent while it
rolls out. A continuous job's later members are queued at once (AWS: rollout limits apply
to the members at creation). Maintenance windows pause a rollout (`scheduling.py`).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from moto_iotjobs.services.jobs.lifecycle import JOB_IN_PROGRESS, SUCCEEDED
from moto_iotjobs.services.jobs.policies.timeouts import TimeDriven
from moto_iotjobs.services.jobs.records import Job

MINUTE = 60.0


class RolloutPacing(TimeDriven):
    def start_rollout(self, job: Job, thing_names: Any, now: float) -> None:
        names = [n for n in thing_names if self.thing_executions.get(n, job.job_id) is None]
        if not job.rollout_config or not names:
            self.queue_executions(job, names, now)
            self.maybe_complete(job, now)
            return
        job.extra["rollout"] = {"remaining": deque(names), "notified": 0, "level": 0}
        job.is_concurrent = True
        self.rollout_batch(job, now)

    @staticmethod
    def rollout_rate(job: Job) -> int:
        config = job.rollout_config or {}
        state = job.extra.get("rollout") or {}
        maximum = config.get("maximumPerMinute")
        exponential = config.get("exponentialRate")
        if exponential:
            rate = math.floor(
                exponential["baseRatePerMinute"] * exponential["incrementFactor"] ** state.get("level", 0)
            )
            if maximum:
                rate = min(rate, maximum)
        else:
            rate = maximum or 1
        return max(1, int(rate))

    def _raise_level(self, job: Job, state: dict[str, Any]) -> None:
        exponential = (job.rollout_config or {}).get("exponentialRate")
        if not exponential:
            return
        criteria = exponential.get("rateIncreaseCriteria") or {}
        notified_step = criteria.get("numberOfNotifiedThings")
        succeeded_step = criteria.get("numberOfSucceededThings")
        while True:
            target = state["level"] + 1
            if (notified_step and state["notified"] >= target * notified_step) or (
                succeeded_step and job.count(SUCCEEDED) >= target * succeeded_step
            ):
                state["level"] = target
            else:
                return

    def rollout_paused(self, job: Job) -> bool:
        """Whether a maintenance window holds the rollout (see `scheduling.py`)."""
        return False

    def rollout_batch(self, job: Job, when: float) -> None:
        """Create this minute's executions and arm the next batch (one chain of batches:
        a resumed rollout does not start a second one while a batch is armed)."""
        state = job.extra.get("rollout")
        if state is None or job.status != JOB_IN_PROGRESS or self.rollout_paused(job):
            return
        armed = state.get("next_batch")
        if armed is not None and armed > when:
            return
        state["next_batch"] = None
        self._raise_level(job, state)
        remaining: deque[str] = state["remaining"]
        batch = [remaining.popleft() for _ in range(min(self.rollout_rate(job), len(remaining)))]
        state["notified"] += self.queue_executions(job, batch, when)
        if remaining:
            state["next_batch"] = when + MINUTE
            self.at(when + MINUTE, "rollout", job)
        else:
            self.stop_rollout(job, when)
            self.maybe_complete(job, when)

    def on_rollout(self, job: Job, when: float) -> None:
        state = job.extra.get("rollout")
        if state is not None and state.get("next_batch") == when:
            state["next_batch"] = None
            self.rollout_batch(job, when)

    def stop_rollout(self, job: Job, now: float) -> None:
        job.extra.pop("rollout", None)
        job.is_concurrent = False

    def pending_rollout(self, job: Job) -> bool:
        return "rollout" in job.extra or super().pending_rollout(job)
