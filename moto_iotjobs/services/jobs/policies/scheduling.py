"""Scheduled jobs (schedulingConfig): start and end times, end behaviour, maintenance windows.

A job with a startTime in the future is SCHEDULED (and invisible to devices) until then; its
targets are resolved when it starts. `endTime` ends the rollout with `endBehavior`:
STOP_ROLLOUT (the default) creates no more executions, CANCEL and FORCE_CANCEL cancel the job
as CancelJob would without and with force. With maintenanceWindows (AWS cron expressions and
a duration) the job rolls out only while a window is open: IN_PROGRESS during a window,
SCHEDULED between windows while executions remain to be created; `scheduledJobRollouts`
lists the next seven window starts.

Validation of the time ranges, from the AWS IoT API reference (SchedulingConfig):
startTime 30 minutes to 1 year ahead; endTime 30 minutes to 2 years ahead and 30 minutes to
2 years after startTime. Times are "YYYY-MM-DDTHH:MM" (seconds, fraction and a UTC offset are
accepted too), UTC when no offset is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, Optional

from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.services.jobs.lifecycle import (
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    JOB_SCHEDULED,
)
from moto_iotjobs.services.jobs.policies.rollout import rollout_batch, start_rollout, stop_rollout
from moto_iotjobs.services.jobs.records import Job, ScheduleState
from moto_iotjobs.services.jobs.targets import THING, iot_registry, parse_targets, resolve_things
from moto_iotjobs.timing.cron import CronError, CronSchedule, parse_cron

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore

MINUTES_30 = 30 * 60
YEAR = 365 * 24 * 3600
SCHEDULED_ROLLOUTS_SHOWN = 7

_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_time(text: str, member: str) -> float:
    match = _TIME.match(text)
    if match is None:
        raise InvalidRequestException(
            f"schedulingConfig.{member} '{text}' is not a date and time of the form YYYY-MM-DDTHH:MM"
        )
    try:
        moment = datetime.strptime(
            f"{match.group('date')} {match.group('hour')}:{match.group('minute')}:{match.group('second') or '00'}",
            "%Y-%m-%d %H:%M:%S",
        )
    except ValueError:
        raise InvalidRequestException(f"schedulingConfig.{member} '{text}' is not a valid date") from None
    zone = match.group("zone")
    offset = timedelta(0)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=timezone(offset)).timestamp()


def format_time(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M")


@dataclass
class Schedule:
    start: Optional[float]
    end: Optional[float]
    end_behavior: str
    windows: list[tuple[CronSchedule, int]] = field(default_factory=list)

    def starts_later(self, now: float) -> bool:
        return (self.start is not None and self.start > now) or bool(self.windows)

    def open_window(self, moment: float) -> Optional[float]:
        """The end of the window open at `moment`, if one is."""
        at = datetime.fromtimestamp(moment, timezone.utc)
        for cron, minutes in self.windows:
            opened = cron.next_after(at - timedelta(minutes=minutes + 1))
            while opened is not None and opened.timestamp() <= moment:
                closes = opened.timestamp() + minutes * 60
                if moment < closes:
                    return closes
                opened = cron.next_after(opened)
        return None

    def next_window_start(self, moment: float) -> Optional[float]:
        at = datetime.fromtimestamp(moment, timezone.utc)
        starts = [cron.next_after(at) for cron, _ in self.windows]
        found = [s.timestamp() for s in starts if s is not None]
        return min(found) if found else None

    def upcoming_starts(self, moment: float, count: int) -> list[float]:
        out: list[float] = []
        for cron, _ in self.windows:
            at = datetime.fromtimestamp(moment, timezone.utc)
            for _ in range(count):
                nxt = cron.next_after(at)
                if nxt is None:
                    break
                out.append(nxt.timestamp())
                at = nxt
        return sorted(set(out))[:count]


def check_scheduling(config: Optional[dict[str, Any]], now: float) -> Optional[Schedule]:
    """Validate schedulingConfig; the parsed schedule."""
    if not config:
        return None
    start = parse_time(config["startTime"], "startTime") if config.get("startTime") else None
    end = parse_time(config["endTime"], "endTime") if config.get("endTime") else None
    if start is not None and not (now + MINUTES_30 <= start <= now + YEAR):
        raise InvalidRequestException(
            "schedulingConfig.startTime must be at least 30 minutes and at most one year from now"
        )
    if end is not None:
        if not (now + MINUTES_30 <= end <= now + 2 * YEAR):
            raise InvalidRequestException(
                "schedulingConfig.endTime must be at least 30 minutes and at most two years from now"
            )
        begin = start if start is not None else now
        if not (begin + MINUTES_30 <= end <= begin + 2 * YEAR):
            raise InvalidRequestException(
                "schedulingConfig.endTime must be between 30 minutes and two years after startTime"
            )
    windows = []
    for index, window in enumerate(config.get("maintenanceWindows") or [], start=1):
        try:
            windows.append((parse_cron(window["startTime"]), int(window["durationInMinutes"])))
        except CronError as error:
            raise InvalidRequestException(
                f"schedulingConfig.maintenanceWindows.{index}.startTime is not a valid cron "
                f"expression: {error}"
            ) from None
    return Schedule(start, end, config.get("endBehavior") or "STOP_ROLLOUT", windows)


def schedule_job(store: JobStore, job: Job, schedule: Optional[Schedule], now: float) -> None:
    """Arm a job's start, end and maintenance windows."""
    if schedule is None:
        return
    store.touch(job)
    job.schedule = ScheduleState(schedule)
    if job.status == JOB_SCHEDULED:
        first = schedule.start if schedule.start is not None and schedule.start > now else now
        _at(store, job, first, _start)
    if schedule.end is not None:
        _at(store, job, schedule.end, _end)


def _at(store: JobStore, job: Job, when: float, action: Any) -> None:
    store.events.at(when, partial(action, store, job), owner=job)


def _start(store: JobStore, job: Job, when: float) -> None:
    state = job.schedule
    if state is None or job.status != JOB_SCHEDULED or state.ended:
        return
    schedule = state.schedule
    if schedule.windows:
        closes = schedule.open_window(when)
        if closes is None:
            nxt = schedule.next_window_start(when)
            if nxt is not None:
                _at(store, job, nxt, _window_open)
            return
        _open_window(store, job, state, when, closes)
        return
    store.set_job_status(job, JOB_IN_PROGRESS, when)
    start_rollout(store, job, _resolve(store, job), when)


def _resolve(store: JobStore, job: Job) -> dict[str, None]:
    """Targets resolved at start time; things or groups deleted meanwhile are skipped."""
    registry = iot_registry(store.account_id, store.region_name)
    targets = [
        t
        for t in parse_targets(job.targets, store.account_id, store.region_name)
        if (t.arn in registry.things if t.kind == THING else t.arn in registry.thing_groups)
    ]
    return resolve_things(registry, targets)


def _open_window(store: JobStore, job: Job, state: ScheduleState, when: float, closes: float) -> None:
    store.touch(job)
    state = job.schedule or state
    state.window_closes = closes
    store.set_job_status(job, JOB_IN_PROGRESS, when)
    if not state.resolved:
        state.resolved = True
        start_rollout(store, job, _resolve(store, job), when)
    else:
        rollout_batch(store, job, when)
    _at(store, job, closes, _window_close)


def _window_open(store: JobStore, job: Job, when: float) -> None:
    state = job.schedule
    if state is None or job.status != JOB_SCHEDULED or state.ended:
        return
    closes = state.schedule.open_window(when)
    if closes is not None:
        _open_window(store, job, state, when, closes)


def _window_close(store: JobStore, job: Job, when: float) -> None:
    state = job.schedule
    if state is None or state.window_closes != when:
        return
    store.touch(job)
    state = job.schedule
    assert state is not None
    state.window_closes = None
    if job.status == JOB_IN_PROGRESS and job.rollout is not None:
        store.set_job_status(job, JOB_SCHEDULED, when)
        job.is_concurrent = False
    nxt = state.schedule.next_window_start(when)
    if nxt is not None and not state.ended:
        _at(store, job, nxt, _window_open)


def _end(store: JobStore, job: Job, when: float) -> None:
    state = job.schedule
    if state is None or job.status in (JOB_CANCELED, JOB_COMPLETED):
        return
    store.touch(job)
    state = job.schedule
    assert state is not None
    state.ended = True
    stop_rollout(store, job)
    store.untrack_continuous(job)
    behavior = state.schedule.end_behavior
    if behavior in ("CANCEL", "FORCE_CANCEL"):
        store.cancel(job, behavior == "FORCE_CANCEL", None, None, when)
        return
    if job.status == JOB_SCHEDULED:
        store.set_job_status(job, JOB_IN_PROGRESS, when)
    store.maybe_complete(job, when)


def scheduled_rollouts(job: Job, now: float) -> Optional[list[dict[str, str]]]:
    """Job.scheduledJobRollouts: the next maintenance window starts."""
    state = job.schedule
    if state is None or not state.schedule.windows or state.ended:
        return None
    schedule = state.schedule
    begin = max(now, schedule.start or now)
    return [{"startTime": format_time(t)} for t in schedule.upcoming_starts(begin, SCHEDULED_ROLLOUTS_SHOWN)]
