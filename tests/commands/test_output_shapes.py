"""Every commands response, success and error, against botocore's output and error shapes,
with the presence rules AWS shows (completedAt only once final, result only on request)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from freezegun import freeze_time

from moto_iotjobs.moto_integration.planes import CONTROL_TABLE, DEVICE_TABLE
from moto_iotjobs.services.commands import handlers

from ..helpers import expect_error
from ..test_output_shapes import Call, Recorder, error_problems, shape_errors
from .conftest import report

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
OPERATIONS = {("iot", name) for name in handlers.CONTROL_HANDLERS} | {
    ("iot-jobs-data", name) for name in handlers.DEVICE_HANDLERS
}


def problems(call: Call) -> list[str]:
    body: Any = json.loads(call.body) if call.body else {}
    if call.status >= 300:
        return error_problems(call, body)
    shape = call.operation.output_shape
    if call.operation.name == "DeleteCommand":
        return [] if call.status in (202, 204) and call.body == b"" else [f"DeleteCommand answered {call.status} {call.body!r}"]
    if call.status != 200:
        return [f"unexpected status {call.status}"]
    errors = shape_errors(shape, body, "") if shape is not None else ([] if body == {} else ["body on empty output"])
    if call.operation.name == "GetCommandExecution":
        if body["status"] in ("SUCCEEDED", "FAILED", "REJECTED") and "completedAt" not in body:
            errors.append(f"no completedAt on a {body['status']} execution")
        if body["status"] in ("CREATED", "IN_PROGRESS") and "completedAt" in body:
            errors.append(f"completedAt on a {body['status']} execution")
        if "result" in body and not call.params.get("includeResult"):
            errors.append("result without includeResult")
        if "result" in body and any(set(v) - {"S", "B", "BIN"} for v in body["result"].values()):
            errors.append(f"result keys not S/B/BIN: {body['result']}")
    return errors


def test_every_commands_response_fits_the_model(iot, jobs_data, iot_unchecked, jobs_data_unchecked):
    recorder = Recorder()
    for client in (iot, jobs_data, iot_unchecked, jobs_data_unchecked):
        recorder.attach(client)
    assert {("iot", n) for n in CONTROL_TABLE.names()} | {("iot-jobs-data", n) for n in DEVICE_TABLE.names()} >= OPERATIONS
    thing = iot.create_thing(thingName="dev1")["thingArn"]
    with freeze_time(START) as clock:
        arn = iot.create_command(
            commandId="c", payload={"content": b"{}", "contentType": "application/json"}, displayName="C", description="d"
        )["commandArn"]
        iot.create_command(
            commandId="dyn",
            payloadTemplate=json.dumps({"n": "${aws:iot:commandexecution::parameter:n}"}),
            preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
            mandatoryParameters=[{"name": "n", "type": "LONG", "defaultValue": {"L": 3}, "description": "n"}],
        )
        iot.get_command(commandId="c")
        iot.get_command(commandId="dyn")
        iot.list_commands(maxResults=1)
        first = jobs_data.start_command_execution(targetArn=thing, commandArn=arn)["executionId"]
        second = jobs_data.start_command_execution(
            targetArn=thing, commandArn=arn.replace("/c", "/dyn"), parameters={"n": {"L": 7}}, executionTimeoutSeconds=600
        )["executionId"]
        iot.get_command_execution(executionId=first, targetArn=thing)
        report(("things", "dev1"), second, {"status": "SUCCEEDED", "statusReason": {"reasonCode": "OK", "reasonDescription": "fine"},
                                            "result": {"a": {"s": "x"}, "b": {"b": False}, "c": {"bin": "AQ=="}}}, START.timestamp() + 1)
        iot.get_command_execution(executionId=second, targetArn=thing, includeResult=True)
        iot.get_command_execution(executionId=second, targetArn=thing)
        clock.tick(timedelta(seconds=10))
        iot.get_command_execution(executionId=first, targetArn=thing, includeResult=True)
        iot.list_command_executions(commandArn=arn, maxResults=1)
        iot.list_command_executions(targetArn=thing, completedTimeFilter={"after": "2026-01-05T07:00"})
        iot.update_command(commandId="c", deprecated=True)
        iot.delete_command_execution(executionId=first, targetArn=thing)
        iot.delete_command(commandId="dyn")
        clock.tick(timedelta(hours=12))
        iot.delete_command(commandId="c")
        # modelled errors
        iot.create_command(commandId="e", payload={"content": b"x"})
        expect_error("ConflictException", 409, iot.create_command, commandId="e", payload={"content": b"x"})
        expect_error("ValidationException", 400, iot_unchecked.create_command, commandId="bad id")
        expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="nope")
        expect_error("ResourceNotFoundException", 404, iot.update_command, commandId="nope", description="x")
        expect_error("ValidationException", 400, iot_unchecked.list_commands, maxResults=0)
        expect_error("ResourceNotFoundException", 404, iot.get_command_execution, executionId="nope", targetArn=thing)
        expect_error("ValidationException", 400, iot.list_command_executions)
        third = jobs_data.start_command_execution(targetArn=thing, commandArn=arn.replace("/c", "/e"))["executionId"]
        expect_error("ConflictException", 409, iot.delete_command_execution, executionId=third, targetArn=thing)
        expect_error("ResourceNotFoundException", 404, jobs_data.start_command_execution, targetArn=thing, commandArn=arn.replace("/c", "/zz"))
        expect_error("ValidationException", 400, jobs_data_unchecked.start_command_execution, targetArn=thing, commandArn=arn, executionTimeoutSeconds=-1)
        jobs_data.start_command_execution(targetArn=thing, commandArn=arn.replace("/c", "/e"), clientToken="t")
        expect_error("ConflictException", 409, jobs_data.start_command_execution, targetArn=thing, commandArn=arn.replace("/c", "/e"),
                     clientToken="t", executionTimeoutSeconds=99)
    seen = {(c.plane, c.operation.name) for c in recorder.calls if c.status < 300}
    assert seen >= OPERATIONS, OPERATIONS - seen
    found = [f"{c.plane} {c.operation.name}: {p}" for c in recorder.calls for p in problems(c)]
    assert found == []
