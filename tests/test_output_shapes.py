"""Every response, of every operation, against botocore's output shapes.

The raw JSON body is captured before botocore parses it (the `before-parse` event), then
walked recursively against the operation's output shape: every key must be a member of
the shape, with the right JSON type. Error bodies must be `{"message": ...}` plus the
members of an error shape the operation models. On top of the shapes, the presence rules
AWS shows are checked on every body: startedAt absent while QUEUED, completedAt only once
COMPLETED, control-plane statusDetails as {"detailsMap": {...}}, integer timestamps on the
device plane.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Optional

import botocore.session
import pytest
from botocore.model import OperationModel, Shape

from .conftest import DOCUMENT
from .helpers import COUNTERS, expect_error, group_arn, make_group, make_things

CONTROL_OPERATIONS = {
    "CreateJob", "DescribeJob", "ListJobs", "UpdateJob", "CancelJob", "DeleteJob",
    "GetJobDocument", "AssociateTargetsWithJob", "ListJobExecutionsForJob",
    "ListJobExecutionsForThing", "DescribeJobExecution", "CancelJobExecution",
    "DeleteJobExecution",
}
DEVICE_OPERATIONS = {
    "GetPendingJobExecutions", "StartNextPendingJobExecution", "DescribeJobExecution",
    "UpdateJobExecution",
}


# --- the shape walk -------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def shape_errors(shape: Shape, value: Any, path: str) -> list[str]:
    """Where `value` (parsed JSON) does not fit `shape`; empty when it fits."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object for {shape.name}, got {value!r}"]
        wire = {m.serialization.get("name", name): m for name, m in shape.members.items()}
        errors = []
        for key, item in value.items():
            if key not in wire:
                errors.append(f"{path}.{key}: not a member of {shape.name}")
            else:
                errors += shape_errors(wire[key], item, f"{path}.{key}")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list for {shape.name}, got {value!r}"]
        return [e for i, item in enumerate(value) for e in shape_errors(shape.member, item, f"{path}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map for {shape.name}, got {value!r}"]
        errors = []
        for key, item in value.items():
            errors += shape_errors(shape.key, key, f"{path}<key>")
            errors += shape_errors(shape.value, item, f"{path}[{key}]")
        return errors
    checks: dict[str, Callable[[Any], bool]] = {
        "string": lambda v: isinstance(v, str) and (not shape.enum or v in shape.enum),
        "blob": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": _is_int,
        "long": _is_int,
        "double": _is_number,
        "float": _is_number,
        "timestamp": _is_number,  # rest-json without timestampFormat: epoch seconds
    }
    check = checks.get(kind)
    if check is None:
        return [f"{path}: unexpected shape type {kind}"]
    return [] if check(value) else [f"{path}: {value!r} is not a valid {kind} ({shape.name})"]


# --- the presence rules ---------------------------------------------------------------------


def job_rules(job: dict, path: str) -> list[str]:
    errors = []
    completed = job["status"] == "COMPLETED"
    if ("completedAt" in job) != completed:
        errors.append(f"{path}: completedAt present={'completedAt' in job} with status {job['status']}")
    if "forceCanceled" in job and job["status"] != "CANCELED":
        errors.append(f"{path}: forceCanceled on a {job['status']} job")
    if "jobProcessDetails" in job and set(job["jobProcessDetails"]) != set(COUNTERS.values()):
        errors.append(f"{path}: jobProcessDetails lacks counters: {job['jobProcessDetails']}")
    for key in ("presignedUrlConfig", "jobExecutionsRolloutConfig", "timeoutConfig", "schedulingConfig"):
        if "jobProcessDetails" in job and key not in job:
            errors.append(f"{path}: {key} missing (AWS shows {{}} when unset)")
    return errors


def started_rules(status: str, item: dict, path: str) -> list[str]:
    if status == "QUEUED" and "startedAt" in item:
        return [f"{path}: startedAt on a QUEUED execution"]
    if status == "IN_PROGRESS" and "startedAt" not in item:
        return [f"{path}: no startedAt on an IN_PROGRESS execution"]
    return []


def control_execution_rules(ex: dict, path: str) -> list[str]:
    errors = started_rules(ex["status"], ex, path)
    details = ex["statusDetails"]
    if details != {} and (set(details) != {"detailsMap"} or not details["detailsMap"]):
        errors.append(f"{path}: statusDetails is not {{}} or {{'detailsMap': {{...}}}}: {details}")
    if "forceCanceled" in ex and ex["status"] != "CANCELED":
        errors.append(f"{path}: forceCanceled on a {ex['status']} execution")
    if "approximateSecondsBeforeTimedOut" in ex and ex["status"] != "IN_PROGRESS":
        errors.append(f"{path}: time left on a {ex['status']} execution")
    return errors


def device_times(item: dict, path: str) -> list[str]:
    return [
        f"{path}.{key}: {item[key]!r} is not an integer"
        for key in ("queuedAt", "startedAt", "lastUpdatedAt", "approximateSecondsBeforeTimedOut")
        if key in item and not _is_int(item[key])
    ]


def device_execution_rules(ex: dict, path: str, with_document: bool) -> list[str]:
    errors = started_rules(ex["status"], ex, path) + device_times(ex, path)
    if ("jobDocument" in ex) != with_document:
        errors.append(f"{path}: jobDocument present={'jobDocument' in ex}, expected {with_document}")
    for key in ("jobId", "thingName", "status", "queuedAt", "lastUpdatedAt", "versionNumber",
                "executionNumber"):
        if key not in ex:
            errors.append(f"{path}: {key} missing")
    return errors


def presence_errors(plane: str, operation: str, params: dict, body: dict) -> list[str]:
    errors: list[str] = []
    if plane == "iot":
        if operation == "DescribeJob":
            errors += job_rules(body["job"], "job")
        elif operation == "ListJobs":
            filtered = "thingGroupName" in params or "thingGroupId" in params
            for i, job in enumerate(body["jobs"]):
                errors += job_rules(job, f"jobs[{i}]")
                if ("thingGroupId" in job) != filtered:
                    errors.append(f"jobs[{i}]: thingGroupId present={'thingGroupId' in job}")
        elif operation in ("ListJobExecutionsForJob", "ListJobExecutionsForThing"):
            for i, item in enumerate(body["executionSummaries"]):
                summary = item["jobExecutionSummary"]
                errors += started_rules(summary["status"], summary, f"executionSummaries[{i}]")
        elif operation == "DescribeJobExecution":
            errors += control_execution_rules(body["execution"], "execution")
    else:
        if operation == "GetPendingJobExecutions":
            if set(body) != {"inProgressJobs", "queuedJobs"}:
                errors.append(f"GetPendingJobExecutions keys: {sorted(body)}")
            for key, started in (("inProgressJobs", True), ("queuedJobs", False)):
                for i, item in enumerate(body[key]):
                    path = f"{key}[{i}]"
                    errors += device_times(item, path)
                    if ("startedAt" in item) != started:
                        errors.append(f"{path}: startedAt present={'startedAt' in item}")
        elif operation == "StartNextPendingJobExecution" and "execution" in body:
            errors += device_execution_rules(body["execution"], "execution", True)
        elif operation == "DescribeJobExecution" and "execution" in body:
            with_document = params.get("includeJobDocument") is not False
            errors += device_execution_rules(body["execution"], "execution", with_document)
        elif operation == "UpdateJobExecution":
            if ("executionState" in body) != bool(params.get("includeJobExecutionState")):
                errors.append(f"executionState present={'executionState' in body}")
            if ("jobDocument" in body) != bool(params.get("includeJobDocument")):
                errors.append(f"jobDocument present={'jobDocument' in body}")
    return errors


# --- capture --------------------------------------------------------------------------------


@dataclass
class Call:
    plane: str
    operation: OperationModel
    params: dict
    status: int
    headers: dict
    body: bytes


class Recorder:
    """The raw answer of every call made through the attached clients."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._params: Optional[dict] = None

    def attach(self, client: Any) -> Any:
        client.meta.events.register("provide-client-params", self._remember_params)
        client.meta.events.register("before-parse", self._record)
        return client

    def _remember_params(self, params: dict, **kwargs: Any) -> None:
        self._params = dict(params)

    def _record(self, operation_model: OperationModel, response_dict: dict, **kwargs: Any) -> None:
        self.calls.append(Call(
            plane=operation_model.service_model.service_name,
            operation=operation_model,
            params=self._params or {},
            status=response_dict["status_code"],
            headers=dict(response_dict["headers"]),
            body=response_dict["body"],
        ))

    def succeeded(self) -> set[tuple[str, str]]:
        return {(c.plane, c.operation.name) for c in self.calls if c.status == 200}

    def problems(self) -> list[str]:
        """Everything wrong with every recorded answer."""
        found = []
        for call in self.calls:
            where = f"{call.plane} {call.operation.name} {call.params}"
            for problem in answer_problems(call):
                found.append(f"{where}: {problem}")
        return found


def answer_problems(call: Call) -> list[str]:
    try:
        body = json.loads(call.body) if call.body else {}
    except ValueError:
        return [f"body is not JSON: {call.body[:200]!r}"]
    if not isinstance(body, dict):
        return [f"body is not a JSON object: {body!r}"]
    if call.status >= 300:
        return error_problems(call, body)
    if call.status != 200:
        return [f"unexpected status {call.status}"]
    shape = call.operation.output_shape
    if shape is None:
        return [] if body == {} else [f"operation has no output, body is {body}"]
    return shape_errors(shape, body, "") + presence_errors(
        call.plane, call.operation.name, call.params, body)


def error_problems(call: Call, body: dict) -> list[str]:
    headers = {k.lower(): v for k, v in call.headers.items()}
    code = headers.get("x-amzn-errortype", "").split(":")[0]
    modeled = {shape.name: shape for shape in call.operation.error_shapes}
    if code not in modeled:
        return [f"error {code!r} is not modeled for this operation ({sorted(modeled)})"]
    shape = modeled[code]
    problems = shape_errors(shape, body, "error")
    if not isinstance(body.get("message"), str) or not body["message"]:
        problems.append(f"error body has no message: {body}")
    status = shape.metadata.get("error", {}).get("httpStatusCode")
    if status is not None and status != call.status:
        problems.append(f"{code} answered with {call.status}, modeled {status}")
    return problems


@pytest.fixture
def recorder(iot, jobs_data, iot_unchecked, jobs_data_unchecked):
    rec = Recorder()
    for client in (iot, jobs_data, iot_unchecked, jobs_data_unchecked):
        rec.attach(client)
    return rec


# --- the checker checks ---------------------------------------------------------------------


def _model(service: str, shape: str) -> Shape:
    return botocore.session.get_session().get_service_model(service).shape_for(shape)


def test_checker_flags_unknown_members_and_wrong_types():
    job = _model("iot", "Job")
    assert shape_errors(job, {"jobId": "j", "status": "IN_PROGRESS"}, "") == []
    assert shape_errors(job, {"jobId": "j", "bogus": 1}, "") == [".bogus: not a member of Job"]
    assert shape_errors(job, {"createdAt": "2024-01-01"}, "")
    assert shape_errors(job, {"status": "FINISHED"}, "")
    assert shape_errors(job, {"jobProcessDetails": {"numberOfQueuedThings": "1"}}, "")
    assert shape_errors(_model("iot-jobs-data", "JobExecution"), {"queuedAt": 1.5}, "")


def test_checker_flags_presence_rules():
    queued = {"status": "QUEUED", "startedAt": 1, "statusDetails": {}}
    assert control_execution_rules(queued, "x")
    assert control_execution_rules({"status": "QUEUED", "statusDetails": {"a": "b"}}, "x")
    assert job_rules({"status": "IN_PROGRESS", "completedAt": 1.0}, "j")
    assert job_rules({"status": "COMPLETED"}, "j")
    assert device_times({"queuedAt": 1.5}, "d")


# --- every operation, in every state --------------------------------------------------------


def run_every_operation(iot, jobs_data, iot_unchecked, jobs_data_unchecked):
    """Drive all 17 operations through QUEUED, IN_PROGRESS, terminal, canceled, completed
    and deleted states, with every optional flag, and a sample of every error."""
    make_things(iot, "t0", "t1", "t2", "t3", "solo", "late")
    fleet = make_group(iot, "fleet", ("t0", "t1", "t2", "t3"))
    make_group(iot, "extra", ("late",))
    solo = iot.describe_thing(thingName="solo")["thingArn"]

    iot.create_job(
        jobId="snap", targets=[fleet], document=DOCUMENT, description="snapshot job",
        presignedUrlConfig={"roleArn": "arn:aws:iam::123456789012:role/r", "expiresInSec": 600},
        jobExecutionsRolloutConfig={"maximumPerMinute": 10},
        abortConfig={"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                                       "thresholdPercentage": 90.0, "minNumberOfExecutedThings": 10}]},
        timeoutConfig={"inProgressTimeoutInMinutes": 60},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "TIMED_OUT", "numberOfRetries": 1}]},
        tags=[{"Key": "team", "Value": "fw"}],
    )
    iot.create_job(jobId="cont", targets=[fleet], document=DOCUMENT, targetSelection="CONTINUOUS")
    iot.create_job(jobId="solo", targets=[solo], document=DOCUMENT, namespaceId="ns1")
    iot.create_job(jobId="empty", targets=[make_group(iot, "nobody")], document=DOCUMENT)

    for job_id in ("snap", "cont", "solo", "empty"):
        iot.describe_job(jobId=job_id)
        iot.describe_job(jobId=job_id, beforeSubstitution=True)
        iot.get_job_document(jobId=job_id)
    group_id = iot.describe_thing_group(thingGroupName="fleet")["thingGroupId"]
    iot.list_jobs()
    iot.list_jobs(thingGroupName="fleet")
    iot.list_jobs(thingGroupId=group_id, status="IN_PROGRESS")
    iot.list_jobs(namespaceId="ns1", targetSelection="SNAPSHOT")
    page = iot.list_jobs(maxResults=1)
    iot.list_jobs(maxResults=1, nextToken=page["nextToken"])

    # devices: every state and every flag
    jobs_data.get_pending_job_executions(thingName="t0")
    jobs_data.get_pending_job_executions(thingName="nobody")
    jobs_data.describe_job_execution(jobId="$next", thingName="t0")
    jobs_data.describe_job_execution(jobId="snap", thingName="t0", includeJobDocument=False)
    jobs_data.start_next_pending_job_execution(thingName="t0", statusDetails={"step": "1"},
                                               stepTimeoutInMinutes=10)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    jobs_data.get_pending_job_executions(thingName="t0")
    jobs_data.describe_job_execution(jobId="snap", thingName="t0", executionNumber=1)
    for flags in ((False, False), (True, False), (False, True), (True, True)):
        jobs_data.update_job_execution(jobId="snap", thingName="t0", status="IN_PROGRESS",
                                       statusDetails={"progress": str(flags)},
                                       includeJobExecutionState=flags[0],
                                       includeJobDocument=flags[1])
    jobs_data.update_job_execution(jobId="snap", thingName="t1", status="SUCCEEDED",
                                   includeJobExecutionState=True)
    jobs_data.update_job_execution(jobId="snap", thingName="t2", status="FAILED",
                                   statusDetails={"error": "E42"}, expectedVersion=1)
    jobs_data.update_job_execution(jobId="snap", thingName="t3", status="REJECTED",
                                   executionNumber=1, stepTimeoutInMinutes=-1)
    for thing in ("t0", "t1", "t2", "t3"):
        iot.describe_job_execution(jobId="snap", thingName=thing)
        iot.list_job_executions_for_thing(thingName=thing)
    iot.list_job_executions_for_job(jobId="snap")
    iot.list_job_executions_for_job(jobId="snap", status="IN_PROGRESS")
    jobs_data.update_job_execution(jobId="snap", thingName="t0", status="SUCCEEDED",
                                   includeJobExecutionState=True, includeJobDocument=True)
    iot.describe_job(jobId="snap")  # COMPLETED
    iot.list_jobs(status="COMPLETED")
    expect_error("TerminalStateException", 410, jobs_data.describe_job_execution,
                 jobId="snap", thingName="t0")

    # continuous job: membership, cancel, delete executions
    iot.update_job(jobId="cont", description="continuous", timeoutConfig={"inProgressTimeoutInMinutes": 5})
    iot.associate_targets_with_job(jobId="cont", targets=[group_arn("extra")], comment="more")
    jobs_data.update_job_execution(jobId="cont", thingName="t0", status="IN_PROGRESS")
    iot.describe_job_execution(jobId="cont", thingName="t0")
    iot.cancel_job_execution(jobId="cont", thingName="t1", expectedVersion=1,
                             statusDetails={"why": "ops"})
    iot.cancel_job_execution(jobId="cont", thingName="t0", force=True)
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t2")
    iot.delete_thing(thingName="late")
    for thing in ("t0", "t1", "t2", "late"):
        iot.describe_job_execution(jobId="cont", thingName=thing)
    iot.list_job_executions_for_job(jobId="cont")
    iot.list_job_executions_for_thing(thingName="t0", status="CANCELED", jobId="cont")
    iot.delete_job_execution(jobId="cont", thingName="t1", executionNumber=1)
    iot.delete_job_execution(jobId="cont", thingName="t3", executionNumber=1, force=True)
    iot.describe_job(jobId="cont")

    # canceled jobs
    jobs_data.start_next_pending_job_execution(thingName="solo")
    iot.cancel_job(jobId="solo", reasonCode="OPS_1", comment="stop")
    iot.describe_job(jobId="solo")
    iot.list_job_executions_for_thing(thingName="solo", namespaceId="ns1")
    iot.cancel_job(jobId="solo", force=True)
    iot.describe_job_execution(jobId="solo", thingName="solo")
    expect_error("TerminalStateException", 410, jobs_data.describe_job_execution,
                 jobId="solo", thingName="solo")
    iot.list_jobs(status="CANCELED")

    # nothing pending
    jobs_data.start_next_pending_job_execution(thingName="t1")
    jobs_data.describe_job_execution(jobId="$next", thingName="t1")

    # deletes
    iot.delete_job(jobId="snap")
    iot.delete_job(jobId="cont", force=True)

    # a sample of every error class, on both planes
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="snap")
    expect_error("ResourceAlreadyExistsException", 409, iot.create_job,
                 jobId="solo", targets=[solo], document=DOCUMENT)
    expect_error("InvalidRequestException", 400, iot_unchecked.list_jobs, maxResults=300)
    iot.create_job(jobId="again", targets=[solo], document=DOCUMENT)
    expect_error("InvalidStateTransitionException", 409, iot.delete_job, jobId="again")
    expect_error("InvalidStateTransitionException", 409, iot.delete_job_execution,
                 jobId="again", thingName="solo", executionNumber=1)
    expect_error("VersionConflictException", 409, iot.cancel_job_execution,
                 jobId="again", thingName="solo", expectedVersion=5)
    expect_error("InvalidRequestException", 400, iot.cancel_job, jobId="empty")
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="again", thingName="solo", status="IN_PROGRESS", expectedVersion=9)
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="again", thingName="solo", status="QUEUED")
    expect_error("ResourceNotFoundException", 404, jobs_data.describe_job_execution,
                 jobId="nope", thingName="solo")
    expect_error("InvalidRequestException", 400, jobs_data_unchecked.get_pending_job_executions,
                 thingName="bad name")


def test_every_response_of_every_operation_fits_its_output_shape(
    recorder, iot, jobs_data, iot_unchecked, jobs_data_unchecked
):
    run_every_operation(iot, jobs_data, iot_unchecked, jobs_data_unchecked)
    jobs_calls = [c for c in recorder.calls
                  if c.plane == "iot-jobs-data" or c.operation.name in CONTROL_OPERATIONS]
    assert len(jobs_calls) > 80
    assert recorder.succeeded() >= {("iot", op) for op in CONTROL_OPERATIONS} | {
        ("iot-jobs-data", op) for op in DEVICE_OPERATIONS}
    assert any(c.status >= 400 for c in jobs_calls)
    assert recorder.problems() == []


# --- presence rules, one at a time ----------------------------------------------------------


def raw_bodies(recorder: Recorder, operation: str, plane: str = "iot") -> list[dict]:
    return [json.loads(c.body) for c in recorder.calls
            if c.plane == plane and c.operation.name == operation and c.status == 200]


def test_started_at_absent_while_queued(recorder, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.describe_job_execution(jobId="j1", thingName="dev1")
    iot.list_job_executions_for_job(jobId="j1")
    jobs_data.describe_job_execution(jobId="j1", thingName="dev1")
    (control,) = raw_bodies(recorder, "DescribeJobExecution")
    (listing,) = raw_bodies(recorder, "ListJobExecutionsForJob")
    (device,) = raw_bodies(recorder, "DescribeJobExecution", "iot-jobs-data")
    assert "startedAt" not in control["execution"]
    assert "startedAt" not in listing["executionSummaries"][0]["jobExecutionSummary"]
    assert "startedAt" not in device["execution"]
    assert recorder.problems() == []


def test_started_at_present_once_started(recorder, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    iot.describe_job_execution(jobId="j1", thingName="dev1")
    (control,) = raw_bodies(recorder, "DescribeJobExecution")
    assert control["execution"]["startedAt"] >= control["execution"]["queuedAt"]
    assert recorder.problems() == []


def test_completed_at_only_once_completed(recorder, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.describe_job(jobId="j1")
    iot.list_jobs()
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    iot.describe_job(jobId="j1")
    iot.list_jobs()
    before, after = raw_bodies(recorder, "DescribeJob")
    assert "completedAt" not in before["job"]
    assert isinstance(after["job"]["completedAt"], (float, int))
    listed_before, listed_after = raw_bodies(recorder, "ListJobs")
    assert "completedAt" not in listed_before["jobs"][0]
    assert "completedAt" in listed_after["jobs"][0]
    assert recorder.problems() == []


def test_control_plane_status_details_use_details_map(recorder, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.describe_job_execution(jobId="j1", thingName="dev1")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails={"k": "v"})
    iot.describe_job_execution(jobId="j1", thingName="dev1")
    jobs_data.describe_job_execution(jobId="j1", thingName="dev1")
    empty, filled = raw_bodies(recorder, "DescribeJobExecution")
    assert empty["execution"]["statusDetails"] == {}
    assert filled["execution"]["statusDetails"] == {"detailsMap": {"k": "v"}}
    (device,) = raw_bodies(recorder, "DescribeJobExecution", "iot-jobs-data")
    assert device["execution"]["statusDetails"] == {"k": "v"}
    assert recorder.problems() == []


def test_device_plane_timestamps_are_integers(recorder, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.create_job(jobId="j2", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1", stepTimeoutInMinutes=3)
    jobs_data.get_pending_job_executions(thingName="dev1")
    jobs_data.describe_job_execution(jobId="j1", thingName="dev1")
    (pending,) = raw_bodies(recorder, "GetPendingJobExecutions", "iot-jobs-data")
    (described,) = raw_bodies(recorder, "DescribeJobExecution", "iot-jobs-data")
    items = pending["inProgressJobs"] + pending["queuedJobs"] + [described["execution"]]
    stamps = [item[k] for item in items for k in ("queuedAt", "startedAt", "lastUpdatedAt") if k in item]
    assert len(stamps) == 8
    assert all(type(stamp) is int for stamp in stamps)
    assert type(described["execution"]["approximateSecondsBeforeTimedOut"]) is int
    assert recorder.problems() == []


def test_control_plane_timestamps_are_epoch_numbers(recorder, iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.describe_job(jobId="j1")
    iot.describe_job_execution(jobId="j1", thingName="dev1")
    (job,) = raw_bodies(recorder, "DescribeJob")
    (ex,) = raw_bodies(recorder, "DescribeJobExecution")
    for stamp in (job["job"]["createdAt"], job["job"]["lastUpdatedAt"],
                  ex["execution"]["queuedAt"], ex["execution"]["lastUpdatedAt"]):
        assert isinstance(stamp, (int, float)) and not isinstance(stamp, bool)
        assert 1.5e9 < stamp < 1e11  # seconds, not milliseconds


def test_force_canceled_only_on_canceled_executions(recorder, iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.cancel_job_execution(jobId="j1", thingName="t1")
    for thing in ("t0", "t1", "t2"):
        iot.describe_job_execution(jobId="j1", thingName=thing)
    in_progress, canceled, queued = (b["execution"] for b in raw_bodies(recorder, "DescribeJobExecution"))
    assert "forceCanceled" not in in_progress
    assert canceled["forceCanceled"] is False
    assert "forceCanceled" not in queued
    assert recorder.problems() == []


def test_error_bodies_carry_only_a_message(recorder, iot, thing):
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="nope")
    (call,) = [c for c in recorder.calls if c.status == 404]
    assert json.loads(call.body).keys() == {"message"}
    assert recorder.problems() == []


def test_already_exists_error_carries_resource_id_and_arn(recorder, iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("ResourceAlreadyExistsException", 409, iot.create_job,
                 jobId="j1", targets=[thing], document=DOCUMENT)
    (call,) = [c for c in recorder.calls if c.status == 409]
    body = json.loads(call.body)
    assert body.keys() == {"message", "resourceId", "resourceArn"}
    assert recorder.problems() == []
