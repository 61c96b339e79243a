"""`python -m moto_iotjobs --mqtt-port N`: moto's server and the Jobs MQTT API side by side."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests

from ..helpers import free_port, start_server_process

pytestmark = [pytest.mark.mqtt, pytest.mark.server]

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_server_with_mqtt_port(broker_kind: str, monkeypatch: pytest.MonkeyPatch, make_jobs_device: Any) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    http_port, mqtt_port = free_port(), free_port()
    process = start_server_process(http_port, "--mqtt-port", str(mqtt_port), "--mqtt-broker", broker_kind)
    endpoint = f"http://127.0.0.1:{http_port}"
    try:
        broker = SimpleNamespace(host="127.0.0.1", port=mqtt_port)
        device = make_jobs_device(broker, "dev1")

        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document=json.dumps({"op": "blink"}))

        assert device.next_message("notify-next")["execution"]["jobDocument"] == {"op": "blink"}
        outcome, started = device.request("start-next", {"clientToken": "s"})
        assert outcome == "accepted" and started["execution"]["status"] == "IN_PROGRESS"
        outcome, stale = device.request("j1/update", {"status": "SUCCEEDED", "expectedVersion": 1})
        assert (outcome, stale["code"]) == ("rejected", "VersionMismatch")
        outcome, _ = device.request("j1/update", {"status": "SUCCEEDED", "expectedVersion": 2})
        assert outcome == "accepted"
        assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"
        data = boto3.client("iot-jobs-data", region_name="us-east-1", endpoint_url=endpoint)
        execution = data.describe_job_execution(thingName="dev1", jobId="j1")["execution"]
        assert execution["status"] == "SUCCEEDED"

        # /moto-api/reset clears the jobs the MQTT API serves, too
        requests.post(f"{endpoint}/moto-api/reset")
        assert device.request("j1/get")[1]["code"] == "ResourceNotFound"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"Jobs MQTT API on mqtt://127.0.0.1:{mqtt_port}" in output
    assert not _accepts(mqtt_port), "the broker outlived the server"
