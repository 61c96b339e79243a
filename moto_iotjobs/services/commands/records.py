"""The records of the commands service: a command and one execution of it on one target."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from moto_iotjobs.services.commands.lifecycle import Phase


@dataclass
class Command:
    """A command as CreateCommand stored it; the payload never changes."""

    command_id: str
    arn: str
    namespace: str
    seq: int
    created_at: float
    last_updated_at: float
    display_name: Optional[str] = None
    description: Optional[str] = None
    #: {"content": bytes, "contentType": str}; content may be absent
    payload: Optional[dict[str, Any]] = None
    payload_template: Optional[str] = None
    preprocessor: Optional[dict[str, Any]] = None
    mandatory_parameters: Optional[list[dict[str, Any]]] = None
    role_arn: Optional[str] = None
    tags: list[dict[str, str]] = field(default_factory=list)
    deprecated: bool = False
    #: When it was last deprecated (hidden; the 12 h deletion rule reads it).
    deprecated_at: Optional[float] = None
    pending_deletion: bool = False
    #: When a command pending deletion is removed.
    deletion_due: Optional[float] = None

    def parameter(self, name: str) -> Optional[dict[str, Any]]:
        for parameter in self.mandatory_parameters or ():
            if parameter["name"] == name:
                return parameter
        return None


@dataclass
class CommandExecution:
    """One execution of a command on one target (a thing or an MQTT client)."""

    execution_id: str
    command: Command
    target_arn: str
    seq: int
    created_at: float
    timeout_seconds: int
    time_to_live: float
    #: ("things" | "clients", thing name or client id): the MQTT topic's device part
    device: tuple[str, str]
    phase: Phase = Phase.CREATED
    last_updated_at: float = 0.0
    started_at: Optional[float] = None
    completed_at: Optional[float] = None
    status_reason: Optional[dict[str, str]] = None
    #: control-plane form: name -> {"S": str} | {"B": bool} | {"BIN": base64 str}
    result: Optional[dict[str, dict[str, Any]]] = None
    #: the request's parameters, as given
    parameters: Optional[dict[str, Any]] = None
    client_token: Optional[str] = None
    #: what the device receives: payload bytes and content type
    payload: bytes = b""
    content_type: str = "application/octet-stream"

    @property
    def status(self) -> str:
        return self.phase.status

    @property
    def deadline(self) -> float:
        return self.created_at + self.timeout_seconds
