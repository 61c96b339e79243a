"""The AWS IoT Device SDK v2's own Jobs sample, unchanged (tests/mqtt/sdk_samples/NOTICE), run
as a subprocess against `python -m moto_iotjobs --mqtt-tls-port`: only its command-line
options point it at the mock. It takes a boto3-created job to SUCCEEDED over mutual TLS with a
certificate and key created with boto3, as it does against AWS IoT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

import boto3
import pytest
import requests

from ..helpers import free_port, start_server_process
from .devices import THING_JOBS_POLICY, write_credentials

pytestmark = [pytest.mark.mqtt, pytest.mark.server]

pytest.importorskip("awsiot.iotjobs", reason="needs awsiotsdk")

SAMPLE = os.path.join(os.path.dirname(__file__), "sdk_samples", "jobs.py")
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
SAMPLE_TIMEOUT = 60


def _provision(iot: Any, thing: str) -> Any:
    created = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_policy(policyName=f"{thing}-policy", policyDocument=THING_JOBS_POLICY)
    iot.attach_policy(policyName=f"{thing}-policy", target=created["certificateArn"])
    iot.create_thing(thingName=thing)
    iot.attach_thing_principal(thingName=thing, principal=created["certificateArn"])
    return write_credentials(
        created["certificatePem"], created["keyPair"]["PrivateKey"],
        created["certificateArn"], created["certificateId"],
    )


@pytest.mark.parametrize(
    "broker, mqtt_version", [("mosquitto", 5), ("mosquitto", 3), ("amqtt", 3)]
)
def test_sdk_jobs_sample_unchanged_takes_a_job_to_succeeded(monkeypatch, broker, mqtt_version):
    from moto_iotjobs.mqtt import find_mosquitto

    if broker == "mosquitto" and find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    if broker == "amqtt" and sys.version_info < (3, 10):
        pytest.skip("amqtt needs Python 3.10+")
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    http_port, tls_port = free_port(), free_port()
    server = start_server_process(http_port, "--mqtt-tls-port", str(tls_port), "--mqtt-broker", broker)
    endpoint = f"http://127.0.0.1:{http_port}"
    try:
        ca_path = os.path.join(tempfile.mkdtemp(prefix="sdk-sample-ca-"), "ca.pem")
        with open(ca_path, "wb") as handle:
            handle.write(requests.get(f"{endpoint}/moto-api/iotjobs/ca.pem", timeout=5).content)
        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        thing = f"sample-thing-{mqtt_version}"
        credentials = _provision(iot, thing)
        thing_arn = iot.describe_thing(thingName=thing)["thingArn"]
        iot.create_job(jobId="sample-job", targets=[thing_arn], document=json.dumps({"op": "update"}))

        started = time.perf_counter()
        sample = subprocess.run(
            [
                sys.executable, SAMPLE,
                "--endpoint", "localhost", "--port", str(tls_port), "--ca_file", ca_path,
                "--cert", credentials.cert_path, "--key", credentials.key_path,
                "--thing_name", thing, "--client_id", thing,
                "--mqtt_version", str(mqtt_version), "--job_time", "1",
            ],
            capture_output=True, text=True, timeout=SAMPLE_TIMEOUT,
        )
        elapsed = time.perf_counter() - started
        output = sample.stdout + sample.stderr
        assert sample.returncode == 0, output
        assert "Request to start next job was accepted. job_id:sample-job" in output, output
        assert "Request to update job was accepted." in output, output
        execution = iot.describe_job_execution(jobId="sample-job", thingName=thing)["execution"]
        assert execution["status"] == "SUCCEEDED"
        print(f"SDK jobs sample, MQTT {mqtt_version} via {broker}: {elapsed:.1f} s (1 s of it the job)")
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.mark.parametrize("iotjobs_mqtt_tls", ["mosquitto"], indirect=True)
def test_sdk_jobs_client_v2_over_mqtt5_takes_a_job_to_succeeded(iotjobs, iotjobs_mqtt_tls):
    """What the SDK's interactive sandbox (samples/service_clients/jobs.py, run unchanged on
    port 8883 in test_sdk_sandbox_samples.py) does, in process on a free port, with its event
    streams checked: IotJobsClientV2 over MQTT 5 from `mqtt5_client_builder.mtls_from_path`,
    with the describe/get-pending/start-next/update requests and the two event streams."""
    from concurrent.futures import Future

    from awscrt import mqtt_request_response
    from awsiot import ServiceStreamOptions, V2ServiceException, mqtt5_client_builder
    from awsiot import iotjobs as sdk_jobs

    from moto_iotjobs.mqtt import find_mosquitto

    if find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    iot = iotjobs.client("iot")
    thing = "sandbox-thing"
    credentials = _provision(iot, thing)
    connected: Future[Any] = Future()
    stopped: Future[Any] = Future()
    client = mqtt5_client_builder.mtls_from_path(
        endpoint="localhost", port=iotjobs_mqtt_tls.tls_port, ca_filepath=iotjobs_mqtt_tls.ca_path,
        cert_filepath=credentials.cert_path, pri_key_filepath=credentials.key_path,
        client_id=thing, clean_session=True, keep_alive_secs=1200,
        on_lifecycle_connection_success=lambda event: connected.set_result(True),
        on_lifecycle_connection_failure=lambda event: connected.set_exception(
            RuntimeError(f"connect failed: {event.exception}")),
        on_lifecycle_stopped=lambda event: stopped.set_result(True),
    )
    client.start()
    try:
        connected.result(10)
        jobs = sdk_jobs.IotJobsClientV2(client, mqtt_request_response.ClientOptions(
            max_request_response_subscriptions=2, max_streaming_subscriptions=2,
            operation_timeout_in_seconds=10))
        next_changed: list[Any] = []
        executions_changed: list[Any] = []
        streams = [
            jobs.create_next_job_execution_changed_stream(
                sdk_jobs.NextJobExecutionChangedSubscriptionRequest(thing_name=thing),
                ServiceStreamOptions(incoming_event_listener=next_changed.append)),
            jobs.create_job_executions_changed_stream(
                sdk_jobs.JobExecutionsChangedSubscriptionRequest(thing_name=thing),
                ServiceStreamOptions(incoming_event_listener=executions_changed.append)),
        ]
        for stream in streams:
            stream.open()
        time.sleep(0.5)  # the streams' SUBSCRIBEs are acknowledged asynchronously
        thing_arn = iot.describe_thing(thingName=thing)["thingArn"]
        iot.create_job(jobId="v2-job", targets=[thing_arn], document=json.dumps({"op": "update"}))

        pending = jobs.get_pending_job_executions(
            sdk_jobs.GetPendingJobExecutionsRequest(thing_name=thing)).result(10)
        assert [job.job_id for job in pending.queued_jobs] == ["v2-job"]
        started = jobs.start_next_pending_job_execution(
            sdk_jobs.StartNextPendingJobExecutionRequest(thing_name=thing)).result(10)
        assert started.execution.job_id == "v2-job" and started.execution.status == "IN_PROGRESS"
        updated = jobs.update_job_execution(sdk_jobs.UpdateJobExecutionRequest(
            thing_name=thing, job_id="v2-job", status=sdk_jobs.JobStatus.SUCCEEDED,
            include_job_execution_state=True)).result(10)
        assert updated.execution_state.status == "SUCCEEDED"
        # a terminal execution: the live service answers TerminalStateReached (docs/live-service.md)
        with pytest.raises(V2ServiceException) as terminal:
            jobs.describe_job_execution(
                sdk_jobs.DescribeJobExecutionRequest(thing_name=thing, job_id="v2-job")).result(10)
        assert terminal.value.modeled_error.code == "TerminalStateReached"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (next_changed and executions_changed):
            time.sleep(0.05)
        assert next_changed and next_changed[0].execution.job_id == "v2-job"
        assert executions_changed and "QUEUED" in executions_changed[0].jobs
    finally:
        client.stop()
        stopped.result(10)
    execution = iot.describe_job_execution(jobId="v2-job", thingName=thing)["execution"]
    assert execution["status"] == "SUCCEEDED"
