"""MQTT messages the Jobs service publishes, recorded as moto records MQTT publishes."""

from __future__ import annotations

import json
from typing import Any, Optional


def published_notifications(
    thing_name: Optional[str] = None,
    topic: Optional[str] = None,
    region_name: str = "us-east-1",
    account_id: str = "123456789012",
) -> list[tuple[str, Any]]:
    """(topic, decoded payload) of the Jobs messages moto's iot-data backend recorded,
    optionally only those of one thing or one exact topic."""
    from moto.iotdata.models import iotdata_backends

    backend = iotdata_backends[account_id][region_name]
    out = []
    for published_topic, payload in backend.published_payloads:
        if not (published_topic.startswith("$aws/things/") or published_topic.startswith("$aws/events/")):
            continue
        if topic is not None and published_topic != topic:
            continue
        if thing_name is not None and not published_topic.startswith(f"$aws/things/{thing_name}/"):
            continue
        out.append((published_topic, json.loads(payload)))
    return out
