"""The commands operations of both planes as named handler functions: parameters in, output
structure out (called by `protocol.dispatch` for HTTP; the MQTT adapter calls the backend).
"""

from __future__ import annotations

from typing import Any, Callable

from moto_iotjobs.services.commands import serialization
from moto_iotjobs.services.commands.backend import CommandsBackend

Handler = Callable[[CommandsBackend, dict[str, Any], float], Any]

# --- control plane ----------------------------------------------------------------------


def create_command(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    command = b.create_command(p, now)
    return {"commandId": command.command_id, "commandArn": command.arn}


def get_command(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return serialization.command(b.command(p["commandId"]))


def update_command(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return serialization.updated_command(b.update_command(p, now))


def delete_command(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"statusCode": b.delete_command(p, now)}


def list_commands(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    commands, token = b.list_commands(p)
    out: dict[str, Any] = {"commands": [serialization.command_summary(c) for c in commands]}
    if token is not None:
        out["nextToken"] = token
    return out


def get_command_execution(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    execution = b.execution(p["executionId"], p["targetArn"])
    return serialization.execution(execution, bool(p.get("includeResult")))


def list_command_executions(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    executions, token = b.list_command_executions(p)
    out: dict[str, Any] = {"commandExecutions": [serialization.execution_summary(e) for e in executions]}
    if token is not None:
        out["nextToken"] = token
    return out


def delete_command_execution(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    b.delete_command_execution(p, now)
    return {}


CONTROL_HANDLERS: dict[str, Handler] = {
    "CreateCommand": create_command,
    "GetCommand": get_command,
    "UpdateCommand": update_command,
    "DeleteCommand": delete_command,
    "ListCommands": list_commands,
    "GetCommandExecution": get_command_execution,
    "ListCommandExecutions": list_command_executions,
    "DeleteCommandExecution": delete_command_execution,
}

# --- device plane -----------------------------------------------------------------------


def start_command_execution(b: CommandsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"executionId": b.start_command_execution(p, now).execution_id}


DEVICE_HANDLERS: dict[str, Handler] = {
    "StartCommandExecution": start_command_execution,
}
