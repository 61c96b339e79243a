"""MQTT limits of AWS IoT Core on the Jobs MQTT API: payloads over 128 KB and clientTokens
over 64 characters are rejected (InvalidRequest), the token never echoed back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from moto_iotjobs.mqtt import JobsMqttApi
from moto_iotjobs.mqtt.jobs_api import MAX_CLIENT_TOKEN, MAX_PAYLOAD_BYTES

from .helpers import thing_arn
from .summary import record

TOPIC = "$aws/things/t1/jobs/j1/update"


@pytest.fixture
def api(iotjobs: Any) -> JobsMqttApi:
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t1")
    iot.create_job(jobId="j1", targets=[thing_arn("t1")], document="{}")
    return JobsMqttApi()


def status(iotjobs: Any) -> str:
    execution = iotjobs.client("iot").describe_job_execution(jobId="j1", thingName="t1")["execution"]
    return str(execution["status"])


@pytest.mark.parametrize("size", [MAX_PAYLOAD_BYTES + 1, 1024 * 1024, 16 * 1024 * 1024])
def test_oversize_payloads_are_rejected(iotjobs: Any, api: JobsMqttApi, size: int) -> None:
    head = b'{"status":"IN_PROGRESS","statusDetails":{"a":"'
    payload = head + b"x" * (size - len(head) - 3) + b'"}}'
    assert len(payload) == size
    (topic, reply), = api.handle(TOPIC, payload)
    answer = json.loads(reply)
    assert topic == TOPIC + "/rejected" and answer["code"] == "InvalidRequest"
    assert len(reply) < 1024
    assert status(iotjobs) == "QUEUED"
    record("mqtt limits", "oversize payloads rejected")


def test_payload_at_the_limit_is_read(iotjobs: Any, api: JobsMqttApi) -> None:
    """A payload of exactly 128 KB is read and answered."""
    payload = json.dumps({"status": "IN_PROGRESS", "clientToken": "c", "pad": "x" * 100}).encode()
    payload += b" " * (MAX_PAYLOAD_BYTES - len(payload))
    (topic, reply), = api.handle(TOPIC, payload)
    assert topic == TOPIC + "/accepted", reply
    assert json.loads(reply)["clientToken"] == "c"


@pytest.mark.parametrize("length,accepted", [(MAX_CLIENT_TOKEN, True), (MAX_CLIENT_TOKEN + 1, False), (100_000, False)])
def test_client_token_length(iotjobs: Any, api: JobsMqttApi, length: int, accepted: bool) -> None:
    token = "t" * length
    (topic, reply), = api.handle(TOPIC, json.dumps({"status": "IN_PROGRESS", "clientToken": token}).encode())
    answer = json.loads(reply)
    if accepted:
        assert topic == TOPIC + "/accepted" and answer["clientToken"] == token
        assert status(iotjobs) == "IN_PROGRESS"
    else:
        assert topic == TOPIC + "/rejected" and answer["code"] == "InvalidRequest"
        assert "clientToken" not in answer
        assert status(iotjobs) == "QUEUED"
