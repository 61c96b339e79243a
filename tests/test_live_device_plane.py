"""Issue #13, device plane: behaviour measured on the live service (docs/live-service.md,
sections "Device-plane DescribeJobExecution of a terminal execution" and "Statuses a device
may not set")."""

from __future__ import annotations

import json

import pytest

from moto_iotjobs.mqtt import JobsMqttApi

from .conftest import DOCUMENT
from .helpers import execution, expect_error

P = "$aws/things/dev1/jobs/"


@pytest.fixture
def one_job(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    return "j1"


def mqtt(suffix: str, body: dict) -> tuple[str, dict]:
    [(topic, payload)] = JobsMqttApi().handle(P + suffix, json.dumps(body).encode())
    return topic.rsplit("/", 1)[1], json.loads(payload)


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_device_describe_of_terminal_execution_is_410(iot, jobs_data, one_job, final):
    """docs/live-service.md, "Device-plane DescribeJobExecution of a terminal execution"."""
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status=final)
    message = expect_error(
        "TerminalStateException", 410, jobs_data.describe_job_execution, jobId="j1", thingName="dev1"
    )
    assert final in message
    expect_error("TerminalStateException", 410, jobs_data.describe_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=1)
    # the control plane still describes it; $next (nothing pending) stays an empty answer
    assert execution(iot, "j1", "dev1")["status"] == final
    assert "execution" not in jobs_data.describe_job_execution(jobId="$next", thingName="dev1")
    # an unknown job is still 404
    expect_error("ResourceNotFoundException", 404, jobs_data.describe_job_execution,
                 jobId="nope", thingName="dev1")


def test_device_describe_of_canceled_execution_is_410(iot, jobs_data, one_job):
    """docs/live-service.md, "Device-plane DescribeJobExecution of a terminal execution":
    a status set by the service is terminal too."""
    iot.cancel_job(jobId="j1")
    expect_error("TerminalStateException", 410, jobs_data.describe_job_execution,
                 jobId="j1", thingName="dev1")


def test_pending_executions_are_still_described(jobs_data, one_job):
    assert jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]["status"] == "QUEUED"
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    assert jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]["status"] == "IN_PROGRESS"


@pytest.mark.mqtt
def test_mqtt_get_of_terminal_execution_is_terminal_state_reached(iotjobs, jobs_data, one_job):
    """docs/live-service.md, "Device-plane DescribeJobExecution of a terminal execution":
    the Jobs MQTT API's code is TerminalStateReached."""
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    outcome, reply = mqtt("j1/get", {"clientToken": "c1"})
    assert outcome == "rejected"
    assert reply["code"] == "TerminalStateReached"
    assert reply["clientToken"] == "c1"
    outcome, reply = mqtt("$next/get", {})
    assert outcome == "accepted" and "execution" not in reply


@pytest.mark.parametrize("status", ["QUEUED", "CANCELED", "TIMED_OUT", "REMOVED"])
def test_status_a_device_may_not_set_is_409(iot, jobs_data, one_job, status):
    """docs/live-service.md, "Statuses a device may not set" (captured text)."""
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    message = expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                           jobId="j1", thingName="dev1", status=status)
    assert message == f"The status of job execution cannot be changed to be {status}"
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 2)


def test_status_is_checked_before_the_execution_is_looked_up(jobs_data):
    """docs/live-service.md, "Statuses a device may not set": an unknown job with status
    QUEUED is 409, not 404."""
    message = expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                           jobId="nope", thingName="ghost", status="QUEUED")
    assert message == "The status of job execution cannot be changed to be QUEUED"
    expect_error("ResourceNotFoundException", 404, jobs_data.update_job_execution,
                 jobId="nope", thingName="ghost", status="SUCCEEDED")


@pytest.mark.mqtt
def test_mqtt_update_to_a_service_status_is_invalid_state_transition(iotjobs, one_job):
    """docs/live-service.md, "Statuses a device may not set": MQTT code InvalidStateTransition."""
    outcome, reply = mqtt("j1/update", {"status": "TIMED_OUT", "clientToken": "t"})
    assert outcome == "rejected"
    assert reply["code"] == "InvalidStateTransition"
    assert reply["message"] == "The status of job execution cannot be changed to be TIMED_OUT"
    assert reply["executionState"]["status"] == "QUEUED"
    outcome, reply = mqtt("nope/update", {"status": "QUEUED"})
    assert (outcome, reply["code"]) == ("rejected", "InvalidStateTransition")
    assert "executionState" not in reply
