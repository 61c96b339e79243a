"""The state of the commands service and what changes it on its own.

State: commands by id, executions by id, the idempotency tokens of StartCommandExecution
and a heap of execution deadlines. Time-driven changes (execution timeouts, retention,
the removal of commands pending deletion) are applied lazily by `advance(now)`, which the
dispatcher calls under `lock` before every operation, so a frozen or travelling clock
(freezegun, time-machine) drives them.
"""

from __future__ import annotations

import heapq
import math
import re
import threading
from typing import Optional

from moto_iotjobs.protocol.errors import ResourceNotFoundException, ValidationException
from moto_iotjobs.services.commands.lifecycle import NO_RESPONSE_FROM_DEVICE, TIMER_MOVES
from moto_iotjobs.services.commands.publishing import CommandsPublisher
from moto_iotjobs.services.commands.records import Command, CommandExecution

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iot:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>command|thing|client)/(?P<name>[^/]+)$"
)


class CommandsStore:
    """Commands and their executions of one account and region. Guard entry points with `lock`."""

    region_name: str
    account_id: str
    partition: str

    def _init_store(self) -> None:
        self.lock = threading.RLock()
        self.commands: dict[str, Command] = {}
        self.executions: dict[str, CommandExecution] = {}
        self.client_tokens: dict[str, CommandExecution] = {}
        self._deadlines: list[tuple[float, int, str]] = []
        self._purge_due = math.inf
        self._seq = 0
        self.publisher = CommandsPublisher(self.account_id, self.region_name)
        #: Executions a target may have running at once (CREATED or IN_PROGRESS); None:
        #: unlimited. AWS's commands quota could not be read; set it to test
        #: ServiceQuotaExceededException.
        self.max_running_per_target: Optional[int] = None

    # --- identity -----------------------------------------------------------------------

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def arn(self, resource: str) -> str:
        return f"arn:{self.partition}:iot:{self.region_name}:{self.account_id}:{resource}"

    def parse_arn(self, arn: str, kinds: tuple[str, ...], member: str) -> tuple[str, str]:
        """(kind, name) of an ARN of this account and region; VE when it is not one."""
        match = _ARN.match(arn)
        if match is None or match.group("kind") not in kinds:
            forms = " or ".join(f"arn:aws:iot:<region>:<account>:{k}/<name>" for k in kinds)
            raise ValidationException(f"Invalid {member} {arn}: expected {forms}")
        if match.group("account") != self.account_id or match.group("region") != self.region_name:
            raise ValidationException(
                f"Invalid {member} {arn}: it must belong to account {self.account_id} "
                f"and region {self.region_name}"
            )
        return match.group("kind"), match.group("name")

    def command_by_arn(self, arn: str, member: str = "commandArn") -> Command:
        _, command_id = self.parse_arn(arn, ("command",), member)
        command = self.commands.get(command_id)
        if command is None:
            raise ResourceNotFoundException(f"Command {command_id} does not exist")
        return command

    # --- time ---------------------------------------------------------------------------

    def arm(self, execution: CommandExecution) -> None:
        heapq.heappush(self._deadlines, (execution.deadline, execution.seq, execution.execution_id))

    def advance(self, now: float) -> None:
        """Apply the timeouts, retention ends and deletions that have come due by `now`."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] <= now:
            due, _, execution_id = heapq.heappop(deadlines)
            execution = self.executions.get(execution_id)
            if execution is None or execution.phase not in TIMER_MOVES:
                continue
            execution.phase = TIMER_MOVES[execution.phase]
            execution.status_reason = {"reasonCode": NO_RESPONSE_FROM_DEVICE}
            execution.last_updated_at = due
            self.publisher.execution_changed(execution, due)
        self._purge(now)

    def purge_at(self, when: float) -> None:
        """Make sure `advance` looks for something to remove at `when`."""
        self._purge_due = min(self._purge_due, when)

    def _purge(self, now: float) -> None:
        if now < self._purge_due:
            return
        for execution in [e for e in self.executions.values() if e.time_to_live <= now]:
            self.forget(execution)
        for command in [c for c in self.commands.values() if c.deletion_due is not None and c.deletion_due <= now]:
            del self.commands[command.command_id]
        self._purge_due = min(
            [e.time_to_live for e in self.executions.values()]
            + [c.deletion_due for c in self.commands.values() if c.deletion_due is not None],
            default=math.inf,
        )

    def forget(self, execution: CommandExecution) -> None:
        self.executions.pop(execution.execution_id, None)
        if execution.client_token is not None:
            self.client_tokens.pop(execution.client_token, None)
