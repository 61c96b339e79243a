"""Wire forms of commands and executions (control plane: epoch seconds with milliseconds).

Optional fields appear only when set; `result` only with includeResult=true (that is what
the flag is for); `completedAt` only once the device reported a final status.
"""

from __future__ import annotations

import base64
from typing import Any

from moto_iotjobs.services.commands.records import Command, CommandExecution


def _time(value: float) -> float:
    return round(value, 3)


def _payload(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "content" in payload:
        out["content"] = base64.b64encode(payload["content"]).decode("ascii")
    out["contentType"] = payload["contentType"]
    return out


def command(command: Command) -> dict[str, Any]:
    """GetCommand's output."""
    out: dict[str, Any] = {"commandId": command.command_id, "commandArn": command.arn, "namespace": command.namespace}
    if command.display_name is not None:
        out["displayName"] = command.display_name
    if command.description is not None:
        out["description"] = command.description
    if command.mandatory_parameters is not None:
        out["mandatoryParameters"] = command.mandatory_parameters
    if command.payload is not None:
        out["payload"] = _payload(command.payload)
    if command.payload_template is not None:
        out["payloadTemplate"] = command.payload_template
    if command.preprocessor is not None:
        out["preprocessor"] = command.preprocessor
    if command.role_arn is not None:
        out["roleArn"] = command.role_arn
    out.update(
        createdAt=_time(command.created_at),
        lastUpdatedAt=_time(command.last_updated_at),
        deprecated=command.deprecated,
        pendingDeletion=command.pending_deletion,
    )
    return out


def command_summary(command: Command) -> dict[str, Any]:
    out: dict[str, Any] = {"commandArn": command.arn, "commandId": command.command_id}
    if command.display_name is not None:
        out["displayName"] = command.display_name
    out.update(
        deprecated=command.deprecated,
        createdAt=_time(command.created_at),
        lastUpdatedAt=_time(command.last_updated_at),
        pendingDeletion=command.pending_deletion,
    )
    return out


def updated_command(command: Command) -> dict[str, Any]:
    out: dict[str, Any] = {"commandId": command.command_id}
    if command.display_name is not None:
        out["displayName"] = command.display_name
    if command.description is not None:
        out["description"] = command.description
    out.update(deprecated=command.deprecated, lastUpdatedAt=_time(command.last_updated_at))
    return out


def execution(execution: CommandExecution, include_result: bool) -> dict[str, Any]:
    """GetCommandExecution's output."""
    out: dict[str, Any] = {
        "executionId": execution.execution_id,
        "commandArn": execution.command.arn,
        "targetArn": execution.target_arn,
        "status": execution.status,
    }
    if execution.status_reason is not None:
        out["statusReason"] = dict(execution.status_reason)
    if include_result and execution.result:
        out["result"] = {name: dict(value) for name, value in execution.result.items()}
    if execution.parameters:
        out["parameters"] = execution.parameters
    out["executionTimeoutSeconds"] = execution.timeout_seconds
    out["createdAt"] = _time(execution.created_at)
    out["lastUpdatedAt"] = _time(execution.last_updated_at)
    if execution.started_at is not None:
        out["startedAt"] = _time(execution.started_at)
    if execution.completed_at is not None:
        out["completedAt"] = _time(execution.completed_at)
    out["timeToLive"] = _time(execution.time_to_live)
    return out


def execution_summary(execution: CommandExecution) -> dict[str, Any]:
    out: dict[str, Any] = {
        "commandArn": execution.command.arn,
        "executionId": execution.execution_id,
        "targetArn": execution.target_arn,
        "status": execution.status,
        "createdAt": _time(execution.created_at),
    }
    if execution.started_at is not None:
        out["startedAt"] = _time(execution.started_at)
    if execution.completed_at is not None:
        out["completedAt"] = _time(execution.completed_at)
    return out
