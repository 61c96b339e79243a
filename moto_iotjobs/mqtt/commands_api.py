"""The AWS IoT commands MQTT device API, answered from the backend that serves boto3.

A device receives an execution's payload on
``$aws/commands/<things|clients>/<id>/executions/<executionId>/request[/json|/cbor]`` and
reports on ``.../executions/<executionId>/response/json`` a JSON object
``{status, statusReason?: {reasonCode, reasonDescription?}, result?: {name: {s|b|bin}}}``
(lowercase result keys; the control plane shows them as S/B/BIN). The reply goes to
``.../response/accepted/json`` ``{executionId, clientToken?}`` or
``.../response/rejected/json`` ``{error, errorMessage, executionId, clientToken?}``, with
``error`` one of TerminalStateReached, InvalidStateTransition, ResourceNotFound,
InvalidJson, InvalidRequest (AWS IoT developer guide, "Commands troubleshooting"),
RequestThrottled or InternalError. CBOR responses are not decoded: rejected as
InvalidRequest. Faults injected for ``iot-jobs-data`` ``StartCommandExecution`` do not apply
here; faults for the pseudo-operation ``CommandExecutionResponse`` do.
"""

from __future__ import annotations

import json
import logging
from typing import Any, NamedTuple, Optional

from moto_iotjobs.faults.rules import check_fault
from moto_iotjobs.mqtt.api_scope import AccountScopedApi
from moto_iotjobs.protocol.errors import DEVICE_PLANE, JobsError

__all__ = ["COMMANDS_RESPONSE_FILTERS", "CommandsMqttApi", "parse_response_topic"]

log = logging.getLogger(__name__)

#: What the bridge subscribes to for commands: the device responses only.
COMMANDS_RESPONSE_FILTERS: tuple[str, ...] = (
    "$aws/commands/things/+/executions/+/response/+",
    "$aws/commands/clients/+/executions/+/response/+",
)

#: MQTT rejection `error` for each error the backend raises (anything else: InternalError).
ERROR_CODES: dict[str, str] = {
    "ValidationException": "InvalidRequest",
    "ResourceNotFoundException": "ResourceNotFound",
    "InvalidStateTransitionException": "InvalidStateTransition",
    "TerminalStateException": "TerminalStateReached",
    "ThrottlingException": "RequestThrottled",
}


class ResponseTopic(NamedTuple):
    devices: str  # "things" | "clients"
    device_id: str
    execution_id: str
    payload_format: str  # "json" | "cbor"


def parse_response_topic(topic: str) -> Optional[ResponseTopic]:
    """``$aws/commands/<devices>/<id>/executions/<execId>/response/<json|cbor>``, else None."""
    levels = topic.split("/")
    if (
        len(levels) != 8
        or levels[:2] != ["$aws", "commands"]
        or levels[2] not in ("things", "clients")
        or levels[4] != "executions"
        or levels[6] != "response"
        or levels[7] not in ("json", "cbor")
        or not levels[3]
        or not levels[5]
    ):
        return None
    return ResponseTopic(levels[2], levels[3], levels[5], levels[7])


def is_commands_topic(topic: str) -> bool:
    return topic.startswith("$aws/commands/")


class CommandsMqttApi(AccountScopedApi):
    """Answers device responses for one account and region; each holds ``backend.lock``."""

    def backend(self) -> Any:
        from moto_iotjobs.services.commands.backend import commands_backends

        return commands_backends[self.account_id][self.region_name]

    def handle(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        response = parse_response_topic(topic)
        if response is None:
            return []  # a request, a reply of ours, or no commands topic: nothing to answer
        base = topic[: -len("/" + response.payload_format)]
        token: Any = None
        try:
            body = _parse(payload, response.payload_format)
            token = body.get("clientToken") if isinstance(body.get("clientToken"), str) else None
            check_fault(DEVICE_PLANE, "CommandExecutionResponse", self.account_id, self.region_name)
            now = self._now()
            backend = self.backend()
            with backend.lock:
                backend.advance(now)
                backend.report(response.devices, response.device_id, response.execution_id, body, now)
        except _Rejection as rejected:
            return [(f"{base}/rejected/json", _rejected(rejected.code, str(rejected), response, token))]
        except JobsError as error:
            code = ERROR_CODES.get(error.code, "InternalError")
            return [(f"{base}/rejected/json", _rejected(code, error.message, response, token))]
        except Exception:
            log.exception("moto_iotjobs MQTT commands API failed on %s", topic)
            return [(f"{base}/rejected/json", _rejected("InternalError", "Internal error", response, token))]
        accepted: dict[str, Any] = {"executionId": response.execution_id}
        if token is not None:
            accepted["clientToken"] = token
        return [(f"{base}/accepted/json", _dumps(accepted))]


class _Rejection(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _parse(payload: bytes, payload_format: str) -> dict[str, Any]:
    if payload_format == "cbor":
        raise _Rejection("InvalidRequest", "CBOR responses are not supported by moto_iotjobs")
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Rejection("InvalidJson", "The response payload could not be parsed as UTF-8 encoded JSON") from None
    if not isinstance(body, dict):
        raise _Rejection("InvalidRequest", "The response payload must be a JSON object")
    return body


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _rejected(code: str, message: str, response: ResponseTopic, token: Optional[str]) -> bytes:
    out: dict[str, Any] = {"error": code, "errorMessage": message, "executionId": response.execution_id}
    if token is not None:
        out["clientToken"] = token
    return _dumps(out)
