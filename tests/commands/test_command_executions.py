"""StartCommandExecution (iot-jobs-data) and the control plane's execution operations."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

from freezegun import freeze_time

from moto_iotjobs.moto_integration.compat import iotdata_backend
from moto_iotjobs.protocol.errors import InvalidStateTransitionException, TerminalStateException

from ..helpers import expect_error
from .conftest import PAYLOAD, command_backend, report

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
THING = ("things", "dev1")


def _get(iot, execution_id, target, **kwargs):
    return iot.get_command_execution(executionId=execution_id, targetArn=target, **kwargs)


def _published(prefix):
    return [(t, p) for t, p in iotdata_backend("123456789012", "us-east-1").published_payloads if t.startswith(prefix)]


def test_start_publishes_payload_on_request_topic(iot, jobs_data, thing_arn, command_arn):
    with freeze_time(START):
        execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)["executionId"]
        got = _get(iot, execution_id, thing_arn)
    assert got["status"] == "CREATED"
    assert (got["commandArn"], got["targetArn"], got["executionTimeoutSeconds"]) == (command_arn, thing_arn, 10)
    assert got["createdAt"] == got["startedAt"] == got["lastUpdatedAt"] == START
    assert got["timeToLive"] == START + timedelta(days=180)
    for absent in ("completedAt", "statusReason", "result", "parameters"):
        assert absent not in got
    topic = f"$aws/commands/things/dev1/executions/{execution_id}/request/json"
    assert _published("$aws/commands/") == [(topic, json.dumps(PAYLOAD).encode())]
    events = _published("$aws/events/commandExecution/reboot/CREATED")
    assert json.loads(events[0][1])["executionId"] == execution_id


def test_start_idempotent_with_client_token(jobs_data, thing_arn, command_arn):
    first = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn, clientToken="tok-1")
    again = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn, clientToken="tok-1")
    assert first["executionId"] == again["executionId"]
    assert len(command_backend().executions) == 1
    assert len(_published("$aws/commands/")) == 1
    expect_error(
        "ConflictException", 409, jobs_data.start_command_execution,
        targetArn=thing_arn, commandArn=command_arn, clientToken="tok-1", executionTimeoutSeconds=30,
    )
    other = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)
    assert other["executionId"] != first["executionId"]


def test_start_errors(iot, jobs_data, jobs_data_unchecked, thing_arn, command_arn):
    missing_command = command_arn.replace("reboot", "nope")
    expect_error("ResourceNotFoundException", 404, jobs_data.start_command_execution, targetArn=thing_arn, commandArn=missing_command)
    missing_thing = thing_arn.replace("dev1", "ghost")
    expect_error("ResourceNotFoundException", 404, jobs_data.start_command_execution, targetArn=missing_thing, commandArn=command_arn)
    for bad_target in ("notanarn", thing_arn.replace("123456789012", "999999999999"), thing_arn.replace("thing/", "thinggroup/")):
        expect_error("ValidationException", 400, jobs_data.start_command_execution, targetArn=bad_target, commandArn=command_arn)
    expect_error("ValidationException", 400, jobs_data.start_command_execution, targetArn=thing_arn, commandArn=command_arn, executionTimeoutSeconds=43201)
    expect_error("ValidationException", 400, jobs_data_unchecked.start_command_execution, targetArn=thing_arn, commandArn=command_arn, executionTimeoutSeconds=0)
    message = expect_error(
        "ValidationException", 400, jobs_data.start_command_execution,
        targetArn=thing_arn, commandArn=command_arn, parameters={"x": {"S": "y"}},
    )
    assert "no parameters" in message
    iot.update_command(commandId="reboot", deprecated=True)
    message = expect_error("ValidationException", 400, jobs_data.start_command_execution, targetArn=thing_arn, commandArn=command_arn)
    assert "deprecated" in message
    assert command_backend().executions == {}
    assert _published("$aws/commands/") == []


def test_start_on_client_target_needs_no_registration(iot, jobs_data, command_arn):
    target = "arn:aws:iot:us-east-1:123456789012:client/sensor-42"
    execution_id = jobs_data.start_command_execution(targetArn=target, commandArn=command_arn, executionTimeoutSeconds=43200)["executionId"]
    assert _get(iot, execution_id, target)["executionTimeoutSeconds"] == 43200
    assert _published("$aws/commands/")[0][0] == f"$aws/commands/clients/sensor-42/executions/{execution_id}/request/json"


def test_quota_of_running_executions(jobs_data, thing_arn, command_arn):
    command_backend().max_running_per_target = 1
    jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)
    expect_error("ServiceQuotaExceededException", 402, jobs_data.start_command_execution, targetArn=thing_arn, commandArn=command_arn)


def test_dynamic_command_payload(iot, jobs_data, thing_arn):
    template = {
        "speed": "${aws:iot:commandexecution::parameter:speed}",
        "label": "at ${aws:iot:commandexecution::parameter:speed} rpm",
        "mode": "${aws:iot:commandexecution::parameter:mode}",
        "timeout": "${aws:iot:commandexecution::executionTimeoutSec}",
    }
    arn = iot.create_command(
        commandId="fan",
        payloadTemplate=json.dumps(template),
        preprocessor={"awsJsonSubstitution": {"outputFormat": "JSON"}},
        mandatoryParameters=[
            {"name": "speed", "type": "INTEGER", "valueConditions": [
                {"comparisonOperator": "IN_RANGE", "operand": {"numberRange": {"min": "1", "max": "10"}}}]},
            {"name": "mode", "type": "STRING", "defaultValue": {"S": "eco"}, "valueConditions": [
                {"comparisonOperator": "IN_SET", "operand": {"strings": ["eco", "max"]}}]},
        ],
    )["commandArn"]
    execution_id = jobs_data.start_command_execution(
        targetArn=thing_arn, commandArn=arn, parameters={"speed": {"I": 10}}, executionTimeoutSeconds=60
    )["executionId"]
    assert _get(iot, execution_id, thing_arn)["parameters"] == {"speed": {"I": 10}}
    [(topic, payload)] = _published("$aws/commands/")
    assert topic.endswith("/request/json")
    assert json.loads(payload) == {"speed": 10, "label": "at 10 rpm", "mode": "eco", "timeout": 60}
    for parameters, fragment in (
        ({"speed": {"I": 11}}, "IN_RANGE"),
        ({"speed": {"I": 3}, "mode": {"S": "turbo"}}, "IN_SET"),
        ({"speed": {"S": "3"}}, "INTEGER"),
        ({"speed": {"I": 3}, "extra": {"S": "x"}}, "Unknown"),
        ({"mode": {"S": "eco"}}, "speed"),
    ):
        message = expect_error(
            "ValidationException", 400, jobs_data.start_command_execution,
            targetArn=thing_arn, commandArn=arn, parameters=parameters,
        )
        assert fragment in message, (parameters, message)


def test_dynamic_command_cbor_payload(iot, jobs_data, thing_arn):
    arn = iot.create_command(
        commandId="cb",
        payloadTemplate=json.dumps({"on": "${aws:iot:commandexecution::parameter:on}"}),
        preprocessor={"awsJsonSubstitution": {"outputFormat": "CBOR"}},
        mandatoryParameters=[{"name": "on", "type": "BOOLEAN", "defaultValue": {"B": True}}],
    )["commandArn"]
    execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=arn)["executionId"]
    # CBOR: map(1) text(2) "on" true
    assert _published("$aws/commands/") == [
        (f"$aws/commands/things/dev1/executions/{execution_id}/request/cbor", b"\xa1\x62on\xf5")
    ]


def test_timeout_then_late_final_status(iot, jobs_data, thing_arn, command_arn):
    with freeze_time(START) as clock:
        execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn, executionTimeoutSeconds=30)["executionId"]
        clock.tick(timedelta(seconds=29))
        assert _get(iot, execution_id, thing_arn)["status"] == "CREATED"
        clock.tick(timedelta(seconds=1))
        timed_out = _get(iot, execution_id, thing_arn)
        assert timed_out["status"] == "TIMED_OUT"
        assert timed_out["statusReason"] == {"reasonCode": "$NO_RESPONSE_FROM_DEVICE"}
        assert "completedAt" not in timed_out
        assert timed_out["lastUpdatedAt"] == START + timedelta(seconds=30)
        clock.tick(timedelta(seconds=5))
        report(THING, execution_id, {"status": "SUCCEEDED", "result": {"out": {"s": "ok"}}}, START.timestamp() + 35)
        done = _get(iot, execution_id, thing_arn, includeResult=True)
    assert done["status"] == "SUCCEEDED"
    assert done["result"] == {"out": {"S": "ok"}}
    assert done["completedAt"] == START + timedelta(seconds=35)


def test_lifecycle_by_device_reports(iot, jobs_data, thing_arn, command_arn):
    execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn, executionTimeoutSeconds=600)["executionId"]
    now = command_backend().executions[execution_id].created_at
    report(THING, execution_id, {"status": "IN_PROGRESS", "statusReason": {"reasonCode": "STEP_1"}}, now + 1)
    report(THING, execution_id, {"status": "IN_PROGRESS", "result": {"p": {"b": True}}}, now + 2)
    middle = _get(iot, execution_id, thing_arn)
    assert (middle["status"], middle["statusReason"]["reasonCode"]) == ("IN_PROGRESS", "STEP_1")
    assert "result" not in middle  # only with includeResult
    report(THING, execution_id, {"status": "FAILED", "result": {"raw": {"bin": base64.b64encode(b"\x01").decode()}}}, now + 3)
    failed = _get(iot, execution_id, thing_arn, includeResult=True)
    assert failed["status"] == "FAILED"
    assert failed["result"] == {"p": {"B": True}, "raw": {"BIN": b"\x01"}}
    try:
        report(THING, execution_id, {"status": "SUCCEEDED"}, now + 4)
        raise AssertionError("a terminal execution accepted a report")
    except TerminalStateException:
        pass


def test_device_timed_out_is_final_and_created_is_refused(iot, jobs_data, thing_arn, command_arn):
    with freeze_time(START) as clock:
        execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)["executionId"]
        now = START.timestamp()
        for bad in ({"status": "CREATED"},):
            try:
                report(THING, execution_id, bad, now)
                raise AssertionError("CREATED accepted from a device")
            except InvalidStateTransitionException:
                pass
        clock.tick(timedelta(seconds=10))
        assert _get(iot, execution_id, thing_arn)["status"] == "TIMED_OUT"
        try:
            report(THING, execution_id, {"status": "IN_PROGRESS"}, now + 10)
            raise AssertionError("cloud TIMED_OUT -> IN_PROGRESS accepted")
        except InvalidStateTransitionException:
            pass
        report(THING, execution_id, {"status": "TIMED_OUT", "statusReason": {"reasonCode": "DEVICE_SLOW"}}, now + 11)
        final = _get(iot, execution_id, thing_arn)
        assert (final["status"], final["statusReason"]) == ("TIMED_OUT", {"reasonCode": "DEVICE_SLOW"})
        assert final["completedAt"] == START + timedelta(seconds=11)


def test_delete_command_execution_rules(iot, jobs_data, thing_arn, command_arn):
    with freeze_time(START) as clock:
        execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)["executionId"]
        expect_error("ConflictException", 409, iot.delete_command_execution, executionId=execution_id, targetArn=thing_arn)
        clock.tick(timedelta(seconds=10))  # cloud TIMED_OUT: deletable
        iot.delete_command_execution(executionId=execution_id, targetArn=thing_arn)
        expect_error("ResourceNotFoundException", 404, iot.get_command_execution, executionId=execution_id, targetArn=thing_arn)
        expect_error("ValidationException", 400, iot.delete_command_execution, executionId=execution_id, targetArn=thing_arn)


def test_retention_purges_after_six_months(iot, jobs_data, thing_arn, command_arn):
    with freeze_time(START) as clock:
        execution_id = jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)["executionId"]
        clock.tick(timedelta(days=180))
        expect_error("ResourceNotFoundException", 404, iot.get_command_execution, executionId=execution_id, targetArn=thing_arn)


def test_list_command_executions_filters_sorting_paging(iot, jobs_data, thing_arn, command_arn):
    other_thing = iot.create_thing(thingName="dev2")["thingArn"]
    with freeze_time(START) as clock:
        ids = []
        for index in range(5):
            target = thing_arn if index % 2 == 0 else other_thing
            ids.append(jobs_data.start_command_execution(targetArn=target, commandArn=command_arn, executionTimeoutSeconds=3600)["executionId"])
            clock.tick(timedelta(minutes=2))
        report(THING, ids[0], {"status": "SUCCEEDED"}, START.timestamp() + 600)
        listed = iot.list_command_executions(commandArn=command_arn)["commandExecutions"]
        assert [e["executionId"] for e in listed] == ids[::-1]
        ascending = iot.list_command_executions(commandArn=command_arn, sortOrder="ASCENDING")["commandExecutions"]
        assert [e["executionId"] for e in ascending] == ids
        by_target = iot.list_command_executions(targetArn=thing_arn)["commandExecutions"]
        assert {e["executionId"] for e in by_target} == {ids[0], ids[2], ids[4]}
        assert [e["executionId"] for e in iot.list_command_executions(commandArn=command_arn, status="SUCCEEDED")["commandExecutions"]] == [ids[0]]
        window = iot.list_command_executions(
            commandArn=command_arn, startedTimeFilter={"after": "2026-01-05T08:01", "before": "2026-01-05T08:05"}
        )["commandExecutions"]
        assert {e["executionId"] for e in window} == {ids[1], ids[2]}
        completed = iot.list_command_executions(commandArn=command_arn, completedTimeFilter={"after": "2026-01-05T08:00"})["commandExecutions"]
        assert [e["executionId"] for e in completed] == [ids[0]]
        pages = list(iot.get_paginator("list_command_executions").paginate(commandArn=command_arn, PaginationConfig={"PageSize": 2}))
        assert [len(p["commandExecutions"]) for p in pages] == [2, 2, 1]
        assert iot.list_command_executions(commandArn=command_arn, namespace="AWS-IoT-FleetWise")["commandExecutions"] == []


def test_list_command_executions_errors(iot, thing_arn, command_arn):
    expect_error("ValidationException", 400, iot.list_command_executions)
    expect_error("ValidationException", 400, iot.list_command_executions, commandArn=command_arn, targetArn=thing_arn)
    expect_error(
        "ValidationException", 400, iot.list_command_executions, commandArn=command_arn,
        startedTimeFilter={"after": "2026-01-05T08:00"}, completedTimeFilter={"after": "2026-01-05T08:00"},
    )
    expect_error("ValidationException", 400, iot.list_command_executions, commandArn=command_arn, startedTimeFilter={"after": "yesterday"})
    expect_error(
        "ValidationException", 400, iot.list_command_executions, commandArn=command_arn,
        startedTimeFilter={"after": "2026-01-05T09:00", "before": "2026-01-05T08:00"},
    )
    expect_error("ResourceNotFoundException", 404, iot.list_command_executions, commandArn=command_arn.replace("reboot", "nope"))
    expect_error("ValidationException", 400, iot.list_command_executions, targetArn="notanarn")
