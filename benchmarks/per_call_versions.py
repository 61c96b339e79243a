"""Per-call ratios (ours/botocore floor) on two moto versions in one command, and moto's router cost.

    python benchmarks/per_call_versions.py --other-python /path/to/another-venv/bin/python
    python benchmarks/bench.py --quick --other-python .ci/work/venv-newest/bin/python   # the same, after bench's own tables

Each interpreter (this one, and ``--other-python``, e.g. a venv with the newest moto) runs,
in a subprocess with ``PYTHONPATH`` set to this checkout:

1. bench.py's per-call worker for "ours" (``worker_calls``): each call timed batch against
   batch with the botocore floor in the same process (the *same process* column of bench.py,
   on which the 1.25x target is judged);
2. a router pass: the same calls with moto's ``BotocoreStubber.__call__`` (every mocked
   request goes through it) and the plugin's dispatch wrapped in timers: the handlers of the
   direct route (``moto_integration/compat_router.py``, our operations straight from the
   stubber) and the plane dispatch moto's router calls. ``router`` is stubber time minus our
   dispatch time: on the direct route, its URL checks and moto's response object; through
   moto's router, also its URL matching and request conversion. Both figures are µs per
   call, beside the whole call.

Exit 1 when a ratio misses 1.25 on either version (``--report-only``: exit 0, and says so).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _table import REPORT_ONLY_BANNER, verdict  # noqa: E402 - after the path set-up

TARGET = 1.25
ROUTER_CALLS = 200


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("moto", "botocore")} | {
        "python": sys.version.split()[0]}


def router_pass(calls: int = ROUTER_CALLS) -> dict[str, dict[str, float]]:
    """µs per call in moto's stubber, in our dispatch, and in the whole boto3 call."""
    import bench
    from moto.core.botocore_stubber import BotocoreStubber

    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.moto_integration import planes

    try:
        from moto_iotjobs.moto_integration import compat_router
    except ImportError:  # a checkout from before the direct route (#19), for before/after
        compat_router = None  # type: ignore[assignment]

    spent = {"stubber": 0.0, "ours": 0.0}
    original_call = BotocoreStubber.__call__
    originals = {name: getattr(planes, name) for name in ("control_plane_dispatch", "device_plane_dispatch")}

    def timed_call(self: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original_call(self, *args, **kwargs)
        finally:
            spent["stubber"] += time.perf_counter() - start

    def timed(dispatch: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return dispatch(*args, **kwargs)
            finally:
                spent["ours"] += time.perf_counter() - start
        return wrapper

    result: dict[str, dict[str, float]] = {}
    route = compat_router._installed if compat_router else None  # None: MOTO_IOTJOBS_DIRECT_ROUTE=0
    direct = dict(route._handlers) if route is not None else {}
    BotocoreStubber.__call__ = timed_call  # type: ignore[method-assign]
    for name, dispatch in originals.items():
        setattr(planes, name, timed(dispatch))
    if route is not None:
        for name, loader in route._loaders.items():
            route._handlers[name] = timed(direct.get(name) or loader())
    try:
        with mock_iotjobs():
            iot, jd = bench.clients()
            arn = iot.create_thing(thingName=bench.THING)["thingArn"]
            list_arn = iot.create_thing(thingName=bench.LIST_THING)["thingArn"]
            iot.create_job(jobId=bench.JOB, targets=[arn], document=bench.DOC)
            for i in range(bench.LIST_JOBS):
                iot.create_job(jobId=f"list-{i:04d}", targets=[list_arn], document=bench.DOC)
            jd.update_job_execution(jobId=bench.JOB, thingName=bench.THING, status="IN_PROGRESS",
                                    statusDetails=bench.DETAILS)
            for key, (_, fn, _) in bench.make_ops(iot, jd).items():
                n = calls if not key.startswith("iot:List") else max(10, calls // 10)
                for _ in range(5):
                    fn()
                spent.update(stubber=0.0, ours=0.0)
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                whole = time.perf_counter() - start
                result[key] = {
                    "call_us": whole / n * 1e6,
                    "stubber_us": spent["stubber"] / n * 1e6,
                    "ours_us": spent["ours"] / n * 1e6,
                    "router_us": (spent["stubber"] - spent["ours"]) / n * 1e6,
                }
    finally:
        BotocoreStubber.__call__ = original_call  # type: ignore[method-assign]
        for name, dispatch in originals.items():
            setattr(planes, name, dispatch)
        if route is not None:
            route._handlers.clear()
            route._handlers.update(direct)
    return result


def worker(out: str, mode: str) -> int:
    import bench

    calls = bench.worker_calls("ours", bench.MODES[mode])
    report = {"versions": _versions(), "calls": calls, "router": router_pass()}
    with open(out, "w") as fh:
        json.dump(report, fh)
    return 0


def run_in(python: str, mode: str, timeout: float) -> dict[str, Any]:
    """The worker under ``python``, with this checkout first on its path and fake credentials."""
    import bench

    with tempfile.TemporaryDirectory(prefix="iotjobs-versions-") as tmp:
        out = os.path.join(tmp, "out.json")
        try:
            done = subprocess.run([python, os.path.abspath(__file__), "--worker", out, "--mode", mode],
                                  env=bench.child_env(REPO), capture_output=True, text=True,
                                  timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {timeout:.0f} s"}
        if not os.path.exists(out):
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return {"error": f"worker exit {done.returncode}: {tail[0][:100]}"}
        with open(out) as fh:
            result: dict[str, Any] = json.load(fh)
            return result


def report(runs: dict[str, dict[str, Any]]) -> bool:
    """Print the side-by-side table; True when every ratio meets the target."""
    import bench

    ok = True
    labels = list(runs)
    for label, run in runs.items():
        if "error" in run:
            print(f"  {label}: error: {run['error']}")
            ok = False
        else:
            v = run["versions"]
            print(f"  {label}: moto {v['moto']}, botocore {v['botocore']}, Python {v['python']}")
    head = f"  {'call':36}" + "".join(f"{'ours/floor ' + str(i + 1):>14}" for i in range(len(labels)))
    head += "".join(f"{'router µs ' + str(i + 1):>13}{'ours µs':>9}{'call µs':>9}" for i in range(len(labels)))
    print(head)
    for key, label in bench.OPS:
        row = f"  {label:36}"
        for run in runs.values():
            cell = run.get("calls", {}).get("ops", {}).get(key, {})
            ratio = cell.get("paired_ratio")
            if ratio is None:
                row += f"{'error':>14}"
                ok = False
            else:
                ok = ok and ratio <= TARGET
                row += f"{ratio:>12.2f}{'✓' if ratio <= TARGET else '✗':>2}"
        for run in runs.values():
            r = run.get("router", {}).get(key)
            row += f"{r['router_us']:>13.0f}{r['ours_us']:>9.0f}{r['call_us']:>9.0f}" if r else f"{'-':>31}"
        print(row)
    routers = [statistics.median(r["router_us"] / r["call_us"] for r in run["router"].values())
               for run in runs.values() if run.get("router")]
    print(f"  target ours/floor <= {TARGET} (same process, median of paired batches); router = moto's "
          "BotocoreStubber.__call__ minus our plane dispatch; median router share of a call: "
          + ", ".join(f"{100 * share:.0f} %" for share in routers))
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--other-python", help="a second interpreter (e.g. a venv with the newest moto)")
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    parser.add_argument("--timeout", type=float, default=120.0, help="per interpreter (s)")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.mode)
    if args.report_only:
        print(REPORT_ONLY_BANNER)
    pythons = {"1 (this python)": sys.executable}
    if args.other_python:
        pythons["2 (--other-python)"] = args.other_python
    print(f"per call, ours/floor on {len(pythons)} moto installation(s), {args.mode} mode")
    ok = report({label: run_in(python, args.mode, args.timeout) for label, python in pythons.items()})
    return verdict(ok, args.report_only)


if __name__ == "__main__":
    sys.exit(main())
