"""Reliability suites: the figures they collect are printed at the end of the run."""

from __future__ import annotations

from typing import Any

from . import summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not summary.FIGURES:
        return
    terminalreporter.section("moto_iotjobs reliability figures")
    for line in summary.lines():
        terminalreporter.write_line(line)
    summary.write()
