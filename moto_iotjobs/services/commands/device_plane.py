"""The device side of commands: StartCommandExecution (`iot-jobs-data`) and the status a
device reports on its MQTT response topic.

StartCommandExecution checks, in this order: the model (dispatcher), the command (unknown ->
ResourceNotFoundException; deprecated or pending deletion -> ValidationException), the
target (an unregistered thing -> ResourceNotFoundException; MQTT clients need no
registration), the clientToken (a repeat with the same request -> the same execution, with
another request -> ConflictException), the parameters, the quota.
"""

from __future__ import annotations

import base64
from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import (
    ConflictException,
    InvalidStateTransitionException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    TerminalStateException,
    ValidationException,
)
from moto_iotjobs.protocol.patterns import compile_pattern
from moto_iotjobs.services.commands import parameters as command_parameters
from moto_iotjobs.services.commands.lifecycle import (
    COMPLETING,
    DEVICE_MOVES,
    DEVICE_STATUSES,
    TERMINAL,
    TIMER_MOVES,
)
from moto_iotjobs.services.commands.payloads import render
from moto_iotjobs.services.commands.records import Command, CommandExecution
from moto_iotjobs.services.commands.store import CommandsStore

#: executionTimeoutSeconds when absent, and its maximum (AWS IoT developer guide, "Start and
#: monitor command executions": 10 seconds by default, up to 12 hours).
DEFAULT_TIMEOUT_SECONDS = 10
MAX_TIMEOUT_SECONDS = 12 * 3600
#: How long an execution is kept: "six months" (GetCommandExecution.timeToLive), as 180 days.
RETENTION_SECONDS = 180 * 24 * 3600

_RESULT_NAME = compile_pattern("[a-zA-Z0-9_-]+")
_REASON_CODE = compile_pattern("[A-Z0-9_-]+")
#: device result keys -> control-plane keys
_RESULT_KEYS = {"s": "S", "b": "B", "bin": "BIN"}


class CommandsDevicePlane(CommandsStore):
    def start_command_execution(self, p: dict[str, Any], now: float) -> CommandExecution:
        command = self.command_by_arn(p["commandArn"])
        if command.deprecated or command.pending_deletion:
            state = "pending deletion" if command.pending_deletion else "deprecated"
            raise ValidationException(f"Command {command.command_id} is {state}: it cannot be executed")
        target_arn = p["targetArn"]
        device = self._target(target_arn)
        timeout = p.get("executionTimeoutSeconds", DEFAULT_TIMEOUT_SECONDS)
        if timeout > MAX_TIMEOUT_SECONDS:
            raise ValidationException(
                f"executionTimeoutSeconds must be at most {MAX_TIMEOUT_SECONDS} (12 hours)"
            )
        token = p.get("clientToken")
        if token is not None and token in self.client_tokens:
            previous = self.client_tokens[token]
            if (
                previous.command is command
                and previous.target_arn == target_arn
                and previous.parameters == p.get("parameters")
                and previous.timeout_seconds == timeout
            ):
                return previous
            raise ConflictException(
                f"clientToken {token} was used by another StartCommandExecution request",
                previous.execution_id,
            )
        payload, content_type = self._payload(command, p.get("parameters"), timeout)
        self._check_quota(target_arn)
        execution = CommandExecution(
            execution_id=moto_compat.random_uuid(),  # seedable: replayed the same
            command=command,
            target_arn=target_arn,
            seq=self.next_seq(),
            created_at=now,
            timeout_seconds=timeout,
            time_to_live=now + RETENTION_SECONDS,
            device=device,
            last_updated_at=now,
            started_at=now,
            parameters=p.get("parameters"),
            client_token=token,
            payload=payload,
            content_type=content_type,
        )
        self.executions[execution.execution_id] = execution
        if token is not None:
            self.client_tokens[token] = execution
        self.arm(execution)
        self.purge_at(execution.time_to_live)
        if command.namespace == "AWS-IoT":  # FleetWise commands go through FleetWise, not MQTT
            self.publisher.request(execution)
        self.publisher.execution_changed(execution, now)
        return execution

    def _target(self, target_arn: str) -> tuple[str, str]:
        kind, name = self.parse_arn(target_arn, ("thing", "client"), "targetArn")
        if kind == "client":
            return "clients", name
        if target_arn not in moto_compat.iot_registry(self.account_id, self.region_name).things:
            raise ResourceNotFoundException(f"Thing {name} does not exist")
        return "things", name

    def _payload(self, command: Command, given: Optional[dict[str, Any]], timeout: int) -> tuple[bytes, str]:
        if command.payload_template is None:
            if given:
                raise ValidationException(f"Command {command.command_id} takes no parameters")
            payload = command.payload or {}
            return payload.get("content", b""), payload.get("contentType", "application/octet-stream")
        values = command_parameters.resolve(command.mandatory_parameters or [], given or {})
        output_format = (command.preprocessor or {}).get("awsJsonSubstitution", {}).get("outputFormat", "JSON")
        return render(command.payload_template, output_format, values, timeout)

    def _check_quota(self, target_arn: str) -> None:
        limit = self.max_running_per_target
        if limit is None:
            return
        running = sum(
            1 for e in self.executions.values() if e.target_arn == target_arn and e.phase in TIMER_MOVES
        )
        if running >= limit:
            raise ServiceQuotaExceededException(
                f"Target {target_arn} already has {running} command executions in progress"
            )

    # --- what a device reports (MQTT) -------------------------------------------------

    def report(self, devices: str, device_id: str, execution_id: str, report: dict[str, Any], now: float) -> CommandExecution:
        """Apply a device's response message; errors name the MQTT rejection."""
        execution = self.executions.get(execution_id)
        if execution is None or execution.device != (devices, device_id):
            raise ResourceNotFoundException(f"Command execution {execution_id} does not exist")
        status = report.get("status")
        if execution.phase in TERMINAL:
            raise TerminalStateException(f"Command execution {execution_id} is already {execution.status}")
        phase = DEVICE_STATUSES.get(status) if isinstance(status, str) else None
        if phase is None:
            if status == "CREATED":
                raise InvalidStateTransitionException(f"A device cannot set the status {status}")
            raise ValidationException(f"Invalid status {status!r}")
        reason = _status_reason(report.get("statusReason"))
        result = _result(report.get("result"))
        if phase not in DEVICE_MOVES[execution.phase]:
            raise InvalidStateTransitionException(
                f"Command execution {execution_id} cannot move from {execution.status} to {status}"
            )
        execution.phase = phase
        if reason is not None or "statusReason" in report:
            execution.status_reason = reason
        if result is not None:
            execution.result = {**(execution.result or {}), **result}
        execution.last_updated_at = now
        if phase in COMPLETING:
            execution.completed_at = now
        self.publisher.execution_changed(execution, now)
        return execution


def _status_reason(reason: Any) -> Optional[dict[str, str]]:
    if reason is None:
        return None
    if not isinstance(reason, dict):
        raise ValidationException("statusReason must be an object")
    code, description = reason.get("reasonCode"), reason.get("reasonDescription")
    if not isinstance(code, str) or not 1 <= len(code) <= 64 or not _REASON_CODE(code):
        raise ValidationException("statusReason.reasonCode must match [A-Z0-9_-]+, at most 64 characters")
    out = {"reasonCode": code}
    if description is not None:
        if not isinstance(description, str) or len(description) > 1024:
            raise ValidationException("statusReason.reasonDescription must be a string of at most 1024 characters")
        out["reasonDescription"] = description
    return out


def _result(result: Any) -> Optional[dict[str, dict[str, Any]]]:
    """The device's result (lowercase s/b/bin) in the control plane's form (S/B/BIN)."""
    if result is None:
        return None
    if not isinstance(result, dict) or not result:
        raise ValidationException("result must be a non-empty object")
    out: dict[str, dict[str, Any]] = {}
    for name, value in result.items():
        if not 1 <= len(name) <= 32 or not _RESULT_NAME(name):
            raise ValidationException(f"Invalid result name {name!r}")
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in _RESULT_KEYS:
            raise ValidationException(f"result {name} must set exactly one of s, b, bin")
        key, item = next(iter(value.items()))
        if key == "s" and not (isinstance(item, str) and item):
            raise ValidationException(f"result {name}.s must be a non-empty string")
        if key == "b" and not isinstance(item, bool):
            raise ValidationException(f"result {name}.b must be a boolean")
        if key == "bin":
            if isinstance(item, (bytes, bytearray)):
                item = base64.b64encode(bytes(item)).decode("ascii")
            if not item:
                raise ValidationException(f"result {name}.bin must not be empty")
            command_parameters.decode_blob(item, f"result {name}.bin")
        out[name] = {_RESULT_KEYS[key]: item}
    return out
