"""Per-test cost: the `iotjobs` fixture against plain moto, in one process (issue #19).

One "test" is: fixture setup, one `iot` and one `iot-jobs-data` client, one call on each
(ListJobs, GetPendingJobExecutions), fixture teardown (moto's reset included).

- **ours**: the `iotjobs` fixture's own generator (what pytest runs), with a real
  `pytest.MonkeyPatch`, clients from `handle.client(...)`.
- **plain**: what a test without the plugin's fixture does: fake credentials in the
  environment, `with mock_aws():`, `boto3.client(...)` for both clients. moto_iotjobs is
  imported in this process, so plain `mock_aws` answers the same two calls through the same
  plugin routes: the difference is the per-test overhead, not the calls.

The two alternate test by test, so a noisy neighbour slows both, with an untimed
`gc.collect()` before each. Figures are medians.

    python benchmarks/per_test.py            # exit 1 when a target is missed
    python benchmarks/per_test.py --quick --report-only

Targets: ours ≤ 20 ms per test, ours/plain ≤ 0.25.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from typing import Any, Callable

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from _table import REPORT_ONLY_BANNER, verdict  # noqa: E402 - after the path set-up

TARGET_MS = 20.0
TARGET_RATIO = 0.25


def _calls(iot: Any, data: Any) -> None:
    iot.list_jobs()
    data.get_pending_job_executions(thingName="per-test-thing")


def ours_test() -> None:
    import pytest

    from moto_iotjobs.pytest_plugin import iotjobs

    fixture: Callable[..., Any] = _unwrap_fixture(iotjobs)
    monkeypatch = pytest.MonkeyPatch()
    try:
        gen = fixture(monkeypatch)
        handle = next(gen)
        _calls(handle.client("iot"), handle.client("iot-jobs-data"))
        for _ in gen:
            pass
    finally:
        monkeypatch.undo()


def _unwrap_fixture(fixture: Any) -> Callable[..., Any]:
    """The plain generator function behind a `@pytest.fixture` (pytest 8.4+ and older)."""
    if hasattr(fixture, "_get_wrapped_function"):
        return fixture._get_wrapped_function()  # type: ignore[no-any-return]
    return fixture.__pytest_wrapped__.obj  # type: ignore[no-any-return]


def plain_test() -> None:
    import boto3
    import pytest
    from moto import mock_aws

    from moto_iotjobs.pytest_plugin import _FAKE_ENVIRONMENT

    monkeypatch = pytest.MonkeyPatch()
    try:
        for name, value in _FAKE_ENVIRONMENT.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            _calls(boto3.client("iot", region_name="us-east-1"),
                   boto3.client("iot-jobs-data", region_name="us-east-1"))
    finally:
        monkeypatch.undo()


def measure(rounds: int) -> dict[str, list[float]]:
    import moto_iotjobs  # noqa: F401 - routes iot jobs for both columns

    for _ in range(2):  # warm-up: imports, first parse of the models
        ours_test()
        plain_test()
    times: dict[str, list[float]] = {"ours": [], "plain": [], "ours_cpu": [], "plain_cpu": []}
    for _ in range(rounds):
        for name, run in (("ours", ours_test), ("plain", plain_test)):
            # untimed: the garbage the previous test left (plain's is large: a whole parsed
            # model set) is not billed to the next one.
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            run()
            times[f"{name}_cpu"].append((time.process_time() - start_cpu) * 1000)
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 rounds instead of 40 (a few seconds)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--report-only", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args(argv)
    rounds = args.rounds or (10 if args.quick else 40)
    if args.report_only:
        print(REPORT_ONLY_BANNER, flush=True)
    times = measure(rounds)
    med = {key: statistics.median(values) for key, values in times.items()}
    ours, plain = med["ours_cpu"], med["plain_cpu"]
    ratio = ours / plain
    print(f"per-test cost, median of {rounds} alternating rounds "
          "(fixture setup+teardown, iot + iot-jobs-data client, one call each)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; targets are judged on "
          "CPU time (time.process_time): wall time on a shared machine mostly measures the neighbours")
    print(f"{'':34}{'CPU ms':>8}{'wall ms':>9}")
    print(f"  ours  (iotjobs fixture)         {ours:8.1f}{med['ours']:9.1f}   target <= {TARGET_MS:.0f} ms   "
          f"{'met' if ours <= TARGET_MS else 'MISSED'}")
    print(f"  plain (mock_aws + boto3.client) {plain:8.1f}{med['plain']:9.1f}")
    print(f"  ours/plain                      {ratio:8.2f}{med['ours'] / med['plain']:9.2f}   "
          f"target <= {TARGET_RATIO}      {'met' if ratio <= TARGET_RATIO else 'MISSED'}")
    return verdict(ours <= TARGET_MS and ratio <= TARGET_RATIO, args.report_only)


if __name__ == "__main__":
    sys.exit(main())
