"""The MQTT messages of the commands service, through the jobs notifications' mechanism
(moto's `published_payloads`, then every sink such as the embedded broker).

- Starting an execution sends the command's payload to the device on
  `$aws/commands/<things|clients>/<id>/executions/<executionId>/request/<json|cbor>`
  (`.../request` alone for other content types), AWS IoT developer guide "Start and monitor
  command executions".
- Every status change publishes a command execution event on
  `$aws/events/commandExecution/<commandId>/<status>` ("Command events").
"""

from __future__ import annotations

import json
from typing import Any

from moto_iotjobs.services.commands.records import CommandExecution
from moto_iotjobs.services.jobs.notifications import deliver

_FORMATS = {"application/json": "json", "application/cbor": "cbor"}


def execution_topic(execution: CommandExecution) -> str:
    devices, device_id = execution.device
    return f"$aws/commands/{devices}/{device_id}/executions/{execution.execution_id}"


def request_topic(execution: CommandExecution) -> str:
    suffix = _FORMATS.get(execution.content_type.split(";", 1)[0].strip().lower())
    base = f"{execution_topic(execution)}/request"
    return f"{base}/{suffix}" if suffix else base


class CommandsPublisher:
    """Publishes one backend's command messages."""

    def __init__(self, account_id: str, region_name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name

    def publish(self, topic: str, payload: bytes) -> None:
        deliver(self.account_id, self.region_name, topic, payload)

    def request(self, execution: CommandExecution) -> None:
        self.publish(request_topic(execution), execution.payload)

    def execution_changed(self, execution: CommandExecution, now: float) -> None:
        event: dict[str, Any] = {
            "executionId": execution.execution_id,
            "status": execution.status,
        }
        if execution.status_reason:
            event["statusReason"] = dict(execution.status_reason)
        event.update(
            eventType="COMMAND_EXECUTION",
            commandArn=execution.command.arn,
            targetArn=execution.target_arn,
            timestamp=int(now * 1000),
        )
        self.publish(
            f"$aws/events/commandExecution/{execution.command.command_id}/{execution.status}",
            json.dumps(event, separators=(",", ":")).encode("utf-8"),
        )
