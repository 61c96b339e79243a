"""The IoT Jobs backend: one per account and region, as every moto service.

It holds the parts and owns nothing else: the journal every write goes through
(`state/transaction.py`), the job store with its event queue (`store.py`), the job
templates (`templates.py`), the event configurations and the notifier that publishes what
the store reports. The operations are functions over these parts (`control_plane.py`,
`device_plane.py`), called by the handlers (`handlers.py`); the route tables live in
`moto_integration/planes.py`, so constructing a backend stays cheap.
"""

from __future__ import annotations

import threading
from typing import Optional

from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.services.jobs.event_configurations import EventConfigurations
from moto_iotjobs.services.jobs.notifications import Notifier
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.jobs.store import JobStore
from moto_iotjobs.services.jobs.templates import TemplateStore
from moto_iotjobs.state.transaction import Journal


class IoTJobsBackend(BaseBackend):
    """State of one account and region. Every entry point holds `lock`, runs `advance(now)`
    and then the operation inside `atomic()`."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.lock = threading.RLock()
        self.journal = Journal()
        self.store = JobStore(account_id, region_name, self.partition, self.journal)
        self.templates = TemplateStore(account_id, region_name, self.journal)
        self.event_configurations = EventConfigurations(self.journal)
        self.notifier = Notifier(self.store, self.event_configurations)
        self.store.listeners.append(self.notifier)

    def atomic(self) -> Journal:
        """`with backend.atomic():` one operation: on any exception every change it made is
        undone and nothing it would have published is published."""
        return self.journal

    def advance(self, now: float) -> None:
        """Apply the timed events that have come due by `now`, as one transaction."""
        events = self.store.events
        if events.due(now):
            with self.journal:
                events.advance(now)

    # --- what tests and users read ------------------------------------------------------

    @property
    def jobs(self) -> dict[str, Job]:
        """Jobs by id."""
        return self.store.jobs

    def get_execution(
        self, thing_name: str, job_id: str, execution_number: Optional[int] = None
    ) -> JobExecution:
        """The latest execution of a job on a thing (or the numbered one)."""
        return self.store.get_execution(thing_name, job_id, execution_number)


#: `iotjobs_backends[account_id][region_name]`, reset with every other moto backend.
iotjobs_backends: BackendDict[IoTJobsBackend] = BackendDict(IoTJobsBackend, "iot")
