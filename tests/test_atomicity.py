"""A failed call changes no state: an exception at any step of an operation's write path
leaves every observable thing as it was, and the caller gets a 500 InternalFailureException.

The fault is injected by a tracer that raises at the Nth call of a plugin function during
the request (services/, timing/, the registry watch and compat's registry helpers), for
every N until the call completes without reaching N. After each injected fault the state
must equal the state before; the last, unfaulted, call must leave the same state as the
same call in a fresh mock that never saw a fault (so the rollbacks left every index exact).

Not injected: generator frames (their callers are; a generator closed by the collector
would raise where Python ignores it), the journal itself (`state/transaction.py`, the mechanism under test) and
what runs after a commit (delivering the held MQTT messages), nor the outer adapters
(protocol/, planes, the registry watch's entry methods) whose job is to turn an exception
into the 500.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, Callable, Optional

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from freezegun import freeze_time

import moto_iotjobs
from moto_iotjobs import jobs_backend, mock_iotjobs
from moto_iotjobs.moto_integration import compat
from moto_iotjobs.services.jobs.handlers import CONTROL_HANDLERS, DEVICE_HANDLERS

PACKAGE = os.path.dirname(moto_iotjobs.__file__) + os.sep
COUNTED = tuple(
    PACKAGE + part
    for part in ("services" + os.sep, "timing" + os.sep, os.path.join("moto_integration", "registry_watch.py"))
)
COMPAT = (
    os.path.join(PACKAGE, "moto_integration", "compat.py"),
    os.path.join(PACKAGE, "moto_integration", "compat_state.py"),
)
COMPAT_COUNTED = {"registry_snapshot", "forget_thing_in_groups", "find_thing", "iot_registry", "iotdata_backend", "s3_object"}
AFTER_COMMIT = {"_flush", "_deliver", "record_published"}  # notifications: delivery of held messages
#: registry_watch's adapter methods (what moto calls, turning any exception into the 500)
ADAPTER = {
    "add_thing_to_thing_group",
    "remove_thing_from_thing_group",
    "update_thing_groups_for_thing",
    "delete_thing_group",
    "delete_thing",
    "_watched",
    "_internal_failure",
    "_refusal_or_failure",
    "_cap_refusal",
}
NO_RETRY = Config(retries={"total_max_attempts": 1})
ACCOUNT, REGION = "123456789012", "us-east-1"
DOC = json.dumps({"operation": "update"})


class InjectedFault(Exception):
    """Raised by the tracer at the chosen step."""


class FaultAt:
    """A global tracer raising InjectedFault at the `n`th call of a counted plugin function."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0
        self.fired: Optional[str] = None

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return None
        code = frame.f_code
        if code.co_flags & inspect.CO_GENERATOR:
            return None  # resumed by its caller (counted) or closed by the collector (not a step)
        name = code.co_filename
        if name.startswith(COUNTED):
            if code.co_name in AFTER_COMMIT or code.co_name in ADAPTER:
                return None
        elif not (name in COMPAT and code.co_name in COMPAT_COUNTED):
            return None
        self.calls += 1
        if self.calls == self.n:
            self.fired = f"{os.path.relpath(name, PACKAGE)}:{code.co_name}"
            raise InjectedFault(self.fired)
        return None


@contextmanager
def traced(tracer: FaultAt) -> Iterator[None]:
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(None)


def clients() -> tuple[Any, Any]:
    return (
        boto3.client("iot", region_name=REGION, config=NO_RETRY),
        boto3.client("iot-jobs-data", region_name=REGION, config=NO_RETRY),
    )


def observe(iot: Any) -> dict[str, Any]:
    """Everything a caller can see: jobs, their executions and versions, counters, pending
    lists, documents, templates, timers armed, notifications published, moto's registry."""
    backend = jobs_backend(REGION, ACCOUNT)
    control, device = CONTROL_HANDLERS, DEVICE_HANDLERS
    now = 0.0
    state: dict[str, Any] = {}
    with backend.lock:
        jobs = control["ListJobs"](backend, {"maxResults": 250}, now)["jobs"]
        state["jobs"] = jobs
        registry = compat.iot_registry(ACCOUNT, REGION)
        things = sorted(t.thing_name for t in registry.things.values())
        for job in jobs:
            job_id = job["jobId"]
            state[f"job {job_id}"] = control["DescribeJob"](backend, {"jobId": job_id}, now)
            state[f"document {job_id}"] = control["GetJobDocument"](backend, {"jobId": job_id}, now)
            state[f"executions {job_id}"] = control["ListJobExecutionsForJob"](
                backend, {"jobId": job_id, "maxResults": 250}, now
            )
        for thing_name in sorted({*things, "t0", "t1", "t2", "t3", "t4"}):
            listed = control["ListJobExecutionsForThing"](
                backend, {"thingName": thing_name, "maxResults": 250}, now
            )
            state[f"thing {thing_name}"] = listed
            for summary in listed["executionSummaries"]:
                params = {
                    "jobId": summary["jobId"],
                    "thingName": thing_name,
                    "executionNumber": summary["jobExecutionSummary"]["executionNumber"],
                }
                state[f"execution {params}"] = control["DescribeJobExecution"](backend, params, now)
            state[f"pending {thing_name}"] = device["GetPendingJobExecutions"](
                backend, {"thingName": thing_name}, now
            )
        state["templates"] = control["ListJobTemplates"](backend, {}, now)
        state["timers"] = len(backend.store.events)
        published = compat.iotdata_backend(ACCOUNT, REGION).published_payloads
        state["published"] = [topic for topic, _ in published]
        state["things"] = things
        state["groups"] = {
            group.thing_group_name: sorted(t.thing_name for t in group.things.values())
            for group in registry.thing_groups.values()
        }
    return state


def _fleet(iot: Any, count: int = 4) -> str:
    for i in range(count):
        iot.create_thing(thingName=f"t{i}")
    group = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    for i in range(count - 1):
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=f"t{i}")
    return str(group)


def _thing_arn(iot: Any, name: str) -> str:
    return str(iot.describe_thing(thingName=name)["thingArn"])


# --- the scenarios: (setup, operation) -------------------------------------------------------


def setup_create(iot: Any, data: Any) -> None:
    group = _fleet(iot)
    iot.create_job(jobId="continuous", targets=[group], document=DOC, targetSelection="CONTINUOUS")
    data.start_next_pending_job_execution(thingName="t0")


def create_job(iot: Any, data: Any) -> None:
    iot.create_job(
        jobId="new",
        targets=["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet", _thing_arn(iot, "t3")],
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]},
        abortConfig={
            "criteriaList": [
                {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 50, "minNumberOfExecutedThings": 1}
            ]
        },
        jobExecutionsRolloutConfig={"maximumPerMinute": 2},
    )


def setup_update(iot: Any, data: Any) -> None:
    group = _fleet(iot)
    iot.create_job(
        jobId="j1",
        targets=[group],
        document=DOC,
        timeoutConfig={"inProgressTimeoutInMinutes": 10},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
        abortConfig={
            "criteriaList": [
                {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 50, "minNumberOfExecutedThings": 1}
            ]
        },
    )
    iot.create_job(jobId="j2", targets=[_thing_arn(iot, "t0")], document=DOC)
    data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=5)
    data.start_next_pending_job_execution(thingName="t1")


def update_job_execution(iot: Any, data: Any) -> None:
    data.update_job_execution(
        jobId="j1", thingName="t0", status="FAILED", statusDetails={"reason": "disk"}, expectedVersion=2
    )


def update_to_in_progress(iot: Any, data: Any) -> None:
    data.update_job_execution(jobId="j1", thingName="t2", status="IN_PROGRESS", stepTimeoutInMinutes=3)


def setup_cancel(iot: Any, data: Any) -> None:
    group = _fleet(iot)
    iot.create_job(jobId="j1", targets=[group], document=DOC, timeoutConfig={"inProgressTimeoutInMinutes": 5})
    iot.create_job(jobId="paced", targets=[group], document=DOC, jobExecutionsRolloutConfig={"maximumPerMinute": 1})
    data.start_next_pending_job_execution(thingName="t0")
    data.update_job_execution(jobId="j1", thingName="t1", status="IN_PROGRESS")
    data.update_job_execution(jobId="j1", thingName="t1", status="SUCCEEDED")


def cancel_job(iot: Any, data: Any) -> None:
    iot.cancel_job(jobId="j1", force=True, reasonCode="R", comment="stop")


def cancel_paced_job(iot: Any, data: Any) -> None:
    iot.cancel_job(jobId="paced")


def delete_job(iot: Any, data: Any) -> None:
    iot.delete_job(jobId="paced", force=True)


def delete_job_with_timers(iot: Any, data: Any) -> None:
    iot.delete_job(jobId="j1", force=True)


def setup_registry(iot: Any, data: Any) -> None:
    group = _fleet(iot)
    iot.create_job(jobId="continuous", targets=[group], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId="snapshot", targets=[_thing_arn(iot, "t3"), group], document=DOC)
    data.start_next_pending_job_execution(thingName="t1")


def add_thing_to_group(iot: Any, data: Any) -> None:
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t3")


def remove_thing_from_group(iot: Any, data: Any) -> None:
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t1")


def delete_thing(iot: Any, data: Any) -> None:
    iot.delete_thing(thingName="t1")


SCENARIOS: dict[str, tuple[Callable[[Any, Any], None], Callable[[Any, Any], None]]] = {
    "CreateJob": (setup_create, create_job),
    "UpdateJobExecution FAILED (retry, abort)": (setup_update, update_job_execution),
    "UpdateJobExecution IN_PROGRESS (timers)": (setup_update, update_to_in_progress),
    "CancelJob force": (setup_cancel, cancel_job),
    "CancelJob of a paced rollout": (setup_cancel, cancel_paced_job),
    "DeleteJob of a paced rollout": (setup_cancel, delete_job),
    "DeleteJob with timers": (setup_cancel, delete_job_with_timers),
    "AddThingToThingGroup (continuous job)": (setup_registry, add_thing_to_group),
    "RemoveThingFromThingGroup (continuous job)": (setup_registry, remove_thing_from_group),
    "DeleteThing": (setup_registry, delete_thing),
}


def _reference(setup: Callable[[Any, Any], None], operation: Callable[[Any, Any], None]) -> dict[str, Any]:
    with mock_iotjobs():
        iot, data = clients()
        setup(iot, data)
        operation(iot, data)
        return observe(iot)


@pytest.fixture(autouse=True, scope="module")
def _a_certificate_signed_before_any_freeze() -> None:
    """cryptography keeps the datetime class of the first certificate it signs in a process:
    signed first under freeze_time, every later real datetime is refused ("not an instance
    of 'FakeDatetime'"), and a later test's CreateKeysAndCertificate fails when this module
    runs first (e.g. `pytest tests/test_atomicity.py tests/test_persistence.py`)."""
    with mock_iotjobs():
        iot, _ = clients()
        iot.create_keys_and_certificate(setAsActive=False)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_fault_at_any_step_changes_nothing(name: str) -> None:
    setup, operation = SCENARIOS[name]
    with freeze_time("2026-03-01 12:00:00"):
        expected_after = _reference(setup, operation)
        with mock_iotjobs():
            iot, data = clients()
            setup(iot, data)
            before = observe(iot)
            faults = 0
            n = 0
            while True:
                n += 1
                tracer = FaultAt(n)
                with traced(tracer):
                    try:
                        operation(iot, data)
                        error = None
                    except ClientError as raised:
                        error = raised
                if tracer.fired is None:
                    assert error is None, f"{name}: failed without a fault: {error}"
                    break
                faults += 1
                assert error is not None, f"{name}: a fault at {tracer.fired} (call {n}) was swallowed"
                assert error.response["Error"]["Code"] == "InternalFailureException", tracer.fired
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500, tracer.fired
                assert observe(iot) == before, f"{name}: state changed by a fault at {tracer.fired} (call {n})"
            after = observe(iot)
    print(f"{name}: {faults} faults injected, each rolled back")
    assert faults > 20, f"{name}: only {faults} steps were tried"
    assert after != before
    assert after == expected_after
