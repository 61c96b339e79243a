"""The AWS IoT Device SDK v2 connects with mutual TLS, as to AWS, using a certificate and key
created with boto3 against the mock, and takes a boto3-created job to SUCCEEDED."""

from __future__ import annotations

import json
import time
from concurrent.futures import Future
from typing import Any

import pytest

from .devices import provision

pytestmark = pytest.mark.mqtt

awscrt_mqtt = pytest.importorskip("awscrt.mqtt", reason="needs awsiotsdk (awscrt)")
iotjobs_sdk = pytest.importorskip("awsiot.iotjobs", reason="needs awsiotsdk")
from awsiot import mqtt_connection_builder  # noqa: E402


def _connect(service: Any, credentials: Any, client_id: str) -> Any:
    with open(service.ca_path, "rb") as handle:
        ca_bytes = handle.read()
    connection = mqtt_connection_builder.mtls_from_bytes(
        endpoint="localhost",
        port=service.tls_port,
        cert_bytes=credentials.cert_pem.encode(),
        pri_key_bytes=credentials.key_pem.encode(),
        ca_bytes=ca_bytes,
        client_id=client_id,
        clean_session=True,
        keep_alive_secs=30,
    )
    connection.connect().result(10)
    return connection


@pytest.mark.parametrize("iotjobs_mqtt_tls", ["amqtt", "mosquitto"], indirect=True)
def test_sdk_device_over_mtls_takes_a_job_to_succeeded(iotjobs, iotjobs_mqtt_tls):
    if iotjobs_mqtt_tls.kind == "mosquitto":
        from moto_iotjobs.mqtt import find_mosquitto

        if find_mosquitto() is None:
            pytest.skip("mosquitto is not installed")
    iot = iotjobs.client("iot")
    credentials = provision(iot, thing="sdk-device")
    thing_arn = iot.describe_thing(thingName="sdk-device")["thingArn"]
    iot.create_job(jobId="firmware", targets=[thing_arn], document=json.dumps({"op": "flash"}))

    started = time.perf_counter()
    connection = _connect(iotjobs_mqtt_tls, credentials, "sdk-device")
    connect_ms = (time.perf_counter() - started) * 1000
    try:
        client = iotjobs_sdk.IotJobsClient(connection)
        got_next: Future[Any] = Future()
        done: Future[Any] = Future()
        client.subscribe_to_start_next_pending_job_execution_accepted(
            iotjobs_sdk.StartNextPendingJobExecutionSubscriptionRequest(thing_name="sdk-device"),
            awscrt_mqtt.QoS.AT_LEAST_ONCE,
            got_next.set_result,
        )[0].result(10)
        client.subscribe_to_update_job_execution_accepted(
            iotjobs_sdk.UpdateJobExecutionSubscriptionRequest(thing_name="sdk-device", job_id="+"),
            awscrt_mqtt.QoS.AT_LEAST_ONCE,
            done.set_result,
        )[0].result(10)
        client.publish_start_next_pending_job_execution(
            iotjobs_sdk.StartNextPendingJobExecutionRequest(thing_name="sdk-device", client_token="s1"),
            awscrt_mqtt.QoS.AT_LEAST_ONCE,
        ).result(10)
        execution = got_next.result(10).execution
        assert execution.job_id == "firmware" and execution.job_document == {"op": "flash"}
        client.publish_update_job_execution(
            iotjobs_sdk.UpdateJobExecutionRequest(
                thing_name="sdk-device", job_id="firmware", status="SUCCEEDED", client_token="s2"
            ),
            awscrt_mqtt.QoS.AT_LEAST_ONCE,
        ).result(10)
        assert done.result(10).client_token == "s2"
    finally:
        connection.disconnect().result(10)
    described = iot.describe_job_execution(jobId="firmware", thingName="sdk-device")["execution"]
    assert described["status"] == "SUCCEEDED"
    print(f"awscrt mTLS connect via {iotjobs_mqtt_tls.kind}: {connect_ms:.1f} ms")


def test_sdk_device_with_another_things_client_id_is_refused(iotjobs, iotjobs_mqtt_tls):
    iot = iotjobs.client("iot")
    credentials = provision(iot, thing="sdk-device")
    with pytest.raises(Exception, match="AWS_ERROR_MQTT_UNEXPECTED_HANGUP"):
        _connect(iotjobs_mqtt_tls, credentials, "someone-else")
