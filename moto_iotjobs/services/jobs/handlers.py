"""The jobs operations of both planes as named handler functions: parameters in, output
structure out. The HTTP dispatcher (`protocol.dispatch`) and the MQTT adapter
(`mqtt.jobs_api`) both call these; neither depends on the other. A handler picks the parts
of the backend an operation needs and passes them explicitly.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from moto_iotjobs.services.jobs import control_plane as control
from moto_iotjobs.services.jobs import device_plane as device
from moto_iotjobs.services.jobs import serialization
from moto_iotjobs.services.jobs.backend import IoTJobsBackend
from moto_iotjobs.services.jobs.documents import document_for_device
from moto_iotjobs.services.jobs.inputs import (
    DescribeJobInput,
    GetPendingJobExecutionsInput,
    ListJobsInput,
    UpdateJobExecutionInput,
)
from moto_iotjobs.services.jobs.policies.scheduling import scheduled_rollouts

#: handler(backend, typed parameters (`inputs.py`), now) -> the output structure
Handler = Callable[[IoTJobsBackend, Any, float], Any]

# --- control plane ----------------------------------------------------------------------


def _describe_job(b: IoTJobsBackend, p: DescribeJobInput, now: float) -> dict[str, Any]:
    job = control.describe_job(b.store, p)
    out: dict[str, Any] = {"job": serialization.job(job, scheduled_rollouts(job, now))}
    if job.document_source is not None:
        out["documentSource"] = job.document_source
    return out


def _list_jobs(b: IoTJobsBackend, p: ListJobsInput, now: float) -> dict[str, Any]:
    jobs, token, group_id = control.list_jobs(b.store, p)
    group_name = p.get("thingGroupName")
    summaries = []
    for job in jobs:
        job_group_id = group_id
        if group_name is not None:
            job_group_id = job.target_group_ids.get(group_name, group_id)
        summaries.append(serialization.job_summary(job, job_group_id))
    out: dict[str, Any] = {"jobs": summaries}
    if token is not None:
        out["nextToken"] = token
    return out


def _page(key: str, items: list, token: Optional[str], item: Callable[[Any], Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: [item(i) for i in items]}
    if token is not None:
        out["nextToken"] = token
    return out


def _nothing(operation: Callable[[Any, float], None], p: Any, now: float) -> dict[str, Any]:
    """Run an operation whose output shape is empty."""
    operation(p, now)
    return {}


def _empty(operation: Callable[[Any, Any, float], None]) -> Handler:
    """A handler for a job store operation whose output shape is empty."""

    def call(b: IoTJobsBackend, p: Any, now: float) -> dict[str, Any]:
        operation(b.store, p, now)
        return {}

    return call


CONTROL_HANDLERS: dict[str, Handler] = {
    "CreateJob": lambda b, p, now: serialization.job_reference(control.create_job(b.store, b.templates, p, now)),
    "DescribeJob": _describe_job,
    "ListJobs": _list_jobs,
    "UpdateJob": _empty(control.update_job),
    "CancelJob": lambda b, p, now: serialization.job_reference(control.cancel_job(b.store, p, now)),
    "DeleteJob": _empty(control.delete_job),
    "GetJobDocument": lambda b, p, now: {"document": control.get_job_document(b.store, p)},
    "AssociateTargetsWithJob": lambda b, p, now: serialization.job_reference(
        control.associate_targets_with_job(b.store, p, now)
    ),
    "ListJobExecutionsForJob": lambda b, p, now: _page(
        "executionSummaries",
        *control.list_job_executions_for_job(b.store, p),
        serialization.execution_for_job,
    ),
    "ListJobExecutionsForThing": lambda b, p, now: _page(
        "executionSummaries",
        *control.list_job_executions_for_thing(b.store, p),
        serialization.execution_for_thing,
    ),
    "DescribeJobExecution": lambda b, p, now: {
        "execution": serialization.execution(control.describe_job_execution(b.store, p), now)
    },
    "CancelJobExecution": _empty(control.cancel_job_execution),
    "DeleteJobExecution": _empty(control.delete_job_execution),
    "CreateJobTemplate": lambda b, p, now: {
        k: v
        for k, v in serialization.job_template_summary(
            b.templates.create_job_template(b.store, p, now)
        ).items()
        if k in ("jobTemplateArn", "jobTemplateId")
    },
    "DescribeJobTemplate": lambda b, p, now: serialization.job_template(
        b.templates.describe_job_template(p)
    ),
    "ListJobTemplates": lambda b, p, now: _page(
        "jobTemplates", *b.templates.list_job_templates(p), serialization.job_template_summary
    ),
    "DeleteJobTemplate": lambda b, p, now: _nothing(b.templates.delete_job_template, p, now),
    "DescribeManagedJobTemplate": lambda b, p, now: b.templates.describe_managed_job_template(p),
    "UpdateEventConfigurations": lambda b, p, now: _nothing(b.event_configurations.update, p, now),
    "DescribeEventConfigurations": lambda b, p, now: b.event_configurations.describe(),
    "ListManagedJobTemplates": lambda b, p, now: _page(
        "managedJobTemplates",
        *b.templates.list_managed_job_templates(p),
        serialization.managed_template_summary,
    ),
}


# --- device plane -----------------------------------------------------------------------


def _pending(b: IoTJobsBackend, p: GetPendingJobExecutionsInput, now: float) -> dict[str, Any]:
    in_progress, queued = device.get_pending_job_executions(b.store, p)
    return {
        "inProgressJobs": [serialization.device_summary(e) for e in in_progress],
        "queuedJobs": [serialization.device_summary(e) for e in queued],
    }


def _execution_or_nothing(b: IoTJobsBackend, execution: Any, now: float, with_document: bool) -> dict[str, Any]:
    if execution is None:
        return {}
    document = document_for_device(b.region_name, execution.job) if with_document else None
    return {"execution": serialization.device_execution(execution, now, document)}


def _update(b: IoTJobsBackend, p: UpdateJobExecutionInput, now: float) -> dict[str, Any]:
    execution = device.update_job_execution(b.store, p, now)
    out: dict[str, Any] = {}
    if p.get("includeJobExecutionState"):
        out["executionState"] = serialization.execution_state(execution)
    if p.get("includeJobDocument"):
        out["jobDocument"] = document_for_device(b.region_name, execution.job)
    return out


DEVICE_HANDLERS: dict[str, Handler] = {
    "GetPendingJobExecutions": _pending,
    "StartNextPendingJobExecution": lambda b, p, now: _execution_or_nothing(
        b, device.start_next_pending_job_execution(b.store, p, now), now, True
    ),
    "DescribeJobExecution": lambda b, p, now: _execution_or_nothing(
        b, device.describe_device_execution(b.store, p), now, p.get("includeJobDocument") is not False
    ),
    "UpdateJobExecution": _update,
}
