"""The command-execution lifecycle: every status and every move, in one table.

A TIMED_OUT set by the cloud (the execution timer ran out) is not final: the device may still
report a final status. A TIMED_OUT the device reports is final. The two are told apart by
the `phase`, the status plus who set it; the wire only ever shows the status.
"""

from __future__ import annotations

from enum import Enum

CREATED = "CREATED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
REJECTED = "REJECTED"
TIMED_OUT = "TIMED_OUT"

#: The statusReason.reasonCode the cloud sets on a timer expiry.
NO_RESPONSE_FROM_DEVICE = "$NO_RESPONSE_FROM_DEVICE"


class Phase(Enum):
    """A status together with who set it, where that matters."""

    CREATED = CREATED
    IN_PROGRESS = IN_PROGRESS
    TIMED_OUT_BY_CLOUD = "TIMED_OUT_BY_CLOUD"
    TIMED_OUT = TIMED_OUT
    SUCCEEDED = SUCCEEDED
    FAILED = FAILED
    REJECTED = REJECTED

    @property
    def status(self) -> str:
        return TIMED_OUT if self is Phase.TIMED_OUT_BY_CLOUD else self.value


_DEVICE_FINAL = frozenset({Phase.SUCCEEDED, Phase.FAILED, Phase.REJECTED, Phase.TIMED_OUT})

#: phase -> the phases a device report may move it to (the device's TIMED_OUT is final).
DEVICE_MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.CREATED: frozenset({Phase.IN_PROGRESS, *_DEVICE_FINAL}),
    Phase.IN_PROGRESS: frozenset({Phase.IN_PROGRESS, *_DEVICE_FINAL}),
    Phase.TIMED_OUT_BY_CLOUD: _DEVICE_FINAL,
    Phase.SUCCEEDED: frozenset(),
    Phase.FAILED: frozenset(),
    Phase.REJECTED: frozenset(),
    Phase.TIMED_OUT: frozenset(),
}

#: phase -> the phase the execution timer moves it to when it runs out.
TIMER_MOVES: dict[Phase, Phase] = {
    Phase.CREATED: Phase.TIMED_OUT_BY_CLOUD,
    Phase.IN_PROGRESS: Phase.TIMED_OUT_BY_CLOUD,
}

#: No move leaves these phases.
TERMINAL: frozenset[Phase] = frozenset(p for p, moves in DEVICE_MOVES.items() if not moves)

#: DeleteCommandExecution takes a finished execution, or one the cloud timed out.
DELETABLE: frozenset[Phase] = TERMINAL | {Phase.TIMED_OUT_BY_CLOUD}

#: Sets completedAt when entered (a cloud TIMED_OUT leaves it unset).
COMPLETING: frozenset[Phase] = TERMINAL

#: The statuses a device may report (CREATED is the cloud's).
DEVICE_STATUSES: dict[str, Phase] = {
    IN_PROGRESS: Phase.IN_PROGRESS,
    SUCCEEDED: Phase.SUCCEEDED,
    FAILED: Phase.FAILED,
    REJECTED: Phase.REJECTED,
    TIMED_OUT: Phase.TIMED_OUT,
}
