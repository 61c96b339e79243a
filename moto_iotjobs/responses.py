"""Request dispatch for both planes: route, parse, validate, call the backend, serialize.

This is a lean path of its own rather than moto's `BaseResponse` machinery (which spends
most of a call in generic parsing and its XML/JSON serializer): the route comes from the
botocore model, the answer is written straight from the records. Anything on the `iot`
host that is not a job operation goes to `IoTJobsResponse`, moto's own IoT response class
with the registry changes that matter to continuous jobs observed.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
from typing import Any, Callable, Optional
from uuid import uuid4

from . import clock, moto_compat, serialization
from .backend import IoTJobsBackend, iotjobs_backends
from .documents import document_for_device
from .errors import (
    CONTROL_PLANE,
    DEVICE_PLANE,
    InternalFailureException,
    InvalidRequestException,
    JobsError,
)
from .faults import check_fault
from .identity import request_account, request_region
from .parsing import RawRequest, parse_params
from .service_model import match_route
from .validation import validate

log = logging.getLogger(__name__)

Handler = Callable[[IoTJobsBackend, dict[str, Any], float], Any]
#: moto's (status, headers, body) response triple
TYPE_RESPONSE = tuple[int, dict[str, str], Any]

def backend_for(raw: RawRequest) -> IoTJobsBackend:
    account = request_account(raw.headers)
    region = request_region(raw.host, raw.headers)
    try:
        return moto_compat.backend_of(iotjobs_backends, account, region)  # type: ignore[no-any-return,unused-ignore]
    except KeyError:
        raise InvalidRequestException(f"Unknown region {region}") from None


_encode = json.JSONEncoder(separators=(",", ":")).encode
_request_ids = itertools.count(1)
_REQUEST_ID_PREFIX = str(uuid4())[:24]  # a UUID-shaped id: random prefix, counter suffix


def _json_response(body: Any) -> TYPE_RESPONSE:
    return (
        200,
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": f"{_REQUEST_ID_PREFIX}{next(_request_ids):012x}",
        },
        _encode(body),
    )


def handle(plane: str, handlers: dict[str, Handler], request: Any, full_url: str) -> Optional[TYPE_RESPONSE]:
    """Answer a request if it is one of `plane`'s job operations; None when it is not."""
    moto_compat.check_services()
    raw = RawRequest(request, full_url)
    route = match_route(plane, raw.method, raw.raw_path)
    if route is None:
        return None
    spec, labels = route
    try:
        check_fault(plane, spec.name)
        params = parse_params(spec, labels, raw)
        validate(spec, params)
        backend = backend_for(raw)
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            body = handlers[spec.name](backend, params, now)
        return _json_response(body)
    except JobsError as error:
        return error.to_response(plane)
    except Exception:  # a defect of ours: answer as AWS does, never with a traceback
        log.exception("moto_iotjobs failed on %s %s", raw.method, raw.raw_path)
        return InternalFailureException("Internal failure in moto_iotjobs").to_response(plane)


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


#: Paths of the `iot` host that belong to job (and job template) operations only: a request
#: there that matches none of them (a label holding a raw `/`, a wrong method) is answered
#: here, since moto's own IoT responses raise NotImplementedError for the job operations
#: moto does not implement (UpdateJob, DescribeManagedJobTemplate, ...).
_JOB_PATHS = re.compile(r"^/(?:jobs|job-templates|managed-job-templates|things/.+/jobs)(?:/|$)")


def control_plane_dispatch(request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:
    """Route for the whole `iot` host: job operations here, the rest to moto."""
    response = handle(CONTROL_PLANE, CONTROL_HANDLERS, request, full_url)
    if response is not None:
        return response
    raw = RawRequest(request, full_url)
    if _JOB_PATHS.match(raw.raw_path):
        return InvalidRequestException(
            f"No iot operation matches {raw.method} {raw.raw_path}"
        ).to_response(CONTROL_PLANE)
    return IoTJobsResponse.dispatch(request, full_url, headers)  # type: ignore[no-any-return,unused-ignore]


def device_plane_dispatch(request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:
    """Route for the `iot-jobs-data` hosts: every path is ours."""
    response = handle(DEVICE_PLANE, DEVICE_HANDLERS, request, full_url)
    if response is not None:
        return response
    raw = RawRequest(request, full_url)
    return InvalidRequestException(
        f"No iot-jobs-data operation matches {raw.method} {raw.raw_path}"
    ).to_response(DEVICE_PLANE)


class IoTJobsResponse(moto_compat.iot_response_class()):  # type: ignore[misc]
    """moto's IoT responses for everything but jobs, telling the job backend when a thing's
    group membership changes or a thing is deleted (continuous jobs, REMOVED executions)."""

    def _jobs_backend(self) -> IoTJobsBackend:
        return iotjobs_backends[self.current_account][self.region]

    def _after_registry_change(self, thing_name: Optional[str], deleted: bool = False) -> None:
        if thing_name:
            self._after_membership_change([thing_name], deleted)

    def _after_membership_change(self, thing_names: list[str], deleted: bool = False) -> None:
        backend = self._jobs_backend()
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            for thing_name in thing_names:
                if deleted:
                    backend.on_thing_deleted(thing_name, now)
                else:
                    backend.on_membership_changed(thing_name, now)

    def _thing_name_param(self) -> Optional[str]:
        name = self._get_param("thingName")
        if name:
            return str(name)
        arn = self._get_param("thingArn")
        return str(arn).rsplit("/", 1)[-1] if arn else None

    def add_thing_to_thing_group(self) -> Any:
        result = super().add_thing_to_thing_group()
        self._after_registry_change(self._thing_name_param())
        return result

    def remove_thing_from_thing_group(self) -> Any:
        result = super().remove_thing_from_thing_group()
        self._after_registry_change(self._thing_name_param())
        return result

    def update_thing_groups_for_thing(self) -> Any:
        result = super().update_thing_groups_for_thing()
        self._after_registry_change(self._thing_name_param())
        return result

    def delete_thing_group(self) -> Any:
        name = self._get_param("thingGroupName")
        members = [
            thing.thing_name
            for group in self.iot_backend.thing_groups.values()
            if group.thing_group_name == name
            for thing in group.things.values()
        ]
        result = super().delete_thing_group()
        self._after_membership_change(members)
        return result

    def delete_thing(self) -> Any:
        thing_name = self._thing_name_param()
        thing = self.iot_backend.describe_thing(thing_name) if thing_name else None
        result = super().delete_thing()
        if thing is not None:
            # moto leaves a deleted thing in its thing groups; AWS does not. Left there, a
            # job targeting the group would queue an execution for a thing that no longer
            # exists, and a thing recreated under that name would be a member at once.
            for group in self.iot_backend.thing_groups.values():
                group.things.pop(thing.arn, None)
        self._after_registry_change(thing_name, deleted=True)
        return result
