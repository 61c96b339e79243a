"""The commands backend: one per account and region, as every moto service."""

from __future__ import annotations

from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.services.commands.control_plane import CommandsControlPlane
from moto_iotjobs.services.commands.device_plane import CommandsDevicePlane


class CommandsBackend(CommandsControlPlane, CommandsDevicePlane, BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        BaseBackend.__init__(self, region_name, account_id)
        self._init_store()


#: `commands_backends[account_id][region_name]`, reset with every other moto backend.
commands_backends: BackendDict[CommandsBackend] = BackendDict(CommandsBackend, "iot")
