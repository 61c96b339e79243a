"""The `iot` control-plane operations on commands and their executions.

Rules the model cannot state (AWS IoT developer guide, "Create and manage commands",
"Deprecate a command resource", DeleteCommand in the API reference):
- namespace AWS-IoT (the default) needs a payload or a payloadTemplate, not both, and takes
  no roleArn; AWS-IoT-FleetWise needs a roleArn and takes neither payload.
- a deprecated command takes no new executions and no edits until it is undeprecated.
- DeleteCommand of a command deprecated for 12 hours or more removes it at once (204);
  otherwise it is pending deletion (202) and removed 12 hours after its deprecation, or
  after the delete call when it was not deprecated; meanwhile GetCommand shows it,
  ListCommands hides it and nothing can change it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from moto_iotjobs.protocol.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from moto_iotjobs.protocol.pagination import decode_token, encode_token
from moto_iotjobs.services.commands import parameters as command_parameters
from moto_iotjobs.services.commands.lifecycle import DELETABLE
from moto_iotjobs.services.commands.payloads import (
    CONTENT_TYPE,
    DEFAULT_CONTENT_TYPE,
    check_template,
)
from moto_iotjobs.services.commands.records import Command, CommandExecution
from moto_iotjobs.services.commands.store import CommandsStore

AWS_IOT = "AWS-IoT"
FLEETWISE = "AWS-IoT-FleetWise"
#: Payload size limit (AWS IoT developer guide, "Create and manage commands": 32 KB).
MAX_PAYLOAD_BYTES = 32 * 1024
#: DeleteCommand: a command deprecated this long is removed at once (API reference).
DELETION_DELAY_SECONDS = 12 * 3600
#: ListCommands / ListCommandExecutions page size when maxResults is absent.
DEFAULT_PAGE_SIZE = 25


class CommandsControlPlane(CommandsStore):
    # --- commands ---------------------------------------------------------------------

    def create_command(self, p: dict[str, Any], now: float) -> Command:
        command_id = p["commandId"]
        namespace = p.get("namespace") or AWS_IOT
        payload = self._check_definition(p, namespace)
        if command_id in self.commands:
            raise ConflictException(f"Command {command_id} already exists", command_id)
        command = Command(
            command_id=command_id,
            arn=self.arn(f"command/{command_id}"),
            namespace=namespace,
            seq=self.next_seq(),
            created_at=now,
            last_updated_at=now,
            display_name=p.get("displayName"),
            description=p.get("description"),
            payload=payload,
            payload_template=p.get("payloadTemplate"),
            preprocessor=p.get("preprocessor"),
            mandatory_parameters=p.get("mandatoryParameters"),
            role_arn=p.get("roleArn"),
            tags=list(p.get("tags") or ()),
        )
        self.commands[command_id] = command
        return command

    def _check_definition(self, p: dict[str, Any], namespace: str) -> Optional[dict[str, Any]]:
        payload, template = p.get("payload"), p.get("payloadTemplate")
        preprocessor, definitions = p.get("preprocessor"), p.get("mandatoryParameters")
        if namespace == AWS_IOT:
            if p.get("roleArn") is not None:
                raise ValidationException("roleArn is not supported for the AWS-IoT namespace")
            if payload is None and template is None:
                raise ValidationException("A command of the AWS-IoT namespace needs a payload or a payloadTemplate")
            if payload is not None and template is not None:
                raise ValidationException("Give either payload or payloadTemplate, not both")
        else:
            if p.get("roleArn") is None:
                raise ValidationException(f"roleArn is required for the {FLEETWISE} namespace")
            if payload is not None or template is not None or preprocessor is not None:
                raise ValidationException(f"payload and payloadTemplate are not supported for the {FLEETWISE} namespace")
        if (template is None) != (preprocessor is None):
            raise ValidationException("payloadTemplate and preprocessor go together")
        if namespace == AWS_IOT and definitions is not None and template is None:
            raise ValidationException("mandatoryParameters need a payloadTemplate")
        if definitions is not None:
            command_parameters.check_definitions(definitions)
        if template is not None:
            names = {d["name"] for d in definitions or ()}
            missing = sorted(check_template(template) - names)
            if missing:
                raise ValidationException(
                    f"payloadTemplate uses parameters missing from mandatoryParameters: {', '.join(missing)}"
                )
        if payload is None:
            return None
        stored: dict[str, Any] = {"contentType": payload.get("contentType") or DEFAULT_CONTENT_TYPE}
        if not CONTENT_TYPE.match(stored["contentType"]):
            raise ValidationException(f"Invalid payload.contentType {stored['contentType']}: expected type/subtype")
        if payload.get("content") is not None:
            content = command_parameters.decode_blob(payload["content"], "payload.content")
            if len(content) > MAX_PAYLOAD_BYTES:
                raise ValidationException(f"payload.content exceeds {MAX_PAYLOAD_BYTES} bytes")
            stored["content"] = content
        return stored

    def command(self, command_id: str) -> Command:
        command = self.commands.get(command_id)
        if command is None:
            raise ResourceNotFoundException(f"Command {command_id} does not exist")
        return command

    def update_command(self, p: dict[str, Any], now: float) -> Command:
        command = self.command(p["commandId"])
        edits = {k: p[k] for k in ("displayName", "description") if p.get(k) is not None}
        deprecated = p.get("deprecated")
        if not edits and deprecated is None:
            raise ValidationException("Give at least one of displayName, description, deprecated")
        if command.pending_deletion:
            raise ConflictException(f"Command {command.command_id} is pending deletion", command.command_id)
        if command.deprecated and deprecated is not False and edits:
            raise ConflictException(
                f"Command {command.command_id} is deprecated: undeprecate it before editing it",
                command.command_id,
            )
        if "displayName" in edits:
            command.display_name = edits["displayName"]
        if "description" in edits:
            command.description = edits["description"]
        if deprecated is not None and deprecated != command.deprecated:
            command.deprecated = deprecated
            command.deprecated_at = now if deprecated else None
        command.last_updated_at = now
        return command

    def delete_command(self, p: dict[str, Any], now: float) -> int:
        """The HTTP status: 204 when the command is gone, 202 when pending deletion."""
        command = self.command(p["commandId"])
        if command.deprecated_at is not None and now - command.deprecated_at >= DELETION_DELAY_SECONDS:
            del self.commands[command.command_id]
            return 204
        if not command.pending_deletion:
            command.pending_deletion = True
            start = command.deprecated_at if command.deprecated_at is not None else now
            command.deletion_due = start + DELETION_DELAY_SECONDS
            command.last_updated_at = now
            self.purge_at(command.deletion_due)
        return 202

    def list_commands(self, p: dict[str, Any]) -> tuple[list[Command], Optional[str]]:
        namespace = p.get("namespace")
        parameter = p.get("commandParameterName")
        descending = p.get("sortOrder", "DESCENDING") == "DESCENDING"
        context = f"ListCommands|{namespace}|{parameter}|{descending}"
        commands = sorted(
            (
                c
                for c in self.commands.values()
                if not c.pending_deletion
                and (namespace is None or c.namespace == namespace)
                and (parameter is None or c.parameter(parameter) is not None)
            ),
            key=lambda c: (c.created_at, c.seq),
            reverse=descending,
        )
        return _page(commands, p, context)

    # --- executions -------------------------------------------------------------------

    def execution(self, execution_id: str, target_arn: str) -> CommandExecution:
        self.parse_arn(target_arn, ("thing", "client"), "targetArn")
        execution = self.executions.get(execution_id)
        if execution is None or execution.target_arn != target_arn:
            raise ResourceNotFoundException(
                f"Command execution {execution_id} does not exist for target {target_arn}"
            )
        return execution

    def delete_command_execution(self, p: dict[str, Any], now: float) -> None:
        try:
            execution = self.execution(p["executionId"], p["targetArn"])
        except ResourceNotFoundException as error:
            # DeleteCommandExecution models no ResourceNotFoundException (docs/commands.md)
            raise ValidationException(error.message) from None
        if execution.phase not in DELETABLE:
            raise ConflictException(
                f"Command execution {execution.execution_id} is {execution.status}: "
                "only a finished execution can be deleted",
                execution.execution_id,
            )
        self.forget(execution)

    def list_command_executions(self, p: dict[str, Any]) -> tuple[list[CommandExecution], Optional[str]]:
        command_arn, target_arn = p.get("commandArn"), p.get("targetArn")
        if (command_arn is None) == (target_arn is None):
            raise ValidationException("Give exactly one of commandArn and targetArn")
        started, completed = p.get("startedTimeFilter"), p.get("completedTimeFilter")
        if started is not None and completed is not None:
            raise ValidationException("Give at most one of startedTimeFilter and completedTimeFilter")
        if command_arn is not None:
            self.command_by_arn(command_arn)
        elif target_arn is not None:
            self.parse_arn(target_arn, ("thing", "client"), "targetArn")
        namespace, status = p.get("namespace"), p.get("status")
        field = "completed_at" if completed is not None else "started_at"
        after, before = _time_window(completed if completed is not None else started)
        descending = p.get("sortOrder", "DESCENDING") == "DESCENDING"
        context = f"ListCommandExecutions|{command_arn}|{target_arn}|{namespace}|{status}|{started}|{completed}|{descending}"
        chosen = []
        for execution in self.executions.values():
            if command_arn is not None and execution.command.arn != command_arn:
                continue
            if target_arn is not None and execution.target_arn != target_arn:
                continue
            if namespace is not None and execution.command.namespace != namespace:
                continue
            if status is not None and execution.status != status:
                continue
            when = getattr(execution, field)
            if (after is not None or before is not None) and when is None:
                continue
            if after is not None and when < after:
                continue
            if before is not None and when > before:
                continue
            chosen.append(execution)
        chosen.sort(key=lambda e: (getattr(e, field) or 0.0, e.seq), reverse=descending)
        return _page(chosen, p, context)


def _time_window(time_filter: Optional[dict[str, str]]) -> tuple[Optional[float], Optional[float]]:
    """A TimeFilter's bounds; its strings have the form yyyy-MM-dd'T'HH:mm (UTC)."""
    if not time_filter:
        return None, None
    bounds: list[Optional[float]] = []
    for key in ("after", "before"):
        text = time_filter.get(key)
        if text is None:
            bounds.append(None)
            continue
        try:
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ValidationException(f"Invalid time filter {key} {text}: expected yyyy-MM-dd'T'HH:mm") from None
        bounds.append(moment.timestamp())
    after, before = bounds
    if after is not None and before is not None and after > before:
        raise ValidationException("The time filter's after must not be later than its before")
    return after, before


def _page(items: list[Any], p: dict[str, Any], context: str) -> tuple[list[Any], Optional[str]]:
    """One page of a listing; the token carries the offset of the next page."""
    start = decode_token(p.get("nextToken"), context) or 0
    limit = p.get("maxResults") or DEFAULT_PAGE_SIZE
    page = items[start : start + limit]
    token = encode_token(start + limit, context) if start + limit < len(items) else None
    return page, token
