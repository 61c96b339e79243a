"""What answers each host: the `iot` host's job and command operations and the
`iot-jobs-data` hosts go to the jobs and commands handlers; every other `iot` operation to
moto's own IoT responses (watched for the registry changes continuous jobs follow,
`registry_watch`). On the Data-ATS host the device-plane operations are ours and everything
else (shadows, publish) is moto's iot-data,
watched for the shadow changes dynamic groups follow (`shadow_watch`).
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any, Callable, Optional

from moto_iotjobs.moto_integration.registry_watch import IoTJobsResponse
from moto_iotjobs.moto_integration.shadow_watch import shadow_plane_dispatch
from moto_iotjobs.protocol.dispatch import TYPE_RESPONSE, OperationTable, handle
from moto_iotjobs.protocol.errors import CONTROL_PLANE, DEVICE_PLANE, InvalidRequestException
from moto_iotjobs.protocol.parsing import RawRequest
from moto_iotjobs.services.commands import handlers as commands_handlers
from moto_iotjobs.services.commands.backend import commands_backends
from moto_iotjobs.services.commands.tags import command_tags
from moto_iotjobs.services.dynamic_groups.backend import dynamic_groups_backends
from moto_iotjobs.services.dynamic_groups.handlers import DYNAMIC_GROUP_HANDLERS
from moto_iotjobs.services.endpoints import handlers as endpoints
from moto_iotjobs.services.jobs.backend import iotjobs_backends
from moto_iotjobs.services.jobs.handlers import CONTROL_HANDLERS, DEVICE_HANDLERS
from moto_iotjobs.services.jobs.tags import job_tags, job_template_tags
from moto_iotjobs.services.packages.backend import packages_backends
from moto_iotjobs.services.packages.handlers import PACKAGE_HANDLERS
from moto_iotjobs.services.packages.tags import package_tags
from moto_iotjobs.services.tagging.backend import (
    tagging_backends,
    thing_group_tags,
    thing_type_tags,
)
from moto_iotjobs.services.tagging.handlers import TAGGING_HANDLERS
from moto_iotjobs.services.tagging.owners import TAG_OWNERS

#: Every service's operations, plane by plane: add a new service's handlers here.
CONTROL_TABLE = OperationTable(CONTROL_PLANE)
CONTROL_TABLE.add(CONTROL_HANDLERS, iotjobs_backends)
CONTROL_TABLE.add(endpoints.CONTROL_HANDLERS, iotjobs_backends)
CONTROL_TABLE.add(commands_handlers.CONTROL_HANDLERS, commands_backends)
CONTROL_TABLE.add(TAGGING_HANDLERS, tagging_backends)
CONTROL_TABLE.add(PACKAGE_HANDLERS, packages_backends)
CONTROL_TABLE.add(DYNAMIC_GROUP_HANDLERS, dynamic_groups_backends)
DEVICE_TABLE = OperationTable(DEVICE_PLANE)
DEVICE_TABLE.add(DEVICE_HANDLERS, iotjobs_backends)
DEVICE_TABLE.add(commands_handlers.DEVICE_HANDLERS, commands_backends)

#: Who keeps the tags of each taggable ARN type: add a new service's resource types here.
TAG_OWNERS.register("job", job_tags)
TAG_OWNERS.register("jobtemplate", job_template_tags)
TAG_OWNERS.register("thinggroup", thing_group_tags)
TAG_OWNERS.register("thingtype", thing_type_tags)
TAG_OWNERS.register("package", package_tags)
TAG_OWNERS.register("command", command_tags)

#: The direct route's handlers (compat_router): the table's operations, None for the rest,
#: which moto's router then brings to control_plane_dispatch / device_plane_dispatch below.
control_plane_direct: Callable[[Any, str], Optional[TYPE_RESPONSE]] = partial(handle, CONTROL_TABLE)
device_plane_direct: Callable[[Any, str], Optional[TYPE_RESPONSE]] = partial(handle, DEVICE_TABLE)

#: Paths of the `iot` host that belong to our operations only (jobs, job templates, tags,
#: packages, dynamic groups, commands): a request there that matches none of them (a label holding a
#: raw `/`, a wrong method) is answered here, since moto's own IoT responses raise
#: NotImplementedError for the operations moto does not implement (UpdateJob, TagResource...).
_JOB_PATHS = re.compile(
    r"^/(?:jobs|job-templates|managed-job-templates|things/.+/jobs|tags|untag|packages"
    r"|package-configuration|dynamic-thing-groups|commands|command-executions)(?:/|$)"
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
        return shadow_plane_dispatch(request, full_url, headers)  # type: ignore[no-any-return,unused-ignore]
    return InvalidRequestException(
        f"No iot-jobs-data operation matches {raw.method} {raw.raw_path}"
    ).to_response(DEVICE_PLANE)


#: The Data-ATS hosts: `data-ats.iot.<region>` and the `<prefix>-ats.iot.<region>` that
#: DescribeEndpoint(iot:Data-ATS) hands out.
_DATA_ATS_HOST = re.compile(r"^(?:[a-z0-9]+-ats|data-ats)\.iot\.[^.]+\.amazonaws\.com(?::\d+)?$")
