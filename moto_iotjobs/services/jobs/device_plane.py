"""The `iot-jobs-data` operations: what a device does with its job executions.

The device plane keys on the thing name only (AWS does not look the thing up in the
registry), sees no SCHEDULED job, and moves executions only through the shared transition
table in `lifecycle.py`, so the control plane sees every change at once.
"""

from __future__ import annotations

from typing import Optional

from moto_iotjobs.protocol.errors import TerminalStateException, VersionMismatchException
from moto_iotjobs.services.jobs.inputs import (
    DeviceDescribeJobExecutionInput,
    GetPendingJobExecutionsInput,
    StartNextPendingJobExecutionInput,
    UpdateJobExecutionInput,
)
from moto_iotjobs.services.jobs.lifecycle import (
    IN_PROGRESS,
    JOB_SCHEDULED,
    QUEUED,
    TERMINAL,
    Actor,
    check_device_status,
)
from moto_iotjobs.services.jobs.policies import timeouts
from moto_iotjobs.services.jobs.records import JobExecution
from moto_iotjobs.services.jobs.store import JobStore

NEXT = "$next"

#: GetPendingJobExecutions returns at most this many pending executions; 15 once a job
#: with a scheduling configuration is involved (AWS IoT Jobs limits).
MAX_PENDING = 10
MAX_PENDING_WITH_SCHEDULING = 15


def pending_executions(store: JobStore, thing_name: str) -> tuple[list[JobExecution], list[JobExecution]]:
    """(IN_PROGRESS, QUEUED) executions of a thing, each oldest first."""
    in_progress: list[JobExecution] = []
    queued: list[JobExecution] = []
    for execution in store.thing_executions.of_thing(thing_name):
        status = execution.status
        if status == IN_PROGRESS:
            in_progress.append(execution)
        elif status == QUEUED and execution.job.status != JOB_SCHEDULED:
            queued.append(execution)
    return in_progress, queued


def next_pending(store: JobStore, thing_name: str) -> Optional[JobExecution]:
    in_progress, queued = pending_executions(store, thing_name)
    if in_progress:
        return in_progress[0]
    return queued[0] if queued else None


def get_pending_job_executions(
    store: JobStore, params: GetPendingJobExecutionsInput
) -> tuple[list[JobExecution], list[JobExecution]]:
    in_progress, queued = pending_executions(store, params["thingName"])
    scheduled = any(e.job.scheduling_config for e in in_progress + queued)
    limit = MAX_PENDING_WITH_SCHEDULING if scheduled else MAX_PENDING
    in_progress = in_progress[:limit]
    return in_progress, queued[: limit - len(in_progress)]


def start_next_pending_job_execution(
    store: JobStore, params: StartNextPendingJobExecutionInput, now: float
) -> Optional[JobExecution]:
    execution = next_pending(store, params["thingName"])
    if execution is None or execution.status == IN_PROGRESS:
        return execution
    store.change_status(
        execution, IN_PROGRESS, Actor.DEVICE, now, status_details=params.get("statusDetails")
    )
    timeouts.set_step_timeout(store, execution, params.get("stepTimeoutInMinutes"), now)
    return execution


def describe_device_execution(store: JobStore, params: DeviceDescribeJobExecutionInput) -> Optional[JobExecution]:
    """A terminal execution is gone for the device: 410 TerminalStateException, as the live
    service answers (docs/live-service.md, "Device-plane DescribeJobExecution of a terminal
    execution"); the control plane still describes it."""
    thing_name = params["thingName"]
    if params["jobId"] == NEXT:
        return next_pending(store, thing_name)
    execution = store.get_execution(thing_name, params["jobId"], params.get("executionNumber"))
    if execution.status in TERMINAL:
        raise TerminalStateException(
            f"Job execution of job {execution.job.job_id} on thing {thing_name} is in the "
            f"terminal status {execution.status}"
        )
    return execution


def update_job_execution(store: JobStore, params: UpdateJobExecutionInput, now: float) -> JobExecution:
    check_device_status(params["status"])  # before the look-up: an unknown job is 409 too
    execution = store.get_execution(
        params["thingName"], params["jobId"], params.get("executionNumber")
    )
    expected = params.get("expectedVersion")
    if expected is not None and expected != execution.version_number:
        raise VersionMismatchException(
            f"Version mismatch: the expected version {expected} does not match the current "
            f"version {execution.version_number} of the job execution of job "
            f"{execution.job.job_id} on thing {execution.thing_name}"
        )
    store.change_status(
        execution, params["status"], Actor.DEVICE, now, status_details=params.get("statusDetails")
    )
    timeouts.set_step_timeout(store, execution, params.get("stepTimeoutInMinutes"), now)
    return execution
