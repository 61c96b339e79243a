"""The IoT Jobs backend: one per account and region, as every moto service.

State and shared changes come from `store.py`; the operations from `control_plane.py`
and `device_plane.py`; time-driven behaviour from `timers.py`,
`failure_policies.py`, `rollout.py` and `scheduling.py`. The route tables do not
live here (see `urls.py`), so constructing a backend stays cheap.
"""

from __future__ import annotations

from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.services.jobs.control_plane import ControlPlane
from moto_iotjobs.services.jobs.device_plane import DevicePlane
from moto_iotjobs.services.jobs.event_configurations import EventConfigurations
from moto_iotjobs.services.jobs.notifications import Notifier
from moto_iotjobs.services.jobs.policies.failures import FailurePolicies
from moto_iotjobs.services.jobs.policies.scheduling import Scheduling
from moto_iotjobs.services.jobs.templates import JobTemplates


class IoTJobsBackend(
    FailurePolicies,
    Scheduling,
    ControlPlane,
    DevicePlane,
    JobTemplates,
    EventConfigurations,
    BaseBackend,
):
    def __init__(self, region_name: str, account_id: str) -> None:
        BaseBackend.__init__(self, region_name, account_id)
        self._init_store()
        self._init_timers()
        self._init_templates()
        self._init_event_configurations()
        self.listeners.append(Notifier(self))


#: `iotjobs_backends[account_id][region_name]`, reset with every other moto backend.
iotjobs_backends: BackendDict[IoTJobsBackend] = BackendDict(IoTJobsBackend, "iot")
