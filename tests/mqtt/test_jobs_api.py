"""The Jobs MQTT API handler alone (no broker): topics, payloads, error codes, clientToken."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from moto_iotjobs import inject_fault
from moto_iotjobs.mqtt import JobsMqttApi, JobsRequestTopic, parse_request_topic
from moto_iotjobs.mqtt.jobs_api import is_jobs_request_candidate, is_service_topic

pytestmark = pytest.mark.mqtt

DOCUMENT = {"operation": "update", "version": "2.0"}
#: The handler's clock: fixed (a fraction, to see timestamps are whole seconds), near real time.
NOW = int(time.time()) + 0.75
P = "$aws/things/dev1/jobs/"


@pytest.fixture
def api(iotjobs: Any) -> JobsMqttApi:
    return JobsMqttApi(now=lambda: NOW)


@pytest.fixture
def dev1(iotjobs: Any) -> str:
    iot = iotjobs.client("iot")
    return str(iot.create_thing(thingName="dev1")["thingArn"])


@pytest.fixture
def job(iotjobs: Any, dev1: str) -> str:
    iotjobs.client("iot").create_job(jobId="j1", targets=[dev1], document=json.dumps(DOCUMENT))
    return "j1"


def call(api: JobsMqttApi, suffix: str, body: Any = None) -> tuple[str, dict[str, Any]]:
    """One request; returns ("accepted" | "rejected", payload) and checks the reply topic."""
    topic = P + suffix
    payload = body if isinstance(body, bytes) else json.dumps({} if body is None else body).encode()
    replies = api.handle(topic, payload)
    assert len(replies) == 1, replies
    reply_topic, reply = replies[0]
    outcome = reply_topic[len(topic) + 1 :]
    assert reply_topic == f"{topic}/{outcome}" and outcome in ("accepted", "rejected")
    return outcome, json.loads(reply)


def rejected(api: JobsMqttApi, suffix: str, body: Any = None) -> dict[str, Any]:
    outcome, reply = call(api, suffix, body)
    assert outcome == "rejected", reply
    assert reply["timestamp"] == int(NOW)
    return reply


def test_topic_parsing_includes_greengrass_namespaces() -> None:
    assert parse_request_topic(P + "j1/namespace-aws-gg-deployment/update") == JobsRequestTopic(
        "dev1", "UpdateJobExecution", "j1", "aws-gg-deployment"
    )
    assert parse_request_topic(P + "$next/namespace-aws-gg-deployment/get") == JobsRequestTopic(
        "dev1", "DescribeJobExecution", "$next", "aws-gg-deployment"
    )
    assert parse_request_topic(P + "j1/get") == JobsRequestTopic("dev1", "DescribeJobExecution", "j1")
    for topic in (
        P + "j1/namespace-/get",
        P + "j1/ns-x/get",
        P + "j1/get/get",
        P + "j1/namespace-x/delete",
    ):
        assert parse_request_topic(topic) is None, topic


@pytest.mark.parametrize(
    "topic",
    [
        P + "get/accepted",
        P + "j1/update/rejected",
        P + "j1/namespace-gg/update/accepted",
        P + "bogus/rejected",
        P + "notify",
        P + "notify-next",
        P + "notify-namespace-gg",
        P + "notify-next-namespace-gg",
        P + "j1/notify-namespace-gg",
        P + "j1/notify-namespace-gg/",
    ],
)
def test_replies_and_notifications_are_never_answered(api: JobsMqttApi, topic: str) -> None:
    assert is_service_topic(topic)
    assert not is_jobs_request_candidate(topic)
    assert api.handle(topic, b"{}") == []


def test_get_pending(api: JobsMqttApi, job: str) -> None:
    outcome, reply = call(api, "get", {"clientToken": "tok-1"})
    assert outcome == "accepted"
    assert reply == {
        "inProgressJobs": [],
        "queuedJobs": [
            {
                "jobId": "j1",
                "queuedAt": reply["queuedJobs"][0]["queuedAt"],
                "lastUpdatedAt": reply["queuedJobs"][0]["lastUpdatedAt"],
                "versionNumber": 1,
                "executionNumber": 1,
            }
        ],
        "timestamp": int(NOW),
        "clientToken": "tok-1",
    }
    assert isinstance(reply["queuedJobs"][0]["queuedAt"], int)


def test_empty_payload_counts_as_empty_object_and_no_token_is_no_token(api: JobsMqttApi) -> None:
    outcome, reply = call(api, "get", b"")
    assert outcome == "accepted"
    assert reply == {"inProgressJobs": [], "queuedJobs": [], "timestamp": int(NOW)}


def test_start_next_then_describe_with_document_as_object(api: JobsMqttApi, job: str) -> None:
    outcome, reply = call(
        api, "start-next", {"statusDetails": {"step": "download"}, "stepTimeoutInMinutes": 5, "clientToken": "s"}
    )
    assert outcome == "accepted"
    execution = reply["execution"]
    assert execution["jobId"] == "j1" and execution["thingName"] == "dev1"
    assert execution["status"] == "IN_PROGRESS" and execution["versionNumber"] == 2
    assert execution["statusDetails"] == {"step": "download"}
    assert execution["jobDocument"] == DOCUMENT  # an object, not a string
    for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
        assert isinstance(execution[key], int)
    assert reply["clientToken"] == "s"

    for suffix in ("j1/get", "$next/get"):
        outcome, described = call(api, suffix, {"clientToken": "d"})
        assert outcome == "accepted"
        assert described["execution"]["jobDocument"] == DOCUMENT
        assert described["execution"]["versionNumber"] == 2
    outcome, without = call(api, "j1/get", {"includeJobDocument": False, "executionNumber": 1})
    assert "jobDocument" not in without["execution"]


def test_nothing_pending_accepted_without_execution(api: JobsMqttApi, dev1: str) -> None:
    for suffix in ("start-next", "$next/get"):
        outcome, reply = call(api, suffix, {"clientToken": "c"})
        assert outcome == "accepted"
        assert reply == {"timestamp": int(NOW), "clientToken": "c"}


def test_update_flags(api: JobsMqttApi, job: str) -> None:
    outcome, reply = call(api, "j1/update", {"status": "IN_PROGRESS"})
    assert (outcome, reply) == ("accepted", {"timestamp": int(NOW)})
    outcome, reply = call(
        api,
        "j1/update",
        {
            "status": "SUCCEEDED",
            "statusDetails": {"result": "ok"},
            "expectedVersion": 2,
            "includeJobExecutionState": True,
            "includeJobDocument": True,
            "clientToken": "u",
        },
    )
    assert outcome == "accepted"
    assert reply == {
        "executionState": {"status": "SUCCEEDED", "statusDetails": {"result": "ok"}, "versionNumber": 3},
        "jobDocument": DOCUMENT,
        "timestamp": int(NOW),
        "clientToken": "u",
    }


def test_invalid_topic(api: JobsMqttApi) -> None:
    for suffix in ("bogus", "j1/delete", "j1/namespace-/get", "j1/get/extra/level"):
        reply = rejected(api, suffix, {"clientToken": "t"})
        assert reply["code"] == "InvalidTopic"
        assert suffix in reply["message"]
    assert json.loads(api.handle("$aws/things/dev1/jobs", b"{}")[0][1])["code"] == "InvalidTopic"
    assert api.handle("$aws/things/dev1/jobs", b"{}")[0][0] == "$aws/things/dev1/jobs/rejected"


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe{}", b'{"clientToken": "x"'])
def test_invalid_json(api: JobsMqttApi, payload: bytes) -> None:
    reply = rejected(api, "get", payload)
    assert reply["code"] == "InvalidJson"
    assert "clientToken" not in reply


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"status": "BOGUS"}, "enum value set"),
        ({}, "Value null at 'status'"),
        ({"status": "IN_PROGRESS", "statusDetails": {"k": 1}}, "statusDetails"),
        ({"status": "IN_PROGRESS", "stepTimeoutInMinutes": 0}, "stepTimeoutInMinutes"),
        ({"status": "IN_PROGRESS", "expectedVersion": "2"}, "expectedVersion"),
        ({"status": "IN_PROGRESS", "includeJobDocument": "yes"}, "includeJobDocument"),
    ],
)
def test_invalid_request_echoes_token(api: JobsMqttApi, job: str, body: dict[str, Any], fragment: str) -> None:
    reply = rejected(api, "j1/update", {**body, "clientToken": "bad-1"})
    assert reply["code"] == "InvalidRequest"
    assert fragment in reply["message"]
    assert reply["clientToken"] == "bad-1"
    assert "executionState" not in reply


def test_invalid_request_payload_shapes(api: JobsMqttApi) -> None:
    assert rejected(api, "get", b"[1, 2]")["code"] == "InvalidRequest"
    assert rejected(api, "get", {"clientToken": 5})["code"] == "InvalidRequest"
    assert rejected(api, "$next/update", {"status": "IN_PROGRESS"})["code"] == "InvalidRequest"
    bad_thing = json.loads(api.handle("$aws/things/bad thing/jobs/get", b"{}")[0][1])
    assert bad_thing["code"] == "InvalidRequest" and "thingName" in bad_thing["message"]


def test_resource_not_found(api: JobsMqttApi, job: str) -> None:
    for suffix, body in (
        ("nope/get", {}),
        ("nope/update", {"status": "IN_PROGRESS"}),
        ("j1/get", {"executionNumber": 7}),
        ("j1/update", {"status": "IN_PROGRESS", "executionNumber": 7}),
    ):
        reply = rejected(api, suffix, {**body, "clientToken": "nf"})
        assert reply["code"] == "ResourceNotFound", suffix
        assert reply["clientToken"] == "nf"
        assert "executionState" not in reply
    other = JobsMqttApi(now=lambda: NOW).handle("$aws/things/dev2/jobs/j1/get", b"{}")
    assert json.loads(other[0][1])["code"] == "ResourceNotFound"


def test_version_mismatch_carries_execution_state(api: JobsMqttApi, job: str) -> None:
    call(api, "start-next", {"statusDetails": {"step": "one"}})
    reply = rejected(api, "j1/update", {"status": "SUCCEEDED", "expectedVersion": 1, "clientToken": "v"})
    assert reply["code"] == "VersionMismatch"
    assert reply["clientToken"] == "v"
    assert reply["executionState"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "one"},
        "versionNumber": 2,
    }
    outcome, _ = call(api, "j1/update", {"status": "SUCCEEDED", "expectedVersion": 2})
    assert outcome == "accepted"


def test_invalid_state_transition_carries_execution_state(iotjobs: Any, api: JobsMqttApi, job: str) -> None:
    call(api, "j1/update", {"status": "SUCCEEDED"})
    reply = rejected(api, "j1/update", {"status": "IN_PROGRESS", "clientToken": "ist"})
    assert reply["code"] == "InvalidStateTransition"
    assert reply["executionState"] == {"status": "SUCCEEDED", "versionNumber": 2}
    assert reply["clientToken"] == "ist"
    # the same over HTTP is a 409 InvalidStateTransitionException: one set of rules
    data = iotjobs.client("iot-jobs-data")
    with pytest.raises(data.exceptions.InvalidStateTransitionException):
        data.update_job_execution(thingName="dev1", jobId="j1", status="IN_PROGRESS")


def test_injected_faults(iotjobs: Any, api: JobsMqttApi, job: str) -> None:
    inject_fault("UpdateJobExecution", "ThrottlingException", count=1)
    reply = rejected(api, "j1/update", {"status": "IN_PROGRESS", "clientToken": "th"})
    assert reply["code"] == "RequestThrottled" and reply["clientToken"] == "th"
    assert iotjobs.backend().get_execution("dev1", "j1").status == "QUEUED"  # nothing changed
    assert call(api, "j1/update", {"status": "IN_PROGRESS"})[0] == "accepted"

    inject_fault("GetPendingJobExecutions", "InternalFailureException", plane="iot-jobs-data")
    assert rejected(api, "get")["code"] == "InternalError"
    inject_fault("DescribeJobExecution", "ServiceUnavailableException", plane="iot")  # other plane
    assert call(api, "j1/get")[0] == "accepted"


def test_defects_answer_internal_error(api: JobsMqttApi, job: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from moto_iotjobs.services.jobs import handlers as responses

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(responses.DEVICE_HANDLERS, "GetPendingJobExecutions", broken)
    reply = rejected(api, "get", {"clientToken": "ie"})
    assert reply["code"] == "InternalError" and reply["clientToken"] == "ie"
    assert "boom" in caplog.text


def test_greengrass_namespaced_topics(iotjobs: Any, api: JobsMqttApi, dev1: str) -> None:
    iot = iotjobs.client("iot")
    iot.create_job(jobId="plain", targets=[dev1], document='{"kind": "plain"}')
    iot.create_job(
        jobId="gg", targets=[dev1], document='{"kind": "gg"}', namespaceId="aws-gg-deployment"
    )
    ns = "namespace-aws-gg-deployment"
    outcome, reply = call(api, f"$next/{ns}/get", {"clientToken": "g"})
    assert outcome == "accepted"
    assert reply["execution"]["jobId"] == "gg"
    assert reply["execution"]["jobDocument"] == {"kind": "gg"}
    assert reply["clientToken"] == "g"
    # the plain topics see every job, as the HTTP device plane does: the older one is next
    assert call(api, "$next/get")[1]["execution"]["jobId"] == "plain"

    assert call(api, f"gg/{ns}/update", {"status": "IN_PROGRESS", "expectedVersion": 1})[0] == "accepted"
    assert call(api, f"gg/{ns}/get")[1]["execution"]["status"] == "IN_PROGRESS"
    assert rejected(api, f"plain/{ns}/update", {"status": "IN_PROGRESS"})["code"] == "ResourceNotFound"
    assert rejected(api, f"plain/{ns}/get")["code"] == "ResourceNotFound"
    assert rejected(api, "gg/namespace-other/get")["code"] == "ResourceNotFound"
    stale = rejected(api, f"gg/{ns}/update", {"status": "SUCCEEDED", "expectedVersion": 1})
    assert stale["code"] == "VersionMismatch"
    assert stale["executionState"]["versionNumber"] == 2
    outcome, reply = call(
        api, f"gg/{ns}/update", {"status": "SUCCEEDED", "expectedVersion": 2, "includeJobExecutionState": True}
    )
    assert outcome == "accepted" and reply["executionState"]["status"] == "SUCCEEDED"
    assert call(api, f"$next/{ns}/get")[1] == {"timestamp": int(NOW)}
    assert iot.describe_job(jobId="gg")["job"]["status"] == "COMPLETED"


def test_one_account_and_region_per_api(iotjobs: Any, job: str) -> None:
    other_region = JobsMqttApi(region_name="eu-west-1", now=lambda: NOW)
    other_account = JobsMqttApi(account_id="111122223333", now=lambda: NOW)
    for api in (other_region, other_account):
        reply = json.loads(api.handle(P + "get", b"{}")[0][1])
        assert reply["queuedJobs"] == []
    assert JobsMqttApi().account_id == "123456789012"


def test_account_defaults_to_moto_account_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "444455556666")
    assert JobsMqttApi().account_id == "444455556666"
    assert JobsMqttApi(account_id="111122223333").account_id == "111122223333"


def test_time_driven_changes_are_applied_before_answering(iotjobs: Any, dev1: str) -> None:
    """backend.advance(now) runs first, as over HTTP: an expired step timer is TIMED_OUT."""
    iotjobs.client("iot").create_job(jobId="j1", targets=[dev1], document="{}")
    clock = [NOW]
    api = JobsMqttApi(now=lambda: clock[0])
    outcome, reply = call(api, "start-next", {"stepTimeoutInMinutes": 1})
    assert reply["execution"]["status"] == "IN_PROGRESS"
    clock[0] += 120
    outcome, reply = call(api, "j1/update", {"status": "SUCCEEDED"})
    assert outcome == "rejected" and reply["code"] == "InvalidStateTransition"
    assert reply["timestamp"] == int(NOW) + 120
    assert reply["executionState"]["status"] == "TIMED_OUT"
