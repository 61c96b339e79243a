"""Fault injection and moto's server reach the commands operations like every other one."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from moto_iotjobs import inject_fault

from ..helpers import expect_error
from ..reliability.helpers import FAKE_ENV, moto_server


def test_injected_faults_answer_with_each_planes_status(iotjobs: Any, thing_arn: str, command_arn: str) -> None:
    once = Config(retries={"total_max_attempts": 1})  # botocore would retry throttles and 500s
    iot, jobs_data = iotjobs.client("iot", config=once), iotjobs.client("iot-jobs-data", config=once)
    inject_fault("StartCommandExecution", "ThrottlingException", plane="iot-jobs-data")
    expect_error("ThrottlingException", 429, jobs_data.start_command_execution, targetArn=thing_arn, commandArn=command_arn)
    inject_fault("GetCommand", "ThrottlingException")
    expect_error("ThrottlingException", 400, iot.get_command, commandId="reboot")
    inject_fault("CreateCommand", "InternalServerException")
    expect_error("InternalServerException", 500, iot.create_command, commandId="x", payload={"content": b"x"})
    expect_error("ResourceNotFoundException", 404, iot.get_command, commandId="x")  # the failed call changed nothing
    jobs_data.start_command_execution(targetArn=thing_arn, commandArn=command_arn)  # rules are spent


def test_commands_through_moto_server(monkeypatch: Any) -> None:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as endpoint:
        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        jobs_data = boto3.client("iot-jobs-data", region_name="us-east-1", endpoint_url=endpoint)
        thing = iot.create_thing(thingName="srv")["thingArn"]
        arn = iot.create_command(commandId="srv-cmd", payload={"content": b"x"})["commandArn"]
        execution_id = jobs_data.start_command_execution(targetArn=thing, commandArn=arn)["executionId"]
        listed = iot.list_command_executions(commandArn=arn)["commandExecutions"]
        assert [e["executionId"] for e in listed] == [execution_id]
        assert iot.delete_command(commandId="srv-cmd")["statusCode"] == 202
