"""A device on the embedded broker takes a command to SUCCEEDED over MQTT; the round trip
of a command (StartCommandExecution -> request on the device -> response accepted) is timed."""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import pytest

from moto_iotjobs.mqtt.commands_api import CommandsMqttApi, parse_response_topic

pytestmark = pytest.mark.mqtt

#: Far above what loopback gives, far below a delayed-ACK stall: a loaded CI machine passes.
ASSERTED_MEDIAN_S = 0.05


@pytest.fixture
def device(iotjobs_mqtt: Any) -> Any:
    from ..mqtt.conftest import Device

    dev = Device(iotjobs_mqtt.host, iotjobs_mqtt.port, client_id="dev1")
    base = "$aws/commands/things/dev1/executions/+"
    dev.subscribe(f"{base}/request/#")
    dev.subscribe(f"{base}/response/accepted/json")
    dev.subscribe(f"{base}/response/rejected/json")
    yield dev
    dev.close()


def _setup(iot: Any) -> tuple[str, str]:
    thing = iot.create_thing(thingName="dev1")["thingArn"]
    arn = iot.create_command(
        commandId="blink", payload={"content": b'{"led":"on"}', "contentType": "application/json"}
    )["commandArn"]
    return thing, arn


def _next(device: Any, suffix: str) -> tuple[str, Any]:
    topic, payload = device.receive(timeout=5)
    assert topic.endswith(suffix), (topic, payload)
    return topic, payload


def test_device_takes_command_to_succeeded(iotjobs: Any, device: Any) -> None:
    iot, jobs_data = iotjobs.client("iot"), iotjobs.client("iot-jobs-data")
    thing, arn = _setup(iot)
    execution_id = jobs_data.start_command_execution(targetArn=thing, commandArn=arn, executionTimeoutSeconds=60)["executionId"]
    topic, payload = _next(device, "/request/json")
    assert topic == f"$aws/commands/things/dev1/executions/{execution_id}/request/json"
    assert json.loads(payload) == {"led": "on"}
    response = topic.replace("/request/json", "/response/json")

    device.publish(response, json.dumps({"status": "IN_PROGRESS", "clientToken": "c1"}))
    _, accepted = _next(device, "/response/accepted/json")
    assert json.loads(accepted) == {"executionId": execution_id, "clientToken": "c1"}
    assert iot.get_command_execution(executionId=execution_id, targetArn=thing)["status"] == "IN_PROGRESS"

    device.publish(response, json.dumps({
        "status": "SUCCEEDED",
        "statusReason": {"reasonCode": "DONE", "reasonDescription": "led is on"},
        "result": {"led": {"s": "on"}, "ok": {"b": True}},
    }))
    _next(device, "/response/accepted/json")
    got = iot.get_command_execution(executionId=execution_id, targetArn=thing, includeResult=True)
    assert got["status"] == "SUCCEEDED"
    assert got["statusReason"] == {"reasonCode": "DONE", "reasonDescription": "led is on"}
    assert got["result"] == {"led": {"S": "on"}, "ok": {"B": True}}
    assert "completedAt" in got

    # a terminal execution refuses further reports
    device.publish(response, json.dumps({"status": "REJECTED"}))
    _, rejected = _next(device, "/response/rejected/json")
    assert json.loads(rejected)["error"] == "TerminalStateReached"


def test_rejections(iotjobs: Any, device: Any) -> None:
    iot, jobs_data = iotjobs.client("iot"), iotjobs.client("iot-jobs-data")
    thing, arn = _setup(iot)
    execution_id = jobs_data.start_command_execution(targetArn=thing, commandArn=arn)["executionId"]
    topic, _ = _next(device, "/request/json")
    response = topic.replace("/request/json", "/response/json")
    for payload, error in (
        (b"{not json", "InvalidJson"),
        (json.dumps({"status": "DONE"}).encode(), "InvalidRequest"),
        (json.dumps({"status": "CREATED"}).encode(), "InvalidStateTransition"),
        (json.dumps({"status": "SUCCEEDED", "result": {"x": {"q": 1}}}).encode(), "InvalidRequest"),
    ):
        device.publish(response, payload)
        _, rejected = _next(device, "/response/rejected/json")
        body = json.loads(rejected)
        assert (body["error"], body["executionId"]) == (error, execution_id), body
        assert body["errorMessage"]
    device.publish(response.replace(execution_id, "no-such-execution"), json.dumps({"status": "SUCCEEDED"}))
    _, rejected = _next(device, "/response/rejected/json")
    assert json.loads(rejected)["error"] == "ResourceNotFound"
    assert iot.get_command_execution(executionId=execution_id, targetArn=thing)["status"] == "CREATED"


def test_response_topic_parsing() -> None:
    parsed = parse_response_topic("$aws/commands/clients/c-1/executions/e-1/response/json")
    assert parsed == ("clients", "c-1", "e-1", "json")
    for topic in (
        "$aws/commands/things/t/executions/e/request/json",
        "$aws/commands/things/t/executions/e/response/accepted/json",
        "$aws/commands/things/t/executions/e/response/xml",
        "$aws/things/t/jobs/get",
    ):
        assert parse_response_topic(topic) is None
    assert CommandsMqttApi().handle("$aws/commands/things/t/executions/e/response/accepted/json", b"{}") == []


def test_command_round_trip(iotjobs: Any, device: Any, capsys: pytest.CaptureFixture[str]) -> None:
    iot, jobs_data = iotjobs.client("iot"), iotjobs.client("iot-jobs-data")
    thing, arn = _setup(iot)
    samples = []
    for _ in range(30):
        began = time.perf_counter()
        jobs_data.start_command_execution(targetArn=thing, commandArn=arn, executionTimeoutSeconds=60)
        topic, _ = _next(device, "/request/json")
        device.publish(topic.replace("/request/json", "/response/json"), b'{"status":"SUCCEEDED"}')
        _next(device, "/response/accepted/json")
        samples.append(time.perf_counter() - began)
    median = statistics.median(samples)
    with capsys.disabled():
        print(
            f"\ncommand round trip (start over boto3 -> request on device -> SUCCEEDED accepted), "
            f"{len(samples)} samples: median {median * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms"
        )
    assert median < ASSERTED_MEDIAN_S
