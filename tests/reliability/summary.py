"""Figures the reliability suites collect (examples run, bad inputs tried per operation),
printed at the end of the pytest run and, when IOTJOBS_RELIABILITY_SUMMARY names a file,
written there as JSON."""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict

_lock = threading.Lock()
FIGURES: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))


def record(section: str, key: str, count: int = 1) -> None:
    with _lock:
        FIGURES[section][key] += count


def lines() -> list[str]:
    out = []
    for section in sorted(FIGURES):
        values = FIGURES[section]
        out.append(f"{section}: " + ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    return out


def write(path: str | None = None) -> None:
    path = path or os.environ.get("IOTJOBS_RELIABILITY_SUMMARY")
    if path and FIGURES:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({s: dict(v) for s, v in FIGURES.items()}, handle, indent=1, sort_keys=True)
