"""What persistence (`--state-dir`) costs: per-write overhead, journal bytes per write, and
startup time for a large state (journal replay, and snapshot + empty journal).

    python benchmarks/persistence.py                    # 100,000 executions (1,000 things x 100 jobs)
    python benchmarks/persistence.py --things 200 --jobs 10 --writes 500   # quick
    python benchmarks/persistence.py --report-only      # exit 0 even when the target is missed

Writes are device updates (iot-jobs-data UpdateJobExecution) sent to moto's server WSGI
application in process (no sockets: the network would drown the figure on a shared machine),
without persistence, then with `--fsync batch` (the default) and `--fsync always`. Target:
the median write with `batch` costs at most 1 ms more than without persistence (exit 1 if not).
Startup is measured in fresh subprocesses calling `enable_persistence(state_dir)`.
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
)
TARGET_MS = 1.0


def _auth(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )


def call(app: Any, method: str, path: str, service: str, body: Any = None) -> bytes:
    from werkzeug.test import EnvironBuilder

    data = json.dumps(body).encode() if body is not None else b""
    builder = EnvironBuilder(
        method=method, path=path, data=data, content_type="application/json",
        headers={"Authorization": _auth(service), "Host": "localhost:5000"},
    )
    environ = builder.get_environ()
    statuses: list[str] = []
    result = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    content = b"".join(result)
    if not statuses[0].startswith("2"):
        raise SystemExit(f"{method} {path} failed: {statuses[0]}")
    return content


def build_fleet(app: Any, things: int, jobs: int) -> None:
    call(app, "POST", "/thing-groups/fleet", "iot", {})
    for i in range(things):
        call(app, "POST", f"/things/dev{i}", "iot", {})
        call(app, "PUT", "/thing-groups/addThingToThingGroup", "iot", {"thingGroupName": "fleet", "thingName": f"dev{i}"})
    arn = "arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"
    for j in range(jobs):
        call(app, "PUT", f"/jobs/job{j}", "iot", {"targets": [arn], "document": '{"op": "x"}'})


def time_writes(app: Any, writes: int, things: int) -> list[float]:
    samples = []
    for n in range(writes):
        thing = f"dev{n % things}"
        started = time.perf_counter()
        call(app, "POST", f"/things/{thing}/jobs/job0", "iot-jobs-data",
             {"status": "IN_PROGRESS", "statusDetails": {"n": str(n)}})
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run_writes(mode: str, writes: int, things: int, state_dir: str) -> None:
    """In a subprocess: one mode's write latencies (ms) as JSON on stdout."""
    from moto_iotjobs.moto_integration import compat
    from moto_iotjobs.moto_integration.registration import register

    register()
    persistence = None
    if mode != "none":
        from moto_iotjobs.serving.persistence import enable_persistence

        persistence = enable_persistence(state_dir, fsync=mode)
    app = compat.moto_server_app()
    build_fleet(app, things, 1)
    time_writes(app, 50, things)  # warm-up
    size_before = os.path.getsize(os.path.join(state_dir, "journal.log")) if persistence else 0
    samples = time_writes(app, writes, things)
    size_after = os.path.getsize(os.path.join(state_dir, "journal.log")) if persistence else 0
    print(json.dumps({"samples": samples, "bytes_per_write": (size_after - size_before) / writes}))


def run_build(state_dir: str, things: int, jobs: int, snapshot: bool) -> None:
    from moto_iotjobs.moto_integration import compat
    from moto_iotjobs.serving.persistence import disable_persistence, enable_persistence

    enable_persistence(state_dir, fsync="batch", compact_bytes=1 << 40)
    build_fleet(compat.moto_server_app(), things, jobs)
    started = time.perf_counter()
    disable_persistence(compact=snapshot)
    print(json.dumps({"stop_seconds": time.perf_counter() - started}))


def run_start(state_dir: str, jobs: int) -> None:
    started = time.perf_counter()
    from moto_iotjobs.serving import persistence

    persistence.enable_persistence(state_dir)
    seconds = time.perf_counter() - started
    from moto_iotjobs.moto_integration import compat

    app = compat.moto_server_app()
    executions = 0
    for j in range(jobs):
        details = json.loads(call(app, "GET", f"/jobs/job{j}", "iot"))["job"]["jobProcessDetails"]
        executions += sum(v for k, v in details.items() if k.startswith("numberOf"))
    restored = persistence.last_restore
    persistence.disable_persistence(compact=False)
    print(json.dumps({"seconds": seconds, "records": restored.records_replayed if restored else 0, "executions": executions}))


def sub(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--things", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--_role", help=argparse.SUPPRESS)
    parser.add_argument("--_dir", help=argparse.SUPPRESS)
    parser.add_argument("--_mode", help=argparse.SUPPRESS)
    parser.add_argument("--_snapshot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._role == "writes":
        run_writes(args._mode, args.writes, args.things, args._dir)
        return 0
    if args._role == "build":
        run_build(args._dir, args.things, args.jobs, args._snapshot)
        return 0
    if args._role == "start":
        run_start(args._dir, args.jobs)
        return 0

    write_things = min(args.things, 100)
    medians: dict[str, float] = {}
    bytes_per_write = 0.0
    for mode in ("none", "batch", "always"):
        with tempfile.TemporaryDirectory(prefix="iotjobs-bench-") as state_dir:
            result = sub("--_role", "writes", "--_mode", mode, "--_dir", state_dir,
                         "--writes", str(args.writes), "--things", str(write_things))
        samples = result["samples"]
        medians[mode] = statistics.median(samples)
        if mode == "batch":
            bytes_per_write = result["bytes_per_write"]
        print(f"write, persistence {mode:6}: median {medians[mode]:.3f} ms, "
              f"p90 {statistics.quantiles(samples, n=10)[-1]:.3f} ms ({len(samples)} writes)")
    overhead = medians["batch"] - medians["none"]
    print(f"overhead per write: batch {overhead:+.3f} ms, always {medians['always'] - medians['none']:+.3f} ms "
          f"(target: batch <= {TARGET_MS} ms)")
    print(f"journal bytes per write (UpdateJobExecution): {bytes_per_write:.0f}")

    executions = args.things * args.jobs
    with tempfile.TemporaryDirectory(prefix="iotjobs-bench-") as state_dir:
        started = time.perf_counter()
        sub("--_role", "build", "--_dir", state_dir, "--things", str(args.things), "--jobs", str(args.jobs))
        print(f"built {executions} executions in {time.perf_counter() - started:.1f} s; "
              f"journal {os.path.getsize(os.path.join(state_dir, 'journal.log')) / 1e6:.1f} MB")
        replay = sub("--_role", "start", "--_dir", state_dir, "--jobs", str(args.jobs))
        print(f"startup, journal replay ({replay['records']} records, {replay['executions']} executions): {replay['seconds']:.2f} s")
    with tempfile.TemporaryDirectory(prefix="iotjobs-bench-") as state_dir:
        built = sub("--_role", "build", "--_dir", state_dir, "--things", str(args.things), "--jobs", str(args.jobs), "--_snapshot")
        size = os.path.getsize(os.path.join(state_dir, "snapshot.pkl"))
        print(f"graceful stop with a snapshot of {executions} executions: {built['stop_seconds']:.2f} s")
        snap = sub("--_role", "start", "--_dir", state_dir, "--jobs", str(args.jobs))
        print(f"startup, snapshot ({size / 1e6:.1f} MB, {snap['executions']} executions): {snap['seconds']:.2f} s")
    missed = overhead > TARGET_MS
    if missed:
        print(f"MISSED: batch write overhead {overhead:.3f} ms > {TARGET_MS} ms")
    return 0 if args.report_only or not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
