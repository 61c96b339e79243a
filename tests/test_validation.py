"""Model-driven constraint checks, as the server answers them.

botocore checks only `required`, `min` and types on the client; these tests switch that off
(`parameter_validation=False`) or send raw HTTP, so every constraint reaches the mock, which
must answer 400 InvalidRequestException with AWS's message form.
"""

from __future__ import annotations

import json

import botocore.session
import pytest
import requests

from .conftest import DOCUMENT
from .helpers import execution, expect_error

IOT_HOST = "https://iot.us-east-1.amazonaws.com"
JOBS_HOST = "https://data.jobs.iot.us-east-1.amazonaws.com"


def enum_of(service: str, shape: str) -> str:
    values = botocore.session.get_session().get_service_model(service).shape_for(shape).enum
    return "[" + ", ".join(values) + "]"


def one_error(value: str, path: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
        f"constraint: {constraint}"
    )


def invalid(call, /, **kwargs) -> str:
    return expect_error("InvalidRequestException", 400, call, **kwargs)


# --- the exact message form -----------------------------------------------------------------


def test_max_results_above_250(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, maxResults=300) == (
        "1 validation error detected: Value '300' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 250"
    )


def test_max_results_below_1(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, maxResults=0) == one_error(
        "0", "maxResults", "Member must have value greater than or equal to 1")


@pytest.mark.parametrize(
    "operation, kwargs",
    [
        ("list_job_executions_for_job", {"jobId": "j1"}),
        ("list_job_executions_for_thing", {"thingName": "dev1"}),
    ],
)
def test_max_results_of_execution_listings(iot_unchecked, operation, kwargs):
    message = invalid(getattr(iot_unchecked, operation), maxResults=251, **kwargs)
    assert message == one_error("251", "maxResults", "Member must have value less than or equal to 250")


def test_job_status_enum(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, status="BOGUS") == one_error(
        "BOGUS", "status", "Member must satisfy enum value set: " + enum_of("iot", "JobStatus"))


def test_target_selection_enum(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, targetSelection="SOMETIMES") == one_error(
        "SOMETIMES", "targetSelection",
        "Member must satisfy enum value set: " + enum_of("iot", "TargetSelection"))


def test_execution_status_enum(iot_unchecked):
    message = invalid(iot_unchecked.list_job_executions_for_thing, thingName="dev1", status="DONE")
    assert message == one_error(
        "DONE", "status", "Member must satisfy enum value set: " + enum_of("iot", "JobExecutionStatus"))


def test_thing_name_pattern(iot_unchecked):
    assert invalid(iot_unchecked.list_job_executions_for_thing, thingName="a b") == one_error(
        "a b", "thingName", "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+")


def test_thing_group_id_pattern(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, thingGroupId="a_b") == one_error(
        "a_b", "thingGroupId", "Member must satisfy regular expression pattern: [a-zA-Z0-9\\-]+")


def test_namespace_pattern(iot_unchecked):
    assert invalid(iot_unchecked.list_jobs, namespaceId="ns/1") == one_error(
        "ns/1", "namespaceId", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+")


def test_job_id_too_long(iot_unchecked):
    job_id = "j" * 65
    assert invalid(iot_unchecked.describe_job, jobId=job_id) == one_error(
        job_id, "jobId", "Member must have length less than or equal to 64")


def test_job_id_pattern(iot_unchecked, thing):
    assert invalid(iot_unchecked.create_job, jobId="job.1", targets=[thing], document=DOCUMENT) == (
        one_error("job.1", "jobId", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"))


def test_missing_required_member(iot_unchecked):
    assert invalid(iot_unchecked.create_job, jobId="j1", document=DOCUMENT) == (
        "1 validation error detected: Value null at 'targets' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_empty_targets(iot_unchecked):
    assert invalid(iot_unchecked.create_job, jobId="j1", targets=[], document=DOCUMENT) == one_error(
        "[]", "targets", "Member must have length greater than or equal to 1")


def test_two_errors_are_both_reported(iot_unchecked):
    message = invalid(iot_unchecked.list_jobs, maxResults=300, status="BOGUS")
    assert message.startswith("2 validation errors detected: Value ")
    parts = message.split(": ", 1)[1].split("; ")
    assert len(parts) == 2
    assert any("'300' at 'maxResults'" in p for p in parts)
    assert any("'BOGUS' at 'status'" in p for p in parts)


def test_nested_member_path(iot_unchecked, thing):
    abort = {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                               "thresholdPercentage": 101, "minNumberOfExecutedThings": 1}]}
    message = invalid(iot_unchecked.create_job, jobId="j1", targets=[thing], document=DOCUMENT,
                      abortConfig=abort)
    assert message == one_error(
        "101", "abortConfig.criteriaList.1.member.thresholdPercentage",
        "Member must have value less than or equal to 100")


def test_description_with_control_character(iot_unchecked, thing):
    message = invalid(iot_unchecked.create_job, jobId="j1", targets=[thing], document=DOCUMENT,
                      description="bell\x07")
    assert message == one_error(
        "bell\x07", "description", "Member must satisfy regular expression pattern: [^\\p{C}]+")


def test_description_may_hold_any_printable_unicode(iot_unchecked, thing):
    iot_unchecked.create_job(jobId="j1", targets=[thing], document=DOCUMENT,
                             description="Mise à jour — ファーム 🚀")
    assert iot_unchecked.describe_job(jobId="j1")["job"]["description"] == "Mise à jour — ファーム 🚀"


def test_reason_code_pattern(iot_unchecked, thing):
    iot_unchecked.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    message = invalid(iot_unchecked.cancel_job, jobId="j1", reasonCode="lower")
    assert message == one_error(
        "lower", "reasonCode", "Member must satisfy regular expression pattern: [\\p{Upper}\\p{Digit}_]+")
    assert iot_unchecked.describe_job(jobId="j1")["job"]["status"] == "IN_PROGRESS"


def test_document_longer_than_model_max(iot_unchecked, thing):
    document = json.dumps({"pad": "x" * 32760})
    message = invalid(iot_unchecked.create_job, jobId="j1", targets=[thing], document=document)
    assert message.startswith("1 validation error detected: Value '")
    assert message.endswith("at 'document' failed to satisfy constraint: "
                            "Member must have length less than or equal to 32768")


def test_presigned_url_expiry_range(iot_unchecked, thing):
    config = {"roleArn": "arn:aws:iam::123456789012:role/r", "expiresInSec": 3601}
    message = invalid(iot_unchecked.create_job, jobId="j1", targets=[thing], document=DOCUMENT,
                      presignedUrlConfig=config)
    assert message == one_error("3601", "presignedUrlConfig.expiresInSec",
                                "Member must have value less than or equal to 3600")


def test_validation_comes_before_existence(iot_unchecked):
    invalid(iot_unchecked.describe_job_execution, jobId="nope", thingName="no body")


# --- statusDetails and step timeouts, both planes -----------------------------------------


@pytest.fixture
def started(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"k": "v"})
    return "j1"


def test_eleven_status_details_are_rejected_by_the_device_plane(jobs_data_unchecked, iot, started):
    details = {f"k{i}": "v" for i in range(11)}
    message = invalid(jobs_data_unchecked.update_job_execution, jobId="j1", thingName="dev1",
                      status="IN_PROGRESS", statusDetails=details)
    assert message.startswith("1 validation error detected: ")
    assert "'statusDetails'" in message
    assert message.endswith("Member must have length less than or equal to 10")
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"k": "v"}}


def test_ten_status_details_are_accepted(jobs_data, iot, started):
    details = {f"k{i}": "v" for i in range(10)}
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails=details)
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": details}


def test_eleven_status_details_are_rejected_by_cancel(iot_unchecked, started):
    details = {f"k{i}": "v" for i in range(11)}
    invalid(iot_unchecked.cancel_job_execution, jobId="j1", thingName="dev1", force=True,
            statusDetails=details)
    assert execution(iot_unchecked, "j1", "dev1")["status"] == "IN_PROGRESS"


def test_eleven_status_details_are_rejected_by_start_next(iot, jobs_data_unchecked, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    invalid(jobs_data_unchecked.start_next_pending_job_execution, thingName="dev1",
            statusDetails={f"k{i}": "v" for i in range(11)})
    assert execution(iot, "j1", "dev1")["status"] == "QUEUED"


def test_status_detail_value_of_1025_characters_is_rejected(jobs_data_unchecked, started):
    message = invalid(jobs_data_unchecked.update_job_execution, jobId="j1", thingName="dev1",
                      status="IN_PROGRESS", statusDetails={"k": "x" * 1025})
    assert "Map value must satisfy constraint: [Member must have length less than or equal to 1024]" in message


def test_status_detail_value_of_1024_characters_is_accepted(jobs_data, started):
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         statusDetails={"k": "x" * 1024},
                                         includeJobExecutionState=True)
    assert out["executionState"]["statusDetails"] == {"k": "x" * 1024}


@pytest.mark.parametrize("details", [{"bad key": "v"}, {"k" * 129: "v"}, {"k": ""}, {"k": "a\nb"}])
def test_bad_status_detail_key_or_value(jobs_data_unchecked, started, details):
    message = invalid(jobs_data_unchecked.update_job_execution, jobId="j1", thingName="dev1",
                      status="IN_PROGRESS", statusDetails=details)
    assert "at 'statusDetails' failed to satisfy constraint: Map" in message


@pytest.mark.parametrize("minutes", [0, -2, 10081])
def test_step_timeout_out_of_range(jobs_data_unchecked, started, minutes):
    message = invalid(jobs_data_unchecked.update_job_execution, jobId="j1", thingName="dev1",
                      status="IN_PROGRESS", stepTimeoutInMinutes=minutes)
    assert f"Value '{minutes}' at 'stepTimeoutInMinutes'" in message


@pytest.mark.parametrize("minutes", [-1, 1, 10080])
def test_step_timeout_in_range(jobs_data, started, minutes):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   stepTimeoutInMinutes=minutes)


def test_device_status_enum(jobs_data_unchecked, started):
    message = invalid(jobs_data_unchecked.update_job_execution, jobId="j1", thingName="dev1",
                      status="DONE")
    assert message == one_error(
        "DONE", "status",
        "Member must satisfy enum value set: " + enum_of("iot-jobs-data", "JobExecutionStatus"))


def test_device_thing_name_pattern(jobs_data_unchecked):
    assert invalid(jobs_data_unchecked.get_pending_job_executions, thingName="a b") == one_error(
        "a b", "thingName", "Member must satisfy regular expression pattern: [a-zA-Z0-9:_-]+")


def test_device_describe_job_id_pattern(jobs_data_unchecked):
    message = invalid(jobs_data_unchecked.describe_job_execution, jobId="next!", thingName="dev1")
    assert "Value 'next!' at 'jobId'" in message


# --- wrong types never give a 500 ----------------------------------------------------------


@pytest.mark.parametrize(
    "operation, kwargs",
    [
        ("create_job", {"jobId": "j1", "targets": "not-a-list", "document": DOCUMENT}),
        ("create_job", {"jobId": "j1", "targets": [{"arn": "x"}], "document": DOCUMENT}),
        ("create_job", {"jobId": "j1", "targets": ["x"], "document": {"not": "a string"}}),
        ("create_job", {"jobId": "j1", "targets": ["x"], "document": DOCUMENT,
                        "timeoutConfig": {"inProgressTimeoutInMinutes": "ten"}}),
        ("cancel_job_execution", {"jobId": "j1", "thingName": "dev1", "expectedVersion": "one"}),
        ("update_job", {"jobId": "j1", "description": 7}),
        ("list_jobs", {"maxResults": "many"}),
        ("describe_job_execution", {"jobId": "j1", "thingName": "dev1", "executionNumber": "x"}),
    ],
)
def test_wrong_types_are_400(iot_unchecked, operation, kwargs):
    invalid(getattr(iot_unchecked, operation), **kwargs)


@pytest.mark.parametrize(
    "operation, kwargs",
    [
        ("update_job_execution", {"jobId": "j1", "thingName": "dev1", "status": "SUCCEEDED",
                                  "expectedVersion": "one"}),
        ("update_job_execution", {"jobId": "j1", "thingName": "dev1", "status": 3}),
        ("update_job_execution", {"jobId": "j1", "thingName": "dev1", "status": "SUCCEEDED",
                                  "includeJobDocument": "yes"}),
        ("start_next_pending_job_execution", {"thingName": "dev1", "stepTimeoutInMinutes": 1.5}),
        ("describe_job_execution", {"jobId": "j1", "thingName": "dev1", "executionNumber": "x"}),
    ],
)
def test_device_wrong_types_are_400(jobs_data_unchecked, operation, kwargs):
    invalid(getattr(jobs_data_unchecked, operation), **kwargs)


# --- a rejected call changes nothing --------------------------------------------------------


def test_rejected_create_job_leaves_no_job(iot_unchecked, thing):
    invalid(iot_unchecked.create_job, jobId="j1", targets=[thing], document=DOCUMENT,
            targetSelection="BOGUS")
    assert iot_unchecked.list_jobs()["jobs"] == []


def test_rejected_update_job_changes_nothing(iot_unchecked, thing):
    iot_unchecked.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="keep")
    invalid(iot_unchecked.update_job, jobId="j1", description="new",
            timeoutConfig={"inProgressTimeoutInMinutes": 0})
    job = iot_unchecked.describe_job(jobId="j1")["job"]
    assert (job["description"], job["timeoutConfig"]) == ("keep", {})


# --- the wire form of errors (raw HTTP) -----------------------------------------------------


def assert_error_wire(response, code: str, http_status: int) -> dict:
    assert response.status_code == http_status
    assert response.headers["x-amzn-ErrorType"].split(":")[0] == code
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"]
    return dict(body)


def test_validation_error_on_the_wire(iotjobs):
    response = requests.get(f"{IOT_HOST}/jobs?maxResults=300")
    body = assert_error_wire(response, "InvalidRequestException", 400)
    assert body == {"message": one_error("300", "maxResults",
                                         "Member must have value less than or equal to 250")}


def test_not_found_on_the_wire(iotjobs):
    response = requests.get(f"{IOT_HOST}/jobs/nope")
    assert set(assert_error_wire(response, "ResourceNotFoundException", 404)) == {"message"}


def test_device_plane_error_on_the_wire(iotjobs):
    response = requests.get(f"{JOBS_HOST}/things/dev1/jobs/nope")
    assert set(assert_error_wire(response, "ResourceNotFoundException", 404)) == {"message"}


def test_body_that_is_not_json_is_400(iotjobs, thing):
    response = requests.put(f"{IOT_HOST}/jobs/j1", data=b"{not json")
    assert_error_wire(response, "InvalidRequestException", 400)


def test_body_that_is_a_json_array_is_400(iotjobs, thing):
    response = requests.put(f"{IOT_HOST}/jobs/j1", data=b"[]")
    assert_error_wire(response, "InvalidRequestException", 400)


def test_boolean_query_parameter_must_be_a_boolean(iotjobs, iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    response = requests.delete(f"{IOT_HOST}/jobs/j1?force=maybe")
    assert_error_wire(response, "InvalidRequestException", 400)
    assert iot.describe_job(jobId="j1")["job"]["status"] == "IN_PROGRESS"


def test_raw_http_with_lower_than_min_values(iotjobs):
    # botocore would stop these on the client; raw callers reach the server
    response = requests.get(f"{IOT_HOST}/jobs?maxResults=0&thingGroupName=")
    body = assert_error_wire(response, "InvalidRequestException", 400)
    assert " validation errors detected: " in body["message"]
    assert "Value '0' at 'maxResults'" in body["message"]
    assert ("Value '' at 'thingGroupName' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1") in body["message"]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("PUT", "/jobs/j1", {"targets": ["x"], "document": DOCUMENT, "tags": "t"}),
        ("PUT", "/jobs/j1", {"targets": ["x"], "document": DOCUMENT, "tags": [None]}),
        ("PUT", "/jobs/j1", {"targets": [None], "document": DOCUMENT}),
        ("PUT", "/jobs/j1", {"targets": ["x"], "document": DOCUMENT, "abortConfig": []}),
        ("PUT", "/things/dev1/jobs/j1/cancel", {"statusDetails": ["a"]}),
        ("PUT", "/things/dev1/jobs/j1/cancel", {"statusDetails": {"k": None}}),
        ("PUT", "/things/dev1/jobs/j1/cancel", {"expectedVersion": True}),
        ("PATCH", "/jobs/j1", {"description": None, "timeoutConfig": "soon"}),
    ],
)
def test_raw_bodies_of_wrong_shape_are_400(iotjobs, iot, thing, method, path, body):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    response = requests.request(method, IOT_HOST + path, data=json.dumps(body))
    assert_error_wire(response, "InvalidRequestException", 400)
    assert execution(iot, "j1", "dev1")["status"] == "QUEUED"


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/things/dev1/jobs/j1", {"status": "IN_PROGRESS", "statusDetails": "x"}),
        ("POST", "/things/dev1/jobs/j1", {"status": None}),
        ("POST", "/things/dev1/jobs/j1", {"status": "IN_PROGRESS", "executionNumber": 1.5}),
        ("PUT", "/things/dev1/jobs/$next", {"statusDetails": {"k": 1}}),
        ("PUT", "/things/dev1/jobs/$next", {"stepTimeoutInMinutes": "5"}),
    ],
)
def test_raw_device_bodies_of_wrong_shape_are_400(iotjobs, iot, thing, method, path, body):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    response = requests.request(method, JOBS_HOST + path, data=json.dumps(body))
    assert_error_wire(response, "InvalidRequestException", 400)
    assert execution(iot, "j1", "dev1")["status"] == "QUEUED"
