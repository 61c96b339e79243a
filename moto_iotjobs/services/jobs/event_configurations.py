"""The account's event configuration (UpdateEventConfigurations / DescribeEventConfigurations).

moto's IoT backend does not implement these; the Jobs fleet events (`$aws/events/job/...`,
`$aws/events/jobExecution/...`) are published only while JOB / JOB_EXECUTION are enabled,
so the plugin keeps them, per account and region. Every event type is reported, disabled
until enabled, as AWS does.
"""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.protocol.service_model import service_model
from moto_iotjobs.services.jobs.inputs import UpdateEventConfigurationsInput
from moto_iotjobs.services.jobs.serialization import control_time
from moto_iotjobs.state.transaction import Journal


class EventConfigurations:
    """Which fleet events are enabled, and when the configuration was created and changed."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.enabled: dict[str, dict[str, bool]] = {}
        self.created: Optional[float] = None
        self.modified: Optional[float] = None

    def is_enabled(self, event_type: str) -> bool:
        config = self.enabled.get(event_type)
        return bool(config and config.get("Enabled"))

    def update(self, params: UpdateEventConfigurationsInput, now: float) -> None:
        saved = (dict(self.enabled), self.created, self.modified)

        def undo() -> None:
            self.enabled, self.created, self.modified = saved

        self.journal.record(undo)
        for event_type, config in (params.get("eventConfigurations") or {}).items():
            self.enabled[event_type] = {"Enabled": bool(config.get("Enabled"))}
        if self.created is None:
            self.created = now
        self.modified = now

    def describe(self) -> dict[str, Any]:
        types = service_model("iot").shape_for("EventType").enum
        out: dict[str, Any] = {
            "eventConfigurations": {t: {"Enabled": self.is_enabled(t)} for t in types}
        }
        if self.created is not None:
            out["creationDate"] = control_time(self.created)
        if self.modified is not None:
            out["lastModifiedDate"] = control_time(self.modified)
        return out
