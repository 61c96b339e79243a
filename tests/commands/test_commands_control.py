"""CreateCommand, GetCommand, UpdateCommand, DeleteCommand and ListCommands."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from ..helpers import expect_error
from .conftest import PAYLOAD

START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
TEMPLATE = json.dumps({"speed": "${aws:iot:commandexecution::parameter:speed}"})
DYNAMIC = {
    "payloadTemplate": TEMPLATE,
    "preprocessor": {"awsJsonSubstitution": {"outputFormat": "JSON"}},
    "mandatoryParameters": [{"name": "speed", "type": "INTEGER", "defaultValue": {"I": 5}}],
}


def test_create_and_get_static_command(iot, command_arn):
    got = iot.get_command(commandId="reboot")
    assert got["commandArn"] == command_arn == "arn:aws:iot:us-east-1:123456789012:command/reboot"
    assert got["namespace"] == "AWS-IoT"
    assert got["displayName"] == "Reboot"
    assert json.loads(got["payload"]["content"]) == PAYLOAD
    assert got["payload"]["contentType"] == "application/json"
    assert (got["deprecated"], got["pendingDeletion"]) == (False, False)
    assert got["createdAt"] == got["lastUpdatedAt"]
    for absent in ("description", "payloadTemplate", "preprocessor", "mandatoryParameters", "roleArn"):
        assert absent not in got


def test_create_defaults_content_type_and_takes_tags(iot):
    iot.create_command(commandId="c", payload={"content": b"raw"}, tags=[{"Key": "team", "Value": "a"}])
    assert iot.get_command(commandId="c")["payload"]["contentType"] == "application/octet-stream"


def test_create_dynamic_command_echoes_definition(iot):
    iot.create_command(commandId="dyn", description="set speed", **DYNAMIC)
    got = iot.get_command(commandId="dyn")
    assert got["payloadTemplate"] == TEMPLATE
    assert got["preprocessor"] == DYNAMIC["preprocessor"]
    assert got["mandatoryParameters"] == DYNAMIC["mandatoryParameters"]
    assert "payload" not in got


def test_create_fleetwise_command_needs_role(iot):
    role = "arn:aws:iam::123456789012:role/fw"
    iot.create_command(
        commandId="fw", namespace="AWS-IoT-FleetWise", roleArn=role,
        mandatoryParameters=[{"name": "$actuatorPath.Vehicle.Door", "defaultValue": {"B": True}}],
    )
    assert iot.get_command(commandId="fw")["roleArn"] == role
    message = expect_error("ValidationException", 400, iot.create_command, commandId="fw2", namespace="AWS-IoT-FleetWise")
    assert "roleArn" in message


def test_create_rules_of_the_namespace_and_payload(iot):
    content = {"content": b"x", "contentType": "text/plain"}
    cases = [
        ({}, "payload"),
        ({"payload": content, "payloadTemplate": TEMPLATE}, "not both"),
        ({"payload": content, "roleArn": "arn:aws:iam::123456789012:role/r"}, "roleArn"),
        ({"payload": {"content": b"x" * (32 * 1024 + 1)}}, "32768"),
        ({"payload": {"content": b"x", "contentType": "nonsense"}}, "contentType"),
        ({"payloadTemplate": TEMPLATE, "mandatoryParameters": DYNAMIC["mandatoryParameters"]}, "preprocessor"),
        ({**DYNAMIC, "payloadTemplate": "{not json"}, "JSON"),
        ({**DYNAMIC, "payloadTemplate": '{"a": 1}'}, "placeholder"),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "other", "defaultValue": {"S": "x"}}]}, "speed"),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "speed", "type": "INTEGER", "defaultValue": {"S": "x"}}]}, "must use I"),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "speed"}, {"name": "speed"}]}, "Duplicate"),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "speed", "type": "BOOLEAN", "valueConditions": [
            {"comparisonOperator": "EQUALS", "operand": {"string": "x"}}]}]}, "BOOLEAN"),
        ({**DYNAMIC, "mandatoryParameters": [{"name": "speed", "type": "STRING", "valueConditions": [
            {"comparisonOperator": "LESS_THAN", "operand": {"string": "x"}}]}]}, "LESS_THAN"),
    ]
    for extra, fragment in cases:
        message = expect_error("ValidationException", 400, iot.create_command, commandId="bad", **extra)
        assert fragment in message, (extra, message)
    expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="bad")


def test_model_constraints_answer_validation_exception(iot_unchecked):
    message = expect_error(
        "ValidationException", 400, iot_unchecked.create_command, commandId="a" * 65, payload={"content": b"x"}
    )
    assert "commandId" in message and "64" in message
    expect_error("ValidationException", 400, iot_unchecked.list_commands, maxResults=101)
    expect_error("ValidationException", 400, iot_unchecked.list_commands, namespace="Other")


def test_duplicate_command_id_conflicts(iot, command_arn):
    expect_error("ConflictException", 409, iot.create_command, commandId="reboot", payload={"content": b"x"})


def test_update_deprecate_undeprecate(iot, command_arn):
    with freeze_time(START) as clock:
        iot.create_command(commandId="c", payload={"content": b"x"})
        clock.tick(timedelta(seconds=5))
        updated = iot.update_command(commandId="c", displayName="New", description="d")
        assert {k: updated[k] for k in ("commandId", "displayName", "description", "deprecated")} == {
            "commandId": "c", "displayName": "New", "description": "d", "deprecated": False,
        }
        assert updated["lastUpdatedAt"] == START + timedelta(seconds=5)
        assert iot.update_command(commandId="c", deprecated=True)["deprecated"] is True
        message = expect_error("ConflictException", 409, iot.update_command, commandId="c", description="e")
        assert "deprecated" in message
        restored = iot.update_command(commandId="c", deprecated=False, description="e")
        assert (restored["deprecated"], restored["description"]) == (False, "e")
        assert iot.get_command(commandId="c")["description"] == "e"
    expect_error("ValidationException", 400, iot.update_command, commandId="c")
    expect_error("ResourceNotFoundException", 404, iot.update_command, commandId="nope", description="x")


def test_delete_without_deprecation_is_pending_for_12_hours(iot):
    with freeze_time(START) as clock:
        iot.create_command(commandId="c", payload={"content": b"x"})
        assert iot.delete_command(commandId="c")["statusCode"] == 202
        assert iot.get_command(commandId="c")["pendingDeletion"] is True
        assert iot.list_commands()["commands"] == []
        expect_error("ConflictException", 409, iot.update_command, commandId="c", description="x")
        assert iot.delete_command(commandId="c")["statusCode"] == 202
        clock.tick(timedelta(hours=11, minutes=59))
        assert iot.get_command(commandId="c")["pendingDeletion"] is True
        clock.tick(timedelta(minutes=1))
        expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="c")


def test_delete_after_12_hours_deprecated_is_immediate(iot):
    with freeze_time(START) as clock:
        iot.create_command(commandId="c", payload={"content": b"x"})
        iot.update_command(commandId="c", deprecated=True)
        clock.tick(timedelta(hours=2))
        assert iot.delete_command(commandId="c")["statusCode"] == 202  # removed 12 h after deprecation
        clock.tick(timedelta(hours=10))
        expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="c")
        iot.create_command(commandId="d", payload={"content": b"x"})
        iot.update_command(commandId="d", deprecated=True)
        clock.tick(timedelta(hours=12))
        assert iot.delete_command(commandId="d")["statusCode"] == 204
        expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="d")
    expect_error("ResourceNotFoundException", 404, iot.delete_command, commandId="never")


def test_list_commands_sorting_paging_and_filters(iot):
    with freeze_time(START) as clock:
        for index in range(7):
            clock.tick(timedelta(seconds=1))
            iot.create_command(commandId=f"c{index}", payload={"content": b"x"})
        iot.create_command(commandId="dyn", **DYNAMIC)
    listed = iot.list_commands()["commands"]
    assert [c["commandId"] for c in listed] == ["dyn", "c6", "c5", "c4", "c3", "c2", "c1", "c0"]
    ascending = iot.list_commands(sortOrder="ASCENDING")["commands"]
    assert [c["commandId"] for c in ascending] == ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "dyn"]
    pages = list(iot.get_paginator("list_commands").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["commands"]) for p in pages] == [3, 3, 2]
    assert [c["commandId"] for p in pages for c in p["commands"]] == [c["commandId"] for c in listed]
    assert [c["commandId"] for c in iot.list_commands(commandParameterName="speed")["commands"]] == ["dyn"]
    assert iot.list_commands(namespace="AWS-IoT-FleetWise")["commands"] == []
    assert len(iot.list_commands(namespace="AWS-IoT")["commands"]) == 8
    token = iot.list_commands(maxResults=2)["nextToken"]
    message = expect_error("ValidationException", 400, iot.list_commands, nextToken=token, sortOrder="ASCENDING")
    assert "token" in message
    expect_error("ValidationException", 400, iot.list_commands, nextToken="garbage!")


def test_list_commands_default_page_is_25(iot):
    for index in range(26):
        iot.create_command(commandId=f"c{index}", payload={"content": b"x"})
    first = iot.list_commands()
    assert len(first["commands"]) == 25 and "nextToken" in first
    assert len(iot.list_commands(nextToken=first["nextToken"])["commands"]) == 1


def test_command_tags_are_served_by_the_tagging_operations(iot):
    arn = iot.create_command(
        commandId="tagged",
        payload={"content": b"{}", "contentType": "application/json"},
        tags=[{"Key": "team", "Value": "ota"}],
    )["commandArn"]
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "team", "Value": "ota"}]
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "stage", "Value": "beta"}])
    iot.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert iot.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "stage", "Value": "beta"}]
    missing = arn.replace("command/tagged", "command/nope")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.list_tags_for_resource(resourceArn=missing)
