"""How a request is read (#19 made it cheaper): messages keep the model's member order
whatever order a body or URL holds the members in, a route remembered for a path answers
that path only, and the JSON body is read as strictly as before."""

from __future__ import annotations

from typing import Any

import pytest

from moto_iotjobs.moto_integration import planes
from moto_iotjobs.protocol import dispatch
from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.protocol.parsing import parse_body

from .helpers import expect_error, thing_arn


def test_validation_messages_follow_the_model_order_not_the_body_order(jobs_data_unchecked: Any) -> None:
    # keyword order is body order: stepTimeoutInMinutes is written first, status second
    message = expect_error(
        "InvalidRequestException", 400, jobs_data_unchecked.update_job_execution,
        stepTimeoutInMinutes=0, status="NOPE", thingName="t1", jobId="j1",
    )
    assert message.startswith("2 validation errors detected: Value 'NOPE' at 'status'"), message
    assert message.index("'status'") < message.index("'stepTimeoutInMinutes'")
    assert "Member must have value greater than or equal to 1" in message


def test_a_missing_required_member_is_listed_in_model_order(jobs_data_unchecked: Any) -> None:
    message = expect_error(
        "InvalidRequestException", 400, jobs_data_unchecked.update_job_execution,
        stepTimeoutInMinutes=0, thingName="t1", jobId="j1",
    )
    assert message == (
        "2 validation errors detected: Value null at 'status' failed to satisfy constraint: "
        "Member must not be null; Value '0' at 'stepTimeoutInMinutes' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )


def test_type_errors_of_a_label_and_the_query_are_reported_together(iot: Any, iot_unchecked: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_job(jobId="j1", targets=[thing_arn("t1")], document="{}")
    message = expect_error(
        "InvalidRequestException", 400, iot_unchecked.delete_job_execution,
        jobId="j1", thingName="t1", executionNumber="abc", force="maybe",
    )
    assert message.startswith("2 validation errors detected: Value 'abc' at 'executionNumber'"), message
    assert "Value 'maybe' at 'force' failed to satisfy constraint: Member must be a boolean" in message
    assert iot.describe_job_execution(jobId="j1", thingName="t1")["execution"]["status"] == "QUEUED"


def test_a_remembered_route_answers_its_own_path_only(iot: Any, jobs_data: Any) -> None:
    iot.create_thing(thingName="t1")
    iot.create_thing(thingName="t2")
    iot.create_job(jobId="j1", targets=[thing_arn("t1"), thing_arn("t2")], document="{}")
    for _ in range(3):  # the second and third calls of each path take the remembered route
        for thing in ("t1", "t2"):
            execution = jobs_data.describe_job_execution(jobId="j1", thingName=thing)["execution"]
            assert execution["thingName"] == thing
    jobs_data.update_job_execution(jobId="j1", thingName="t2", status="IN_PROGRESS")
    assert jobs_data.describe_job_execution(jobId="j1", thingName="t1")["execution"]["status"] == "QUEUED"
    assert jobs_data.describe_job_execution(jobId="j1", thingName="t2")["execution"]["status"] == "IN_PROGRESS"


def test_the_remembered_routes_are_bounded(monkeypatch: pytest.MonkeyPatch, iot: Any, jobs_data: Any) -> None:
    monkeypatch.setattr(dispatch, "_MATCH_CACHE_SIZE", 4)
    iot.create_thing(thingName="t0")
    iot.create_job(jobId="j1", targets=[thing_arn("t0")], document="{}")
    for index in range(10):
        expect_error("ResourceNotFoundException", 404, jobs_data.describe_job_execution,
                     jobId="j1", thingName=f"other-{index}")
        assert len(planes.DEVICE_TABLE._matched) <= 4
    assert jobs_data.describe_job_execution(jobId="j1", thingName="t0")["execution"]["thingName"] == "t0"


@pytest.mark.parametrize("body, expected", [
    (b'{"a":1}', {"a": 1}),
    (b' \n{"a": [1, 2]}\t ', {"a": [1, 2]}),  # whitespace around the value: the full decoder
    (b"", {}),
    (b"  \r\n", {}),
])
def test_json_bodies_that_parse(body: bytes, expected: Any) -> None:
    assert parse_body(body) == expected


@pytest.mark.parametrize("body", [
    b'{"a":1} x', b'{"a":1}{}', b'{"a": NaN}', b'{"a": Infinity}', b'{"a":', b"[1]", b'"s"', b"\xff{}",
])
def test_json_bodies_that_do_not(body: bytes) -> None:
    with pytest.raises(InvalidRequestException, match="Could not parse the request body"):
        parse_body(body)
