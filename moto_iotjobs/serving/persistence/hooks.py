"""Where state changes outside HTTP (the MQTT APIs) meet persistence, when it is on.

A leaf module (no imports of the services or of the broker), so that the MQTT bridge can call
`around_mqtt` without depending on the persistence machinery.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Protocol

Replies = list[tuple[str, Any]]


class MqttRecorder(Protocol):
    def around_mqtt(
        self, api: str, account_id: str, region_name: str, topic: str, payload: bytes, apply: Callable[[], Replies]
    ) -> Replies: ...


#: The running persistence, if any (set by `enable_persistence`).
active: Optional[MqttRecorder] = None


def around_mqtt(
    api: str, account_id: str, region_name: str, topic: str, payload: bytes, apply: Callable[[], Replies]
) -> Replies:
    """Answer an MQTT request with `apply()`; with persistence on, as one journaled change."""
    recorder = active
    if recorder is None:
        return apply()
    return recorder.around_mqtt(api, account_id, region_name, topic, payload, apply)
