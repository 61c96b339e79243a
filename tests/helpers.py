"""Small helpers shared by the test modules."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"

#: The eight jobProcessDetails counters, by execution status.
COUNTERS = {
    "CANCELED": "numberOfCanceledThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "REJECTED": "numberOfRejectedThings",
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "REMOVED": "numberOfRemovedThings",
    "TIMED_OUT": "numberOfTimedOutThings",
}


def thing_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:iot:{region}:{account}:thing/{name}"


def group_arn(name: str, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{name}"


def make_things(iot: Any, *names: str) -> list[str]:
    return [iot.create_thing(thingName=name)["thingArn"] for name in names]


def make_group(iot: Any, name: str, things: tuple[str, ...] = (), parent: str | None = None) -> str:
    """A static thing group (optionally a child of `parent`) holding existing `things`."""
    kwargs: dict[str, Any] = {"thingGroupName": name}
    if parent is not None:
        kwargs["parentGroupName"] = parent
    arn = iot.create_thing_group(**kwargs)["thingGroupArn"]
    for thing in things:
        iot.add_thing_to_thing_group(thingGroupName=name, thingName=thing)
    return str(arn)


def expect_error(code: str, http_status: int, call: Callable[..., Any], /, **kwargs: Any) -> str:
    """Call and assert it fails with `code` and `http_status`; returns the message."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response
    assert error["Error"]["Code"] == code, error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == http_status, error
    return str(error["Error"]["Message"])


def counts(iot: Any, job_id: str) -> dict[str, int]:
    """jobProcessDetails of a job, keyed by execution status."""
    details = iot.describe_job(jobId=job_id)["job"]["jobProcessDetails"]
    return {status: details[counter] for status, counter in COUNTERS.items()}


def nonzero(iot: Any, job_id: str) -> dict[str, int]:
    return {status: n for status, n in counts(iot, job_id).items() if n}


def execution(iot: Any, job_id: str, thing: str, **kwargs: Any) -> dict[str, Any]:
    """The control-plane DescribeJobExecution of `job_id` on `thing`."""
    return dict(iot.describe_job_execution(jobId=job_id, thingName=thing, **kwargs)["execution"])


def status_of(iot: Any, job_id: str, thing: str) -> str:
    return str(execution(iot, job_id, thing)["status"])


def free_port() -> int:
    """A TCP port nothing listens on right now (bound and released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server_process(port: int, *extra_args: str) -> Any:
    """`python -m moto_iotjobs --port PORT ...` in a subprocess, returned once it answers.

    The caller terminates it (`process.terminate(); process.communicate()`); its output
    (stdout and stderr together) is then in the second value of `communicate()`."""
    import subprocess
    import sys
    import time

    import requests

    if "--log-level" not in extra_args:  # an unread pipe must not fill up with request lines
        extra_args = ("--log-level", "error", *extra_args)
    process = subprocess.Popen(
        [sys.executable, "-m", "moto_iotjobs", "--port", str(port), *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            scheme = "https" if any(a.startswith("--ssl") for a in extra_args) else "http"
            requests.get(f"{scheme}://127.0.0.1:{port}/moto-api/data.json", timeout=1, verify=False)
            return process
        except requests.ConnectionError:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"server exited: {output}") from None
            if time.monotonic() > deadline:
                process.terminate()
                raise AssertionError("server did not start within 30 s") from None
            time.sleep(0.1)
