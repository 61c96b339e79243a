"""Devices written with the AWS IoT Device SDK v2 (IotJobsClient, IotJobsClientV2) take a
boto3-created job through its whole life against the embedded broker, unchanged."""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import pytest

from moto_iotjobs.mqtt import MqttJobsService, find_mosquitto

pytestmark = pytest.mark.mqtt

awscrt_mqtt = pytest.importorskip("awscrt.mqtt", reason="needs awsiotsdk (awscrt) for the SDK tests")
iotjobs_sdk = pytest.importorskip("awsiot.iotjobs", reason="needs awsiotsdk for the SDK tests")
import awsiot  # noqa: E402
from awscrt import mqtt_request_response  # noqa: E402

from .sdk import sdk_connection  # noqa: E402

DOCUMENT = {"operation": "reboot", "delaySeconds": 5}
QOS1 = awscrt_mqtt.QoS.AT_LEAST_ONCE


@pytest.fixture
def connection(jobs_mqtt: MqttJobsService) -> Iterator[Any]:
    """An awscrt MQTT 3.1.1 connection to the service's broker over plain TCP (no TLS)."""
    with sdk_connection(jobs_mqtt.host, jobs_mqtt.port) as conn:
        yield conn


def _job(iotjobs: Any, thing: str = "dev1") -> tuple[Any, str]:
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName=thing)["thingArn"]
    return iot, arn


def _assert_boto3_sees_success(iot: Any, job_id: str, thing: str, details: dict[str, str]) -> None:
    assert iot.describe_job(jobId=job_id)["job"]["status"] == "COMPLETED"
    execution = iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]
    assert execution["status"] == "SUCCEEDED"
    assert execution["statusDetails"] == {"detailsMap": details}


def test_iot_jobs_client_v1_whole_job_life(iotjobs: Any, connection: Any) -> None:
    iot, arn = _job(iotjobs)
    client = iotjobs_sdk.IotJobsClient(connection)
    events: queue.Queue[Any] = queue.Queue()
    started: queue.Queue[Any] = queue.Queue()
    updated: queue.Queue[Any] = queue.Queue()
    rejected: queue.Queue[Any] = queue.Queue()
    subscriptions = [
        client.subscribe_to_next_job_execution_changed_events(
            iotjobs_sdk.NextJobExecutionChangedSubscriptionRequest(thing_name="dev1"), QOS1, events.put
        ),
        client.subscribe_to_start_next_pending_job_execution_accepted(
            iotjobs_sdk.StartNextPendingJobExecutionSubscriptionRequest(thing_name="dev1"), QOS1, started.put
        ),
        client.subscribe_to_start_next_pending_job_execution_rejected(
            iotjobs_sdk.StartNextPendingJobExecutionSubscriptionRequest(thing_name="dev1"), QOS1, rejected.put
        ),
        client.subscribe_to_update_job_execution_accepted(
            iotjobs_sdk.UpdateJobExecutionSubscriptionRequest(thing_name="dev1", job_id="+"), QOS1, updated.put
        ),
        client.subscribe_to_update_job_execution_rejected(
            iotjobs_sdk.UpdateJobExecutionSubscriptionRequest(thing_name="dev1", job_id="+"), QOS1, rejected.put
        ),
    ]
    for future, _ in subscriptions:
        future.result(10)

    iot.create_job(jobId="reboot-1", targets=[arn], document=json.dumps(DOCUMENT))
    event = events.get(timeout=10)
    assert event.execution.job_id == "reboot-1"
    assert event.execution.status == "QUEUED"
    assert event.execution.job_document == DOCUMENT

    client.publish_start_next_pending_job_execution(
        iotjobs_sdk.StartNextPendingJobExecutionRequest(
            thing_name="dev1", client_token="v1-start", status_details={"step": "starting"}
        ),
        QOS1,
    ).result(10)
    response = started.get(timeout=10)
    assert response.client_token == "v1-start"
    assert response.execution.status == "IN_PROGRESS"
    assert response.execution.version_number == 2
    assert response.execution.job_document == DOCUMENT
    assert response.execution.started_at is not None

    version = 2
    for step in ("stopping", "rebooting"):
        client.publish_update_job_execution(
            iotjobs_sdk.UpdateJobExecutionRequest(
                thing_name="dev1",
                job_id="reboot-1",
                status=iotjobs_sdk.JobStatus.IN_PROGRESS,
                status_details={"step": step},
                expected_version=version,
                include_job_execution_state=True,
                client_token=f"v1-{step}",
            ),
            QOS1,
        ).result(10)
        progress = updated.get(timeout=10)
        version += 1
        assert progress.client_token == f"v1-{step}"
        assert progress.execution_state.version_number == version

    client.publish_update_job_execution(
        iotjobs_sdk.UpdateJobExecutionRequest(
            thing_name="dev1",
            job_id="reboot-1",
            status=iotjobs_sdk.JobStatus.SUCCEEDED,
            expected_version=2,
            client_token="v1-stale",
        ),
        QOS1,
    ).result(10)
    error = rejected.get(timeout=10)
    assert error.code == iotjobs_sdk.RejectedErrorCode.VERSION_MISMATCH
    assert error.client_token == "v1-stale"
    assert error.execution_state.status == "IN_PROGRESS"
    assert error.execution_state.version_number == version
    assert error.execution_state.status_details == {"step": "rebooting"}

    client.publish_update_job_execution(
        iotjobs_sdk.UpdateJobExecutionRequest(
            thing_name="dev1",
            job_id="reboot-1",
            status=iotjobs_sdk.JobStatus.SUCCEEDED,
            status_details={"step": "done"},
            expected_version=version,
            client_token="v1-done",
        ),
        QOS1,
    ).result(10)
    assert updated.get(timeout=10).client_token == "v1-done"
    assert events.get(timeout=10).execution is None  # nothing pending any more
    assert rejected.empty()
    _assert_boto3_sees_success(iot, "reboot-1", "dev1", {"step": "done"})


def _rr_options() -> Any:
    return mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=3,
        max_streaming_subscriptions=2,
        operation_timeout_in_seconds=10,
    )


def _v2_whole_job_life(iotjobs: Any, protocol_client: Any) -> None:
    iot, arn = _job(iotjobs)
    client = iotjobs_sdk.IotJobsClientV2(protocol_client, _rr_options())
    events: queue.Queue[Any] = queue.Queue()
    established: Future[None] = Future()

    def on_status(event: Any) -> None:
        established_type = mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED
        if event.type == established_type and not established.done():
            established.set_result(None)

    stream = client.create_next_job_execution_changed_stream(
        iotjobs_sdk.NextJobExecutionChangedSubscriptionRequest(thing_name="dev1"),
        awsiot.ServiceStreamOptions(incoming_event_listener=events.put, subscription_status_listener=on_status),
    )
    stream.open()
    established.result(10)

    iot.create_job(jobId="reboot-2", targets=[arn], document=json.dumps(DOCUMENT))
    event = events.get(timeout=10)
    assert event.execution.job_id == "reboot-2"
    assert event.execution.job_document == DOCUMENT

    pending = client.get_pending_job_executions(
        iotjobs_sdk.GetPendingJobExecutionsRequest(thing_name="dev1")
    ).result(10)
    assert [s.job_id for s in pending.queued_jobs] == ["reboot-2"]

    started = client.start_next_pending_job_execution(
        iotjobs_sdk.StartNextPendingJobExecutionRequest(thing_name="dev1", status_details={"step": "starting"})
    ).result(10)
    assert started.execution.status == "IN_PROGRESS"
    assert started.execution.version_number == 2

    described = client.describe_job_execution(
        iotjobs_sdk.DescribeJobExecutionRequest(thing_name="dev1", job_id="$next")
    ).result(10)
    assert described.execution.job_id == "reboot-2"
    assert described.execution.job_document == DOCUMENT

    version = 2
    for percent in ("30", "60", "90"):
        progress = client.update_job_execution(
            iotjobs_sdk.UpdateJobExecutionRequest(
                thing_name="dev1",
                job_id="reboot-2",
                status=iotjobs_sdk.JobStatus.IN_PROGRESS,
                status_details={"percent": percent},
                expected_version=version,
                include_job_execution_state=True,
            )
        ).result(10)
        version += 1
        assert progress.execution_state.version_number == version

    with pytest.raises(awsiot.V2ServiceException) as info:
        client.update_job_execution(
            iotjobs_sdk.UpdateJobExecutionRequest(
                thing_name="dev1", job_id="reboot-2", status=iotjobs_sdk.JobStatus.SUCCEEDED, expected_version=1
            )
        ).result(10)
    error = info.value.modeled_error
    assert error is not None, info.value.inner_error
    assert error.code == "VersionMismatch"
    assert error.execution_state.version_number == version
    assert error.execution_state.status_details == {"percent": "90"}

    with pytest.raises(awsiot.V2ServiceException) as info:
        client.describe_job_execution(
            iotjobs_sdk.DescribeJobExecutionRequest(thing_name="dev1", job_id="no-such-job")
        ).result(10)
    assert info.value.modeled_error.code == "ResourceNotFound"

    done = client.update_job_execution(
        iotjobs_sdk.UpdateJobExecutionRequest(
            thing_name="dev1",
            job_id="reboot-2",
            status=iotjobs_sdk.JobStatus.SUCCEEDED,
            status_details={"percent": "100"},
            expected_version=version,
            include_job_document=True,
        )
    ).result(10)
    assert done.job_document == DOCUMENT
    assert events.get(timeout=10).execution is None
    _assert_boto3_sees_success(iot, "reboot-2", "dev1", {"percent": "100"})


def test_iot_jobs_client_v2_whole_job_life(iotjobs: Any, connection: Any) -> None:
    _v2_whole_job_life(iotjobs, connection)


def test_iot_jobs_client_v2_over_mqtt5_on_mosquitto(iotjobs: Any) -> None:
    """amqtt speaks only MQTT 3.1.1; mosquitto also serves MQTT 5 devices."""
    from awscrt import mqtt5

    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed (Debian/Ubuntu: apt-get install mosquitto)")
    with MqttJobsService(kind="mosquitto") as service:
        connected: Future[None] = Future()
        stopped: Future[None] = Future()
        client = mqtt5.Client(
            mqtt5.ClientOptions(
                host_name=service.host,
                port=service.port,
                connect_options=mqtt5.ConnectPacket(
                    client_id=f"sdk5-{uuid.uuid4().hex[:8]}", keep_alive_interval_sec=30
                ),
                on_lifecycle_event_connection_success_fn=lambda event: connected.set_result(None),
                on_lifecycle_event_stopped_fn=lambda event: stopped.set_result(None),
            )
        )
        client.start()
        try:
            connected.result(10)
            _v2_whole_job_life(iotjobs, client)
        finally:
            client.stop()
            stopped.result(10)
