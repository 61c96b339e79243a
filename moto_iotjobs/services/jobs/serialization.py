"""Wire forms of jobs and executions, written straight from the records.

Fields appear exactly when AWS shows them (startedAt only once started, completedAt only
once COMPLETED, approximateSecondsBeforeTimedOut only while a timer runs). Control-plane
timestamps are epoch seconds with milliseconds (JSON numbers); device-plane ones are
integer epoch seconds (botocore calls int() on those `long` fields). botocore's output
shapes are the contract, checked in the tests.
"""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.services.jobs.lifecycle import CANCELED, JOB_COMPLETED, PROCESS_DETAILS_COUNTERS
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.jobs.templates import JobTemplate


def control_time(value: float) -> float:
    return round(value, 3)


def device_time(value: float) -> int:
    return int(value)


def thing_arn(job: Job, thing_name: str) -> str:
    # arn:<partition>:iot:<region>:<account>:job/<id> -> ...:thing/<name>
    return job.arn[: len(job.arn) - len(job.job_id) - 4] + "thing/" + thing_name


def process_details(job: Job) -> dict[str, int]:
    by_status = job.by_status
    return {counter: len(by_status[status]) for status, counter in PROCESS_DETAILS_COUNTERS.items()}


_OPTIONAL_JOB_FIELDS = (
    ("description", "description"),
    ("force_canceled", "forceCanceled"),
    ("reason_code", "reasonCode"),
    ("comment", "comment"),
    ("abort_config", "abortConfig"),
    ("namespace_id", "namespaceId"),
    ("job_template_arn", "jobTemplateArn"),
    ("retry_config", "jobExecutionsRetryConfig"),
    ("document_parameters", "documentParameters"),
    ("destination_package_versions", "destinationPackageVersions"),
)


def job(job: Job, scheduled_rollouts: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    """The `Job` structure of DescribeJob."""
    out: dict[str, Any] = {
        "jobArn": job.arn,
        "jobId": job.job_id,
        "targetSelection": job.target_selection,
        "status": job.status,
        "targets": list(job.targets),
        "presignedUrlConfig": job.presigned_url_config or {},
        "jobExecutionsRolloutConfig": job.rollout_config or {},
        "createdAt": control_time(job.created_at),
        "lastUpdatedAt": control_time(job.last_updated_at),
        "jobProcessDetails": process_details(job),
        "timeoutConfig": job.timeout_config or {},
        # captured on the live service: an unset schedulingConfig is {} too (abortConfig
        # is omitted); see docs/live-service.md
        "schedulingConfig": job.scheduling_config or {},
        "isConcurrent": job.is_concurrent,
    }
    for attribute, key in _OPTIONAL_JOB_FIELDS:
        value = getattr(job, attribute)
        if value is not None:
            out[key] = value
    if job.status == JOB_COMPLETED and job.completed_at is not None:
        out["completedAt"] = control_time(job.completed_at)
    if scheduled_rollouts:
        out["scheduledJobRollouts"] = scheduled_rollouts
    return out


def job_summary(job: Job, thing_group_id: Optional[str] = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "jobArn": job.arn,
        "jobId": job.job_id,
        "targetSelection": job.target_selection,
        "status": job.status,
        "createdAt": control_time(job.created_at),
        "lastUpdatedAt": control_time(job.last_updated_at),
        "isConcurrent": job.is_concurrent,
    }
    if thing_group_id is not None:
        out["thingGroupId"] = thing_group_id
    if job.status == JOB_COMPLETED and job.completed_at is not None:
        out["completedAt"] = control_time(job.completed_at)
    return out


def job_reference(job: Job) -> dict[str, Any]:
    """CreateJob / CancelJob / AssociateTargetsWithJob answer."""
    out: dict[str, Any] = {"jobArn": job.arn, "jobId": job.job_id}
    if job.description is not None:
        out["description"] = job.description
    return out


def seconds_before_timeout(execution: JobExecution, now: float) -> Optional[int]:
    deadline = execution.deadline()
    if deadline is None or execution.status != "IN_PROGRESS":
        return None
    # Counted from no earlier than the last change (which armed or followed the timer), so the
    # figure stays within [0, timeout] when the clock went back (freezegun, time-machine).
    return max(0, int(deadline - max(now, execution.last_updated_at)))


def execution(execution: JobExecution, now: float) -> dict[str, Any]:
    """The control-plane `JobExecution` of DescribeJobExecution."""
    out: dict[str, Any] = {
        "jobId": execution.job.job_id,
        "status": execution.status,
        "statusDetails": {"detailsMap": dict(execution.status_details)}
        if execution.status_details
        else {},
        "thingArn": thing_arn(execution.job, execution.thing_name),
        "queuedAt": control_time(execution.queued_at),
        "lastUpdatedAt": control_time(execution.last_updated_at),
        "executionNumber": execution.execution_number,
        "versionNumber": execution.version_number,
    }
    if execution.started_at is not None:
        out["startedAt"] = control_time(execution.started_at)
    if execution.status == CANCELED and execution.force_canceled is not None:
        out["forceCanceled"] = execution.force_canceled
    remaining = seconds_before_timeout(execution, now)
    if remaining is not None:
        out["approximateSecondsBeforeTimedOut"] = remaining
    return out


def execution_summary(execution: JobExecution) -> dict[str, Any]:
    out: dict[str, Any] = {
        "status": execution.status,
        "queuedAt": control_time(execution.queued_at),
        "lastUpdatedAt": control_time(execution.last_updated_at),
        "executionNumber": execution.execution_number,
        "retryAttempt": execution.retry_attempt,
    }
    if execution.started_at is not None:
        out["startedAt"] = control_time(execution.started_at)
    return out


def execution_for_job(execution: JobExecution) -> dict[str, Any]:
    return {
        "thingArn": thing_arn(execution.job, execution.thing_name),
        "jobExecutionSummary": execution_summary(execution),
    }


def execution_for_thing(execution: JobExecution) -> dict[str, Any]:
    return {"jobId": execution.job.job_id, "jobExecutionSummary": execution_summary(execution)}


# --- device plane (iot-jobs-data) ---------------------------------------------------------


def device_summary(execution: JobExecution) -> dict[str, Any]:
    out: dict[str, Any] = {
        "jobId": execution.job.job_id,
        "queuedAt": device_time(execution.queued_at),
        "lastUpdatedAt": device_time(execution.last_updated_at),
        "versionNumber": execution.version_number,
        "executionNumber": execution.execution_number,
    }
    if execution.started_at is not None:
        out["startedAt"] = device_time(execution.started_at)
    return out


def device_execution(
    execution: JobExecution, now: float, document: Optional[str]
) -> dict[str, Any]:
    """The device-plane `JobExecution`; `document` is None when it is not asked for."""
    out: dict[str, Any] = {
        "jobId": execution.job.job_id,
        "thingName": execution.thing_name,
        "status": execution.status,
        "queuedAt": device_time(execution.queued_at),
        "lastUpdatedAt": device_time(execution.last_updated_at),
        "versionNumber": execution.version_number,
        "executionNumber": execution.execution_number,
    }
    if execution.status_details:
        out["statusDetails"] = dict(execution.status_details)
    if execution.started_at is not None:
        out["startedAt"] = device_time(execution.started_at)
    remaining = seconds_before_timeout(execution, now)
    if remaining is not None:
        out["approximateSecondsBeforeTimedOut"] = remaining
    if document is not None:
        out["jobDocument"] = document
    return out


def execution_state(execution: JobExecution) -> dict[str, Any]:
    out: dict[str, Any] = {"status": execution.status, "versionNumber": execution.version_number}
    if execution.status_details:
        out["statusDetails"] = dict(execution.status_details)
    return out


# --- job templates ------------------------------------------------------------------------


def job_template(template: JobTemplate) -> dict[str, Any]:
    out: dict[str, Any] = {
        "jobTemplateArn": template.arn,
        "jobTemplateId": template.template_id,
        "description": template.description,
        "createdAt": control_time(template.created_at),
        "presignedUrlConfig": {},
        "jobExecutionsRolloutConfig": {},
        "timeoutConfig": {},
    }
    if template.document is not None:
        out["document"] = template.document
    if template.document_source is not None:
        out["documentSource"] = template.document_source
    out.update(template.config)
    return out


def job_template_summary(template: JobTemplate) -> dict[str, Any]:
    return {
        "jobTemplateArn": template.arn,
        "jobTemplateId": template.template_id,
        "description": template.description,
        "createdAt": control_time(template.created_at),
    }


_MANAGED_SUMMARY_KEYS = ("templateArn", "templateName", "description", "environments", "templateVersion")


def managed_template_summary(template: dict[str, Any]) -> dict[str, Any]:
    return {key: template[key] for key in _MANAGED_SUMMARY_KEYS if key in template}
