"""AWS cron expressions, for job maintenance windows.

The form AWS uses across services (EventBridge, IoT Jobs maintenance windows):
`cron(Minutes Hours Day-of-month Month Day-of-week Year)`, six fields, with `*`, `?`,
lists (`,`), ranges (`-`), steps (`/`), month and weekday names, weekdays 1-7 = SUN-SAT,
`L` (last day of the month) in day-of-month. The `cron(...)` wrapper is optional here.
Times are UTC.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Optional

_MONTHS = {name: i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS = {k.upper(): v for k, v in _MONTHS.items()}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_WRAPPER = re.compile(r"^\s*cron\((?P<body>.*)\)\s*$", re.IGNORECASE)


class CronError(ValueError):
    """The expression is not a valid AWS cron expression."""


def _field(text: str, low: int, high: int, names: Optional[dict[str, int]] = None) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"bad step in {text!r}")
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _value(first, names), _value(last, names)
        else:
            start = _value(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise CronError(f"{text!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _value(text: str, names: Optional[dict[str, int]]) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number")
    return int(text)


@dataclass(frozen=True)
class CronSchedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: Optional[frozenset[int]]  # None: any (or "?")
    last_day: bool
    months: frozenset[int]
    weekdays: Optional[frozenset[int]]  # 1-7 = SUN-SAT; None: any
    years: Optional[frozenset[int]]

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        day_ok = True
        if self.last_day:
            day_ok = day.day == calendar.monthrange(day.year, day.month)[1]
        elif self.days is not None:
            day_ok = day.day in self.days
        weekday_ok = True
        if self.weekdays is not None:
            weekday_ok = (day.isoweekday() % 7) + 1 in self.weekdays
        return day_ok and weekday_ok

    def next_after(self, moment: datetime, limit_days: int = 366 * 5) -> Optional[datetime]:
        """The first time strictly after `moment` (UTC) that the schedule fires."""
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(limit_days):
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse_cron(expression: str) -> CronSchedule:
    wrapped = _WRAPPER.match(expression)
    body = wrapped.group("body") if wrapped else expression
    fields = body.split()
    if len(fields) != 6:
        raise CronError(f"{expression!r} must have 6 fields: minutes hours day-of-month month day-of-week year")
    minute, hour, day, month, weekday, year = fields
    if day != "?" and weekday != "?":
        raise CronError("one of day-of-month and day-of-week must be '?'")
    last_day = day.upper() == "L"
    return CronSchedule(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days=None if day in ("?", "*") or last_day else _field(day, 1, 31),
        last_day=last_day,
        months=_field(month, 1, 12, _MONTHS),
        weekdays=None if weekday in ("?", "*") else _field(weekday, 1, 7, _WEEKDAYS),
        years=None if year in ("*", "?") else _field(year, 1970, 2199),
    )
