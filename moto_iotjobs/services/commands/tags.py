"""The tags of commands, for the tagging service (`services.tagging`): they live on the command
record (CreateCommand's `tags`), so a deleted command takes its tags with it."""

from __future__ import annotations

from typing import Optional

from moto_iotjobs.moto_integration.compat import backend_of
from moto_iotjobs.services.commands.backend import commands_backends
from moto_iotjobs.services.tagging.owners import TagBinding, tag_list, tag_map


def command_tags(account_id: str, region_name: str, arn: str, command_id: str) -> Optional[TagBinding]:
    backend = backend_of(commands_backends, account_id, region_name)
    with backend.lock:
        command = backend.commands.get(command_id)
    if command is None or command.arn != arn:
        return None

    def write(tags: dict[str, str]) -> None:
        command.tags = tag_list(tags)

    return TagBinding(lambda: tag_map(command.tags), write, backend.lock)
