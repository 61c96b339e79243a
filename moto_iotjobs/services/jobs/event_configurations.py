"""The account's event configuration (UpdateEventConfigurations / DescribeEventConfigurations).

moto's IoT backend does not implement these; the Jobs fleet events (`$aws/events/job/...`,
`$aws/events/jobExecution/...`) are published only while JOB / JOB_EXECUTION are enabled,
so the plugin keeps them, per account and region. Every event type is reported, disabled
until enabled, as AWS does.
"""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.protocol.service_model import service_model
from moto_iotjobs.services.jobs.serialization import control_time


class EventConfigurations:
    def _init_event_configurations(self) -> None:
        self.event_configurations: dict[str, dict[str, bool]] = {}
        self._event_configurations_created: Optional[float] = None
        self._event_configurations_modified: Optional[float] = None

    def update_event_configurations(self, params: dict[str, Any], now: float) -> None:
        for event_type, config in (params.get("eventConfigurations") or {}).items():
            self.event_configurations[event_type] = {"Enabled": bool(config.get("Enabled"))}
        if self._event_configurations_created is None:
            self._event_configurations_created = now
        self._event_configurations_modified = now

    def describe_event_configurations(self) -> dict[str, Any]:
        types = service_model("iot").shape_for("EventType").enum
        out: dict[str, Any] = {
            "eventConfigurations": {
                t: {"Enabled": self.event_configurations.get(t, {}).get("Enabled", False)} for t in types
            }
        }
        if self._event_configurations_created is not None:
            out["creationDate"] = control_time(self._event_configurations_created)
        if self._event_configurations_modified is not None:
            out["lastModifiedDate"] = control_time(self._event_configurations_modified)
        return out
