"""All-or-nothing operations: an undo journal the stores write to, rolled back on any error.

Every change a store makes while a transaction is open is recorded as the way to undo it:
a record's fields are snapshotted the first time the transaction touches it (`touch`), an
index change records its inverse (`record`). Effects that cannot be undone (a published
MQTT message) are held until the transaction commits (`on_commit`). The entry points that
change state (the HTTP dispatcher, the MQTT adapter, the registry watch) run each call in
`atomic()`: if anything raises, every recorded change is undone in reverse order and the
held effects are dropped, so a failed call changes no state.

Outside a transaction nothing is recorded and `on_commit` runs at once (direct use of a
backend in tests).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Protocol

log = logging.getLogger(__name__)

Undo = Callable[[], None]


class Snapshotting(Protocol):
    """A record whose fields a transaction can save and put back."""

    def snapshot(self) -> Any: ...

    def restore(self, state: Any) -> None: ...


class Journal:
    """The undo log of one backend (one account and region); used under its lock."""

    __slots__ = ("active", "_depth", "_undo", "_touched", "_deferred")

    def __init__(self) -> None:
        self.active = False
        self._depth = 0  # blocks nested in the open transaction
        self._undo: list[Undo] = []
        self._touched: set[int] = set()
        self._deferred: list[Undo] = []

    def record(self, undo: Undo) -> None:
        """Remember how to undo a change just made (nothing when no transaction is open)."""
        if self.active:
            self._undo.append(undo)

    def touch(self, record: Snapshotting) -> None:
        """Save `record`'s fields before its first change in this transaction."""
        if self.active and id(record) not in self._touched:
            self._touched.add(id(record))
            state = record.snapshot()
            self._undo.append(lambda: record.restore(state))

    def on_commit(self, effect: Undo) -> None:
        """Run `effect` once the transaction commits; at once when none is open."""
        if self.active:
            self._deferred.append(effect)
        else:
            effect()

    def atomic(self) -> Journal:
        """Run a `with` block as one transaction; nested blocks join the enclosing one."""
        return self

    def __enter__(self) -> None:
        if self.active:
            self._depth += 1
        else:
            self.active = True

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        if self._depth:
            self._depth -= 1
        elif kind is None:
            self._commit()
        else:
            self._rollback()

    def _commit(self) -> None:
        deferred = self._deferred
        # Only what was used is replaced: most reads record nothing, and a write made outside
        # any effect needs no new containers (a third of a small call's commit, #19).
        self.active = False
        self._depth = 0
        if self._undo:
            self._undo = []
        if self._touched:
            self._touched = set()
        if deferred:
            self._deferred = []
            for effect in deferred:
                effect()

    def _rollback(self) -> None:
        undo = self._undo
        self._reset()
        while undo:
            undo.pop()()

    def _reset(self) -> None:
        self.active = False
        self._depth = 0
        self._undo = []
        self._touched = set()
        self._deferred = []
