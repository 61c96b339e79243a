"""Requests waiting for the Jobs bridge, one FIFO per thing, served in turn.

One device flooding the Jobs topics must not delay another device's answer (issue #14): a
single FIFO would put the quiet device's request behind the whole flood. Each thing (the
``{thingName}`` of ``$aws/things/{thingName}/...``, the ``{id}`` of ``$aws/commands/
things|clients/{id}/...``) gets its own FIFO, so its requests are still answered in the order
it sent them, and the things take turns: one request each per round.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Generic, TypeVar

__all__ = ["DEFAULT_MAX_WAITING_PER_THING", "FairQueue", "requester_of"]

T = TypeVar("T")

#: Requests one thing may have waiting; more are dropped (MQTT QoS 0 allows it; AWS IoT
#: itself allows a connection 100 publishes per second). Generous: a 10,000-request flood
#: fits ten times over.
DEFAULT_MAX_WAITING_PER_THING = 100_000


def requester_of(topic: str) -> str:
    """Whose request this is: the thing (or client) the topic names, else the topic itself."""
    levels = topic.split("/", 4)
    if len(levels) > 3 and levels[0] == "$aws":
        if levels[1] == "things":
            return levels[2]
        if levels[1] == "commands" and len(levels) > 3:
            return levels[3]
    return topic


class FairQueue(Generic[T]):
    """Per-key FIFOs served round-robin; not thread-safe (the bridge's I/O thread owns it)."""

    def __init__(self, max_per_key: int = DEFAULT_MAX_WAITING_PER_THING) -> None:
        self.max_per_key = max_per_key
        self._queues: OrderedDict[str, deque[T]] = OrderedDict()
        self._size = 0
        #: Items refused because their key already had ``max_per_key`` waiting.
        self.dropped = 0

    def __len__(self) -> int:
        return self._size

    def put(self, key: str, item: T) -> bool:
        """Queue ``item`` behind ``key``'s earlier ones; False (dropped) when ``key`` is full."""
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        elif len(queue) >= self.max_per_key:
            self.dropped += 1
            return False
        queue.append(item)
        self._size += 1
        return True

    def pop(self) -> T:
        """The oldest item of the key whose turn it is; that key then goes to the back."""
        key, queue = next(iter(self._queues.items()))
        item = queue.popleft()
        self._size -= 1
        if queue:
            self._queues.move_to_end(key)
        else:
            del self._queues[key]
        return item
