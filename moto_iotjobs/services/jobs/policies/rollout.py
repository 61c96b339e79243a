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
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from moto_iotjobs.services.jobs.lifecycle import JOB_IN_PROGRESS, SUCCEEDED
from moto_iotjobs.services.jobs.records import Job, Rollout

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore

MINUTE = 60.0


def start_rollout(store: JobStore, job: Job, thing_names: Iterable[str], now: float) -> None:
    """Create a job's executions: all at once, or paced by its rollout configuration."""
    names = [n for n in thing_names if store.thing_executions.get(n, job.job_id) is None]
    if not job.rollout_config or not names:
        store.queue_executions(job, names, now)
        store.maybe_complete(job, now)
        return
    store.touch(job)
    job.rollout = Rollout(deque(names))
    job.is_concurrent = True
    rollout_batch(store, job, now)


def rollout_rate(job: Job) -> int:
    config = job.rollout_config or {}
    level = job.rollout.level if job.rollout is not None else 0
    maximum = config.get("maximumPerMinute")
    exponential = config.get("exponentialRate")
    if exponential:
        rate = math.floor(exponential["baseRatePerMinute"] * exponential["incrementFactor"] ** level)
        if maximum:
            rate = min(rate, maximum)
    else:
        rate = maximum or 1
    return max(1, int(rate))


def _raise_level(job: Job, state: Rollout) -> None:
    exponential = (job.rollout_config or {}).get("exponentialRate")
    if not exponential:
        return
    criteria = exponential.get("rateIncreaseCriteria") or {}
    notified_step = criteria.get("numberOfNotifiedThings")
    succeeded_step = criteria.get("numberOfSucceededThings")
    while True:
        target = state.level + 1
        if (notified_step and state.notified >= target * notified_step) or (
            succeeded_step and job.count(SUCCEEDED) >= target * succeeded_step
        ):
            state.level = target
        else:
            return


def _paused(job: Job) -> bool:
    """Whether a maintenance window holds the rollout (see `scheduling.py`)."""
    return job.schedule is not None and job.schedule.holds_rollout()


def rollout_batch(store: JobStore, job: Job, when: float) -> None:
    """Create this minute's executions and arm the next batch (one chain of batches:
    a resumed rollout does not start a second one while a batch is armed)."""
    state = job.rollout
    if state is None or job.status != JOB_IN_PROGRESS or _paused(job):
        return
    armed = state.next_batch
    if armed is not None and armed > when:
        return
    store.touch(job)
    state.next_batch = None
    _raise_level(job, state)
    remaining = state.remaining
    batch = [remaining.popleft() for _ in range(min(rollout_rate(job), len(remaining)))]
    state.notified += store.queue_executions(job, batch, when)
    if remaining:
        state.next_batch = when + MINUTE
        store.events.at(when + MINUTE, partial(_next_batch, store, job), owner=job)
    else:
        stop_rollout(store, job)
        store.maybe_complete(job, when)


def _next_batch(store: JobStore, job: Job, when: float) -> None:
    state = job.rollout
    if state is not None and state.next_batch == when:
        store.touch(job)
        state.next_batch = None
        rollout_batch(store, job, when)


def stop_rollout(store: JobStore, job: Job) -> None:
    """Create no more executions for the job."""
    if job.rollout is None and not job.is_concurrent:
        return
    store.touch(job)
    job.rollout = None
    job.is_concurrent = False


def pending(job: Job) -> bool:
    """A rollout in progress holds the job open."""
    return job.rollout is not None
