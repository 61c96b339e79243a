"""A paho-mqtt device takes a boto3-created job through its whole life, on amqtt and mosquitto."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from moto_iotjobs import inject_fault
from moto_iotjobs.mqtt import MqttJobsService, find_mosquitto, jobs_broker
from moto_iotjobs.services.jobs import notifications

pytestmark = pytest.mark.mqtt

DOCUMENT = {"operation": "firmware-update", "version": "2.1.0"}


def _seconds(value: Any) -> None:
    assert isinstance(value, int) and abs(value - time.time()) < 60, value


def test_paho_device_whole_job_life(iotjobs: Any, jobs_mqtt: MqttJobsService, make_jobs_device) -> None:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    device = make_jobs_device(jobs_mqtt, "dev1")

    iot.create_job(jobId="fw-1", targets=[arn], document=json.dumps(DOCUMENT))

    # notify-next arrives, with the document as an object
    nxt = device.next_message("notify-next")
    assert nxt["execution"]["jobId"] == "fw-1"
    assert nxt["execution"]["status"] == "QUEUED"
    assert nxt["execution"]["jobDocument"] == DOCUMENT
    _seconds(nxt["timestamp"])
    listed = device.next_message("notify")
    assert [j["jobId"] for j in listed["jobs"]["QUEUED"]] == ["fw-1"]

    outcome, pending = device.request("get", {"clientToken": "c-get"})
    assert outcome == "accepted"
    assert [j["jobId"] for j in pending["queuedJobs"]] == ["fw-1"]
    assert pending["clientToken"] == "c-get"
    _seconds(pending["timestamp"])

    # start-next
    outcome, started = device.request(
        "start-next", {"statusDetails": {"step": "downloading"}, "clientToken": "c-start"}
    )
    assert outcome == "accepted", started
    execution = started["execution"]
    assert (execution["jobId"], execution["status"], execution["versionNumber"]) == ("fw-1", "IN_PROGRESS", 2)
    assert execution["jobDocument"] == DOCUMENT
    for key in ("queuedAt", "startedAt", "lastUpdatedAt"):
        _seconds(execution[key])
    assert started["clientToken"] == "c-start"

    # progress updates
    version = 2
    for percent in ("25", "50", "75"):
        outcome, updated = device.request(
            "fw-1/update",
            {
                "status": "IN_PROGRESS",
                "statusDetails": {"step": "installing", "percent": percent},
                "expectedVersion": version,
                "includeJobExecutionState": True,
                "clientToken": f"c-{percent}",
            },
        )
        assert outcome == "accepted", updated
        version += 1
        assert updated["executionState"]["versionNumber"] == version
        assert updated["clientToken"] == f"c-{percent}"

    # a stale version is rejected with the current state
    outcome, stale = device.request(
        "fw-1/update", {"status": "SUCCEEDED", "expectedVersion": 2, "clientToken": "c-stale"}
    )
    assert outcome == "rejected"
    assert stale["code"] == "VersionMismatch"
    assert stale["clientToken"] == "c-stale"
    assert stale["executionState"] == {
        "status": "IN_PROGRESS",
        "statusDetails": {"step": "installing", "percent": "75"},
        "versionNumber": version,
    }
    _seconds(stale["timestamp"])

    # boto3 sees what the device did
    seen = iot.describe_job_execution(jobId="fw-1", thingName="dev1")["execution"]
    assert seen["status"] == "IN_PROGRESS"
    assert seen["versionNumber"] == version
    assert seen["statusDetails"] == {"detailsMap": {"step": "installing", "percent": "75"}}

    # success
    outcome, done = device.request(
        "fw-1/update",
        {"status": "SUCCEEDED", "statusDetails": {"step": "done"}, "expectedVersion": version},
    )
    assert outcome == "accepted"
    assert device.next_message("notify") == {"timestamp": done["timestamp"], "jobs": {}}
    assert device.next_message("notify-next") == {"timestamp": done["timestamp"]}

    job = iot.describe_job(jobId="fw-1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 1
    execution = iot.describe_job_execution(jobId="fw-1", thingName="dev1")["execution"]
    assert execution["status"] == "SUCCEEDED"
    assert execution["statusDetails"] == {"detailsMap": {"step": "done"}}
    data = iotjobs.client("iot-jobs-data")
    assert data.get_pending_job_executions(thingName="dev1")["queuedJobs"] == []

    # the notifications are still recorded in moto's published_payloads
    recorded = [topic for topic, _ in iotjobs.notifications(thing_name="dev1")]
    assert recorded.count("$aws/things/dev1/jobs/notify-next") == 2
    assert recorded.count("$aws/things/dev1/jobs/notify") == 2


def test_reply_comes_before_the_notifications_it_causes(
    iotjobs: Any, jobs_mqtt: MqttJobsService, make_jobs_device
) -> None:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    device = make_jobs_device(jobs_mqtt, "dev1")
    iot.create_job(jobId="a", targets=[arn], document="{}")
    iot.create_job(jobId="b", targets=[arn], document="{}")
    assert device.next_message("notify-next")["execution"]["jobId"] == "a"
    device.messages_on("notify")
    device.publish(device.prefix + "a/update", json.dumps({"status": "FAILED"}))
    order = []
    while len(order) < 3:
        topic, _ = device.receive()
        if not topic.endswith("/update"):
            order.append(topic[len(device.prefix) :])
    assert order == ["a/update/accepted", "notify", "notify-next"]


@pytest.mark.parametrize(
    ("suffix", "payload", "code", "token"),
    [
        ("bogus", b'{"clientToken": "t1"}', "InvalidTopic", None),
        ("j1/cancel", b'{"clientToken": "t1"}', "InvalidTopic", None),
        ("get", b"{oops", "InvalidJson", None),
        ("j1/update", b'{"status": "BOGUS", "clientToken": "t2"}', "InvalidRequest", "t2"),
        ("nope/update", b'{"status": "TIMED_OUT", "clientToken": "t3"}', "InvalidStateTransition", "t3"),
        ("j1/update", b'{"clientToken": "t4"}', "InvalidRequest", "t4"),
        ("nope/update", b'{"status": "IN_PROGRESS", "clientToken": "t5"}', "ResourceNotFound", "t5"),
        ("nope/get", b'{"clientToken": "t6"}', "ResourceNotFound", "t6"),
    ],
)
def test_rejections_over_the_wire(
    iotjobs: Any,
    jobs_mqtt: MqttJobsService,
    make_jobs_device,
    suffix: str,
    payload: bytes,
    code: str,
    token: str | None,
) -> None:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    device = make_jobs_device(jobs_mqtt, "dev1")
    outcome, reply = device.request(suffix, payload)
    assert outcome == "rejected"
    assert reply["code"] == code
    assert reply.get("clientToken") == token
    assert "executionState" not in reply
    assert isinstance(reply["message"], str) and reply["message"]
    _seconds(reply["timestamp"])


def test_state_transition_and_throttling_over_the_wire(
    iotjobs: Any, jobs_mqtt: MqttJobsService, make_jobs_device
) -> None:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    device = make_jobs_device(jobs_mqtt, "dev1")
    assert device.request("j1/update", {"status": "REJECTED"})[0] == "accepted"
    outcome, reply = device.request("j1/update", {"status": "IN_PROGRESS", "clientToken": "x"})
    assert (outcome, reply["code"], reply["clientToken"]) == ("rejected", "InvalidStateTransition", "x")
    assert reply["executionState"] == {"status": "REJECTED", "versionNumber": 2}

    inject_fault("GetPendingJobExecutions", "ThrottlingException", count=1)
    outcome, reply = device.request("get", {"clientToken": "th"})
    assert (outcome, reply["code"], reply["clientToken"]) == ("rejected", "RequestThrottled", "th")
    assert device.request("get")[0] == "accepted"


def test_greengrass_namespace_over_the_wire(
    iotjobs: Any, jobs_mqtt: MqttJobsService, make_jobs_device
) -> None:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="core1")["thingArn"]
    device = make_jobs_device(jobs_mqtt, "core1")
    ns = "aws-gg-deployment"
    iot.create_job(
        jobId="deploy-1", targets=[arn], document='{"components": {}}', namespaceId=ns
    )
    nxt = device.next_message(f"notify-next-namespace-{ns}")
    assert nxt["execution"]["jobId"] == "deploy-1"
    assert nxt["execution"]["jobDocument"] == {"components": {}}
    assert device.messages_on("notify-next") == []  # the plain topic is for plain jobs

    outcome, described = device.request(f"$next/namespace-{ns}/get", {"clientToken": "gg-1"})
    assert outcome == "accepted" and described["clientToken"] == "gg-1"
    assert described["execution"]["jobId"] == "deploy-1"
    outcome, _ = device.request(
        f"deploy-1/namespace-{ns}/update", {"status": "IN_PROGRESS", "expectedVersion": 1}
    )
    assert outcome == "accepted"
    outcome, stale = device.request(
        f"deploy-1/namespace-{ns}/update", {"status": "SUCCEEDED", "expectedVersion": 1}
    )
    assert (outcome, stale["code"]) == ("rejected", "VersionMismatch")
    outcome, _ = device.request(
        f"deploy-1/namespace-{ns}/update", {"status": "SUCCEEDED", "expectedVersion": 2}
    )
    assert outcome == "accepted"
    assert "execution" not in device.next_message(f"notify-next-namespace-{ns}")
    assert device.messages_on(f"notify-namespace-{ns}")[-1]["jobs"] == {}
    assert iot.describe_job(jobId="deploy-1")["job"]["status"] == "COMPLETED"


def test_events_and_other_things_reach_only_subscribers(
    iotjobs: Any, jobs_mqtt: MqttJobsService, make_device, make_jobs_device
) -> None:
    iot = iotjobs.client("iot")
    iot.update_event_configurations(eventConfigurations={"JOB_EXECUTION": {"Enabled": True}})
    arns = [iot.create_thing(thingName=name)["thingArn"] for name in ("dev1", "dev2")]
    dev1 = make_jobs_device(jobs_mqtt, "dev1")
    dev2 = make_jobs_device(jobs_mqtt, "dev2")
    fleet = make_device(jobs_mqtt)
    fleet.subscribe("$aws/events/jobExecution/+/+")
    iot.create_job(jobId="j1", targets=arns[:1], document="{}")
    dev1.next_message("notify-next")
    assert dev1.request("j1/update", {"status": "SUCCEEDED"})[0] == "accepted"
    topic, payload = fleet.receive()
    assert topic == "$aws/events/jobExecution/j1/succeeded"
    assert json.loads(payload)["thingArn"] == arns[0]
    dev2.assert_nothing_received()


def test_other_accounts_notifications_stay_off_the_broker(
    iotjobs: Any, make_jobs_device
) -> None:
    with MqttJobsService(account_id="111122223333") as service:
        device = make_jobs_device(service, "dev1")
        iot = iotjobs.client("iot")
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document="{}")  # account 123456789012
        assert device.messages_on("notify-next", wait=0.3) == []
        outcome, pending = device.request("get")
        assert outcome == "accepted" and pending["queuedJobs"] == []
        assert iotjobs.notifications(thing_name="dev1")  # recorded in its own account


def test_concurrent_devices_and_boto3(iotjobs: Any, jobs_mqtt: MqttJobsService, make_jobs_device) -> None:
    """Several devices and boto3 calls at once: one backend, one lock, every job completes."""
    iot = iotjobs.client("iot")
    names = [f"dev{i}" for i in range(6)]
    arns = [iot.create_thing(thingName=name)["thingArn"] for name in names]
    devices = [make_jobs_device(jobs_mqtt, name) for name in names]
    iot.create_job(jobId="bulk", targets=arns, document="{}")
    errors: list[BaseException] = []

    def work(device: Any) -> None:
        try:
            outcome, started = device.request("start-next", {})
            assert outcome == "accepted" and started["execution"]["jobId"] == "bulk"
            for _ in range(5):
                assert device.request("bulk/update", {"status": "IN_PROGRESS"})[0] == "accepted"
            assert device.request("bulk/update", {"status": "SUCCEEDED"})[0] == "accepted"
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for _ in range(10):
        iot.list_job_executions_for_job(jobId="bulk")
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert iot.describe_job(jobId="bulk")["job"]["status"] == "COMPLETED"


# --- the service, the context manager and the fixture -------------------------------------------


def test_service_lifecycle_is_idempotent_and_cleans_up(iotjobs: Any, broker_kind: str) -> None:
    threads_before = set(threading.enumerate())
    service = MqttJobsService(kind=broker_kind)  # type: ignore[arg-type]
    assert not service.running and service.port == 0
    assert service.start() is service
    assert service.start() is service
    assert service.running and service.port > 0
    assert service.url == f"mqtt://127.0.0.1:{service.port}"
    assert any(entry[0] == service._notify for entry in notifications._sinks)
    service.stop()
    service.stop()
    assert not service.running
    assert all(entry[0] != service._notify for entry in notifications._sinks)
    assert set(threading.enumerate()) <= threads_before
    # notifications after stop go nowhere, without errors
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    # a stopped service starts again
    with service:
        assert service.running and service.port > 0
    assert not service.running


def test_jobs_broker_needs_an_active_mock() -> None:
    with pytest.raises(RuntimeError, match="needs an active moto mock"), jobs_broker():
        pass


def test_jobs_broker_context_manager(make_jobs_device) -> None:
    import boto3

    from moto_iotjobs import mock_iotjobs

    with mock_iotjobs(), jobs_broker() as broker:
        assert broker.running and broker.kind == "amqtt"
        iot = boto3.client(
            "iot", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        device = make_jobs_device(broker, "dev1")
        iot.create_job(jobId="j1", targets=[arn], document='{"a": 1}')
        assert device.next_message("notify-next")["execution"]["jobDocument"] == {"a": 1}
        assert device.request("start-next")[1]["execution"]["status"] == "IN_PROGRESS"
    assert not broker.running


def test_iotjobs_mqtt_fixture(iotjobs: Any, iotjobs_mqtt: MqttJobsService, make_jobs_device) -> None:
    assert iotjobs_mqtt.running and iotjobs_mqtt.kind == "amqtt"
    assert iotjobs_mqtt.host == "127.0.0.1" and iotjobs_mqtt.port > 0
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    device = make_jobs_device(iotjobs_mqtt, "dev1")
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    assert device.request("j1/update", {"status": "SUCCEEDED"})[0] == "accepted"
    assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"


@pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto is not installed")
@pytest.mark.parametrize("iotjobs_mqtt", ["mosquitto"], indirect=True)
def test_iotjobs_mqtt_fixture_with_mosquitto(iotjobs: Any, iotjobs_mqtt: MqttJobsService, make_jobs_device) -> None:
    assert iotjobs_mqtt.kind == "mosquitto"
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    device = make_jobs_device(iotjobs_mqtt, "dev1")
    iot.create_job(jobId="j1", targets=[arn], document="{}")
    assert device.next_message("notify-next")["execution"]["jobId"] == "j1"


@pytest.mark.parametrize("missing", ["paho", "amqtt"])
def test_iotjobs_mqtt_fixture_skips_without_the_extra(
    iotjobs: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else real_find_spec(name, *a)
    )
    with pytest.raises(pytest.skip.Exception, match=rf"needs the \[mqtt\] extra.*{missing} not installed"):
        request.getfixturevalue("iotjobs_mqtt")
