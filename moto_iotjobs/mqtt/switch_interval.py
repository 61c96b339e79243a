"""The interpreter's thread switch interval while an embedded amqtt broker runs.

The embedded broker's event loop and the Jobs bridge are two busy threads of one Python
process: every Jobs request crosses from one to the other and back. When both are busy (one
device flooding requests), a thread that wants the GIL waits up to the switch interval
(5 ms by default) at each crossing, and a quiet device's round trip had a p99 of 10-46 ms
instead of 10-16 ms with 1 ms (issue #14, same machine, alternating runs). So while at least
one embedded amqtt broker runs, the interval is at most ``EMBEDDED_BROKER_INTERVAL``; the
previous value comes back when the last one stops, unless someone changed it meanwhile.
"""

from __future__ import annotations

import sys
import threading

#: Seconds; Python's default is 0.005.
EMBEDDED_BROKER_INTERVAL = 0.001

_lock = threading.Lock()
_holders = 0
_saved: float | None = None


def lower() -> None:
    """One more embedded broker runs: lower the interval (if it is higher)."""
    global _holders, _saved
    with _lock:
        _holders += 1
        if _holders == 1 and sys.getswitchinterval() > EMBEDDED_BROKER_INTERVAL:
            _saved = sys.getswitchinterval()
            sys.setswitchinterval(EMBEDDED_BROKER_INTERVAL)


def restore() -> None:
    """One embedded broker stopped: the last one puts the saved interval back."""
    global _holders, _saved
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0 and _saved is not None:
            if sys.getswitchinterval() == EMBEDDED_BROKER_INTERVAL:
                sys.setswitchinterval(_saved)
            _saved = None
