"""Fixtures of the commands tests: a registered thing and a static command."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from moto_iotjobs.services.commands.backend import CommandsBackend, commands_backends

PAYLOAD = {"action": "reboot"}


def command_backend(account: str = "123456789012", region: str = "us-east-1") -> CommandsBackend:
    return commands_backends[account][region]


def report(target: tuple[str, str], execution_id: str, body: dict[str, Any], now: float) -> Any:
    """A device's response, as the MQTT adapter hands it to the backend."""
    backend = command_backend()
    with backend.lock:
        backend.advance(now)
        return backend.report(target[0], target[1], execution_id, body, now)


@pytest.fixture
def thing_arn(iot: Any) -> str:
    return str(iot.create_thing(thingName="dev1")["thingArn"])


@pytest.fixture
def command_arn(iot: Any) -> str:
    created = iot.create_command(
        commandId="reboot",
        payload={"content": json.dumps(PAYLOAD).encode(), "contentType": "application/json"},
        displayName="Reboot",
    )
    return str(created["commandArn"])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
