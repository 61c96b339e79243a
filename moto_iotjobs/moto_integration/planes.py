"""What answers each host: the `iot` host's job and command operations and the
`iot-jobs-data` hosts go to the jobs and commands handlers; every other `iot` operation to
moto's own IoT responses (watched for the registry changes continuous jobs follow,
`registry_watch`). On the Data-ATS host the device-plane operations are ours and everything
else (shadows, publish) is moto's iot-data.
"""

from __future__ import annotations

import re
from typing import Any

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.registry_watch import IoTJobsResponse
from moto_iotjobs.protocol.dispatch import TYPE_RESPONSE, OperationTable, handle
from moto_iotjobs.protocol.errors import CONTROL_PLANE, DEVICE_PLANE, InvalidRequestException
from moto_iotjobs.protocol.parsing import RawRequest
from moto_iotjobs.services.commands import handlers as commands_handlers
from moto_iotjobs.services.commands.backend import commands_backends
from moto_iotjobs.services.endpoints import handlers as endpoints
from moto_iotjobs.services.jobs.backend import iotjobs_backends
from moto_iotjobs.services.jobs.handlers import CONTROL_HANDLERS, DEVICE_HANDLERS

#: Every service's operations, plane by plane: add a new service's handlers here.
CONTROL_TABLE = OperationTable(CONTROL_PLANE)
CONTROL_TABLE.add(CONTROL_HANDLERS, iotjobs_backends)
CONTROL_TABLE.add(endpoints.CONTROL_HANDLERS, iotjobs_backends)
CONTROL_TABLE.add(commands_handlers.CONTROL_HANDLERS, commands_backends)
DEVICE_TABLE = OperationTable(DEVICE_PLANE)
DEVICE_TABLE.add(DEVICE_HANDLERS, iotjobs_backends)
DEVICE_TABLE.add(commands_handlers.DEVICE_HANDLERS, commands_backends)

#: Paths of the `iot` host that belong to job (and job template) operations only: a request
#: there that matches none of them (a label holding a raw `/`, a wrong method) is answered
#: here, since moto's own IoT responses raise NotImplementedError for the job operations
#: moto does not implement (UpdateJob, DescribeManagedJobTemplate, ...).
_JOB_PATHS = re.compile(
    r"^/(?:jobs|job-templates|managed-job-templates|things/.+/jobs|commands|command-executions)(?:/|$)"
)


def control_plane_dispatch(request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:
    """Route for the whole `iot` host: job operations here, the rest to moto."""
    response = handle(CONTROL_TABLE, request, full_url)
    if response is not None:
        return response
    raw = RawRequest(request, full_url)
    if _JOB_PATHS.match(raw.raw_path):
        return InvalidRequestException(
            f"No iot operation matches {raw.method} {raw.raw_path}"
        ).to_response(CONTROL_PLANE)
    return IoTJobsResponse.dispatch(request, full_url, headers)  # type: ignore[no-any-return,unused-ignore]


def device_plane_dispatch(request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:
    """Route for the device-plane hosts: on `iot-jobs-data` hosts every path is ours; on the
    Data-ATS host what is not a device-plane operation goes to moto's iot-data."""
    response = handle(DEVICE_TABLE, request, full_url)
    if response is not None:
        return response
    raw = RawRequest(request, full_url)
    if _DATA_ATS_HOST.match(raw.host):
        return moto_compat.iotdata_response_class().dispatch(request, full_url, headers)  # type: ignore[no-any-return,unused-ignore]
    return InvalidRequestException(
        f"No iot-jobs-data operation matches {raw.method} {raw.raw_path}"
    ).to_response(DEVICE_PLANE)


#: The Data-ATS hosts: `data-ats.iot.<region>` and the `<prefix>-ats.iot.<region>` that
#: DescribeEndpoint(iot:Data-ATS) hands out.
_DATA_ATS_HOST = re.compile(r"^(?:[a-z0-9]+-ats|data-ats)\.iot\.[^.]+\.amazonaws\.com(?::\d+)?$")
