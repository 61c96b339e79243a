"""The `iot-jobs-data` operations: what a device does with its job executions.

The device plane keys on the thing name only (AWS does not look the thing up in the
registry), sees no SCHEDULED job, and moves executions only through the shared transition
table in `lifecycle.py`, so the control plane sees every change at once.
"""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.protocol.errors import VersionMismatchException
from moto_iotjobs.services.jobs.lifecycle import (
    IN_PROGRESS,
    JOB_SCHEDULED,
    QUEUED,
    Actor,
    check_device_status,
)
from moto_iotjobs.services.jobs.records import JobExecution
from moto_iotjobs.services.jobs.store import JobStore

NEXT = "$next"

#: GetPendingJobExecutions returns at most this many pending executions; 15 once a job
#: with a scheduling configuration is involved (AWS IoT Jobs limits).
MAX_PENDING = 10
MAX_PENDING_WITH_SCHEDULING = 15


class DevicePlane(JobStore):
    def pending_executions(self, thing_name: str) -> tuple[list[JobExecution], list[JobExecution]]:
        """(IN_PROGRESS, QUEUED) executions of a thing, each oldest first."""
        in_progress: list[JobExecution] = []
        queued: list[JobExecution] = []
        for execution in self.thing_executions.of_thing(thing_name):
            status = execution.status
            if status == IN_PROGRESS:
                in_progress.append(execution)
            elif status == QUEUED and execution.job.status != JOB_SCHEDULED:
                queued.append(execution)
        return in_progress, queued

    def next_pending(self, thing_name: str) -> Optional[JobExecution]:
        in_progress, queued = self.pending_executions(thing_name)
        if in_progress:
            return in_progress[0]
        return queued[0] if queued else None

    def get_pending_job_executions(
        self, params: dict[str, Any]
    ) -> tuple[list[JobExecution], list[JobExecution]]:
        in_progress, queued = self.pending_executions(params["thingName"])
        scheduled = any(e.job.scheduling_config for e in in_progress + queued)
        limit = MAX_PENDING_WITH_SCHEDULING if scheduled else MAX_PENDING
        in_progress = in_progress[:limit]
        return in_progress, queued[: limit - len(in_progress)]

    def start_next_pending_job_execution(
        self, params: dict[str, Any], now: float
    ) -> Optional[JobExecution]:
        execution = self.next_pending(params["thingName"])
        if execution is None or execution.status == IN_PROGRESS:
            return execution
        self.change_status(
            execution, IN_PROGRESS, Actor.DEVICE, now, status_details=params.get("statusDetails")
        )
        self.set_step_timeout(execution, params.get("stepTimeoutInMinutes"), now)
        return execution

    def describe_device_execution(self, params: dict[str, Any]) -> Optional[JobExecution]:
        thing_name = params["thingName"]
        if params["jobId"] == NEXT:
            return self.next_pending(thing_name)
        return self.get_execution(thing_name, params["jobId"], params.get("executionNumber"))

    def update_job_execution(self, params: dict[str, Any], now: float) -> JobExecution:
        execution = self.get_execution(
            params["thingName"], params["jobId"], params.get("executionNumber")
        )
        check_device_status(params["status"], self._describe(execution))
        expected = params.get("expectedVersion")
        if expected is not None and expected != execution.version_number:
            raise VersionMismatchException(
                f"Version mismatch: the expected version {expected} does not match the current "
                f"version {execution.version_number} of the job execution of job "
                f"{execution.job.job_id} on thing {execution.thing_name}"
            )
        self.change_status(
            execution, params["status"], Actor.DEVICE, now, status_details=params.get("statusDetails")
        )
        self.set_step_timeout(execution, params.get("stepTimeoutInMinutes"), now)
        return execution

