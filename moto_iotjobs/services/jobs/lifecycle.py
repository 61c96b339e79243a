"""Job and job-execution statuses and the one table of their transitions.

Both planes (and the time-driven behaviour) move executions only through
`check_execution_transition`, so who may set which status lives here and nowhere else.
Sources: AWS IoT developer guide, "Jobs and job execution states"
(https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs-lifecycle.html), and
docs/BEHAVIOUR.md for the points it leaves open.
"""

from __future__ import annotations

from enum import Enum
from typing import Callable

from moto_iotjobs.protocol.errors import InvalidStateTransitionException

# Job statuses (iot JobStatus enum).
JOB_IN_PROGRESS = "IN_PROGRESS"
JOB_CANCELED = "CANCELED"
JOB_COMPLETED = "COMPLETED"
JOB_DELETION_IN_PROGRESS = "DELETION_IN_PROGRESS"
JOB_SCHEDULED = "SCHEDULED"

JOB_TERMINAL = frozenset({JOB_CANCELED, JOB_COMPLETED})

# Execution statuses (JobExecutionStatus enum, the same in both planes).
QUEUED = "QUEUED"
IN_PROGRESS = "IN_PROGRESS"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
TIMED_OUT = "TIMED_OUT"
REJECTED = "REJECTED"
REMOVED = "REMOVED"
CANCELED = "CANCELED"

EXECUTION_STATUSES = (QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED)
PENDING = frozenset({QUEUED, IN_PROGRESS})
TERMINAL = frozenset({SUCCEEDED, FAILED, TIMED_OUT, REJECTED, REMOVED, CANCELED})

#: jobProcessDetails counter for each execution status.
PROCESS_DETAILS_COUNTERS = {
    CANCELED: "numberOfCanceledThings",
    SUCCEEDED: "numberOfSucceededThings",
    FAILED: "numberOfFailedThings",
    REJECTED: "numberOfRejectedThings",
    QUEUED: "numberOfQueuedThings",
    IN_PROGRESS: "numberOfInProgressThings",
    REMOVED: "numberOfRemovedThings",
    TIMED_OUT: "numberOfTimedOutThings",
}


class Actor(Enum):
    """Who asks for a transition."""

    DEVICE = "device"  # UpdateJobExecution / StartNextPendingJobExecution
    CANCEL = "cancel"  # CancelJob / CancelJobExecution / abort / end of schedule, no force
    FORCE_CANCEL = "force-cancel"  # the same with force=true
    TIMER = "timer"  # in-progress or step timeout
    THING_DELETED = "thing-deleted"  # DeleteThing: every pending execution of the thing
    LEFT_GROUP = "left-group"  # the thing no longer reaches a CONTINUOUS job: QUEUED only
    RETRY = "retry"  # jobExecutionsRetryConfig queues a failed or timed-out execution again

    # Identity hashing, as equality already is: Enum's own __hash__ is Python code run on
    # every transition-table look-up (#19).
    __hash__ = object.__hash__


_DEVICE = {Actor.DEVICE}
_CANCEL = {Actor.CANCEL, Actor.FORCE_CANCEL}

#: EXECUTION_TRANSITIONS[from][to] = the actors allowed to make that move.
EXECUTION_TRANSITIONS: dict[str, dict[str, set[Actor]]] = {
    QUEUED: {
        IN_PROGRESS: _DEVICE,
        SUCCEEDED: _DEVICE,
        FAILED: _DEVICE,
        REJECTED: _DEVICE,
        CANCELED: _CANCEL,
        REMOVED: {Actor.THING_DELETED, Actor.LEFT_GROUP},
    },
    IN_PROGRESS: {
        IN_PROGRESS: _DEVICE,
        SUCCEEDED: _DEVICE,
        FAILED: _DEVICE,
        REJECTED: _DEVICE,
        TIMED_OUT: {Actor.TIMER},
        CANCELED: {Actor.FORCE_CANCEL},
        # A device can still finish an IN_PROGRESS execution of a group it left (captured
        # on the live service, docs/live-service.md).
        REMOVED: {Actor.THING_DELETED},
    },
    FAILED: {QUEUED: {Actor.RETRY}},
    TIMED_OUT: {QUEUED: {Actor.RETRY}},
    SUCCEEDED: {},
    REJECTED: {},
    REMOVED: {},
    CANCELED: {},
}

#: Actors whose change keeps versionNumber: a removal is the service's bookkeeping, not a
#: change of the execution (captured on the live service, docs/live-service.md,
#: "CONTINUOUS jobs and group membership").
UNVERSIONED_ACTORS = frozenset({Actor.THING_DELETED, Actor.LEFT_GROUP})

#: Statuses a device may ask for in UpdateJobExecution.
DEVICE_SETTABLE = frozenset(
    to for moves in EXECUTION_TRANSITIONS.values() for to, actors in moves.items() if Actor.DEVICE in actors
)


def can_transition(current: str, target: str, actor: Actor) -> bool:
    return actor in EXECUTION_TRANSITIONS[current].get(target, ())


def check_device_status(target: str) -> None:
    """A device may ask only for IN_PROGRESS, SUCCEEDED, FAILED or REJECTED: anything else
    is a 409 with the text the live service gives (docs/live-service.md, "Statuses a device
    may not set"), decided before the execution is looked up."""
    if target not in DEVICE_SETTABLE:
        raise InvalidStateTransitionException(
            f"The status of job execution cannot be changed to be {target}"
        )


def check_execution_transition(
    current: str, target: str, actor: Actor, describe: Callable[[], str]
) -> None:
    """Raise the error AWS gives when `actor` may not move an execution from `current` to
    `target`; `describe()` names the execution, called only for the message."""
    if actor is Actor.DEVICE:
        check_device_status(target)
    if can_transition(current, target, actor):
        return
    what = describe()
    if current in TERMINAL:
        raise InvalidStateTransitionException(
            f"The job execution {what} is in the terminal status {current} and can not be updated"
        )
    raise InvalidStateTransitionException(
        f"The job execution {what} can not move from {current} to {target}"
        + (" without force" if actor is Actor.CANCEL and current == IN_PROGRESS else "")
    )


#: Job statuses and the statuses they may move to (DELETION_IN_PROGRESS is passed through
#: synchronously by DeleteJob, so it is never observed).
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JOB_SCHEDULED: frozenset({JOB_IN_PROGRESS, JOB_CANCELED, JOB_DELETION_IN_PROGRESS}),
    JOB_IN_PROGRESS: frozenset({JOB_SCHEDULED, JOB_COMPLETED, JOB_CANCELED, JOB_DELETION_IN_PROGRESS}),
    JOB_COMPLETED: frozenset({JOB_DELETION_IN_PROGRESS}),
    JOB_CANCELED: frozenset({JOB_DELETION_IN_PROGRESS}),
    JOB_DELETION_IN_PROGRESS: frozenset(),
}
