"""The jobs operations of both planes as named handler functions: parameters in, output
structure out. The HTTP dispatcher (`protocol.dispatch`) and the MQTT adapter
(`mqtt.jobs_api`) both call these; neither depends on the other.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from moto_iotjobs.services.jobs import serialization
from moto_iotjobs.services.jobs.backend import IoTJobsBackend
from moto_iotjobs.services.jobs.documents import document_for_device

#: handler(backend, typed parameters, now) -> the output structure
Handler = Callable[[IoTJobsBackend, dict[str, Any], float], Any]

# --- control plane ----------------------------------------------------------------------


def _describe_job(b: IoTJobsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    job = b.describe_job(p)
    out: dict[str, Any] = {"job": serialization.job(job, b.scheduled_rollouts(job, now))}
    if job.document_source is not None:
        out["documentSource"] = job.document_source
    return out


def _list_jobs(b: IoTJobsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    jobs, token, group_id = b.list_jobs(p)
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


def _empty(method: str) -> Handler:
    """A handler for an operation whose output shape is empty."""

    def call(b: IoTJobsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
        getattr(b, method)(p, now)
        return {}

    return call


CONTROL_HANDLERS: dict[str, Handler] = {
    "CreateJob": lambda b, p, now: serialization.job_reference(b.create_job(p, now)),
    "DescribeJob": _describe_job,
    "ListJobs": _list_jobs,
    "UpdateJob": _empty("update_job"),
    "CancelJob": lambda b, p, now: serialization.job_reference(b.cancel_job(p, now)),
    "DeleteJob": _empty("delete_job"),
    "GetJobDocument": lambda b, p, now: {"document": b.get_job_document(p)},
    "AssociateTargetsWithJob": lambda b, p, now: serialization.job_reference(
        b.associate_targets_with_job(p, now)
    ),
    "ListJobExecutionsForJob": lambda b, p, now: _page(
        "executionSummaries", *b.list_job_executions_for_job(p), serialization.execution_for_job
    ),
    "ListJobExecutionsForThing": lambda b, p, now: _page(
        "executionSummaries", *b.list_job_executions_for_thing(p), serialization.execution_for_thing
    ),
    "DescribeJobExecution": lambda b, p, now: {
        "execution": serialization.execution(b.describe_job_execution(p), now)
    },
    "CancelJobExecution": _empty("cancel_job_execution"),
    "DeleteJobExecution": _empty("delete_job_execution"),
    "CreateJobTemplate": lambda b, p, now: {
        k: v
        for k, v in serialization.job_template_summary(b.create_job_template(p, now)).items()
        if k in ("jobTemplateArn", "jobTemplateId")
    },
    "DescribeJobTemplate": lambda b, p, now: serialization.job_template(b.describe_job_template(p)),
    "ListJobTemplates": lambda b, p, now: _page(
        "jobTemplates", *b.list_job_templates(p), serialization.job_template_summary
    ),
    "DeleteJobTemplate": _empty("delete_job_template"),
    "DescribeManagedJobTemplate": lambda b, p, now: b.describe_managed_job_template(p),
    "UpdateEventConfigurations": _empty("update_event_configurations"),
    "DescribeEventConfigurations": lambda b, p, now: b.describe_event_configurations(),
    "ListManagedJobTemplates": lambda b, p, now: _page(
        "managedJobTemplates", *b.list_managed_job_templates(p), serialization.managed_template_summary
    ),
}


# --- device plane -----------------------------------------------------------------------


def _pending(b: IoTJobsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    in_progress, queued = b.get_pending_job_executions(p)
    return {
        "inProgressJobs": [serialization.device_summary(e) for e in in_progress],
        "queuedJobs": [serialization.device_summary(e) for e in queued],
    }


def _execution_or_nothing(b: IoTJobsBackend, execution: Any, now: float, with_document: bool) -> dict[str, Any]:
    if execution is None:
        return {}
    document = document_for_device(b, execution.job) if with_document else None
    return {"execution": serialization.device_execution(execution, now, document)}


def _update(b: IoTJobsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    execution = b.update_job_execution(p, now)
    out: dict[str, Any] = {}
    if p.get("includeJobExecutionState"):
        out["executionState"] = serialization.execution_state(execution)
    if p.get("includeJobDocument"):
        out["jobDocument"] = document_for_device(b, execution.job)
    return out


DEVICE_HANDLERS: dict[str, Handler] = {
    "GetPendingJobExecutions": _pending,
    "StartNextPendingJobExecution": lambda b, p, now: _execution_or_nothing(
        b, b.start_next_pending_job_execution(p, now), now, True
    ),
    "DescribeJobExecution": lambda b, p, now: _execution_or_nothing(
        b, b.describe_device_execution(p), now, p.get("includeJobDocument") is not False
    ),
    "UpdateJobExecution": _update,
}
