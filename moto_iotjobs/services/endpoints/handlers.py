"""DescribeEndpoint (control plane).

The live service (captured in eu-north-1 and eu-central-1, 2026; docs/live-service.md) refuses
`iot:Jobs` ("IoT Jobs and Commands APIs are now available through iot:Data-ATS endpoints ...")
and `iot:Data`: devices reach the jobs and commands device planes on the Data-ATS host, where
moto_iotjobs answers beside moto's iot-data operations. An account's endpoint prefix is stable
(AWS gives one per account; moto draws a new random one on every call, so code that compares
or caches addresses broke), derived here from the account id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto_iotjobs.protocol.errors import InvalidRequestException

#: endpointType -> address template ({prefix}, {region})
ADDRESSES = {
    "iot:Data-ATS": "{prefix}-ats.iot.{region}.amazonaws.com",
    "iot:CredentialProvider": "{prefix}.credentials.iot.{region}.amazonaws.com",
}
REFUSED = {
    "iot:Jobs": (
        "IoT Jobs and Commands APIs are now available through iot:Data-ATS endpoints instead "
        "of iot:Jobs endpoints. Please use iot:Data-ATS."
    ),
    "iot:Data": "iot:Data is not supported. Please use iot:Data-ATS instead.",
}
DEFAULT_TYPE = "iot:Data-ATS"  # what the API reference says an omitted endpointType means


def endpoint_prefix(account_id: str) -> str:
    """14 lowercase characters, the same for every call, region and process."""
    return hashlib.sha256(f"moto-iotjobs:{account_id}".encode()).hexdigest()[:14]


def endpoint_address(account_id: str, region_name: str, endpoint_type: str = DEFAULT_TYPE) -> str:
    if endpoint_type in REFUSED:
        raise InvalidRequestException(REFUSED[endpoint_type])
    template = ADDRESSES.get(endpoint_type)
    if template is None:
        raise InvalidRequestException(f"Endpoint type {endpoint_type} not recognized.")
    return template.format(prefix=endpoint_prefix(account_id), region=region_name)


def describe_endpoint(backend: Any, params: dict[str, Any], now: float) -> dict[str, Any]:
    endpoint_type = params.get("endpointType") or DEFAULT_TYPE
    return {"endpointAddress": endpoint_address(backend.account_id, backend.region_name, endpoint_type)}


CONTROL_HANDLERS = {"DescribeEndpoint": describe_endpoint}
