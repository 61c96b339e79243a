"""Generic request dispatch: route, parse, validate, call the operation's handler, serialize.

This is a lean path of its own rather than moto's `BaseResponse` machinery (which spends
most of a call in generic parsing and its XML/JSON serializer): the route comes from the
botocore model, the handler (one named function per operation, in the service's
`handlers.py`) returns the output structure, written out as JSON. Nothing here knows a
service's behaviour: the service hands in its handlers and its backends.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
from collections.abc import Mapping
from typing import Any, Callable, Optional
from uuid import uuid4

from moto_iotjobs.faults import check_fault
from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import (
    InternalFailureException,
    InvalidRequestException,
    JobsError,
    ValidationException,
)
from moto_iotjobs.protocol.identity import request_account, request_region
from moto_iotjobs.protocol.parsing import RawRequest, parse_params
from moto_iotjobs.protocol.service_model import OperationSpec, RouteIndex, operation_spec
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.timing import clock

log = logging.getLogger(__name__)

#: handler(backend, typed parameters, now) -> the output structure
Handler = Callable[[Any, dict[str, Any], float], Any]
#: moto's (status, headers, body) response triple
TYPE_RESPONSE = tuple[int, dict[str, str], Any]

def backend_for(backends: Any, raw: RawRequest) -> Any:
    """The caller's backend: account from the credentials, region from the host."""
    account = request_account(raw.headers)
    region = request_region(raw.host, raw.headers)
    try:
        return moto_compat.backend_of(backends, account, region)
    except KeyError:
        raise InvalidRequestException(f"Unknown region {region}") from None


_encode = json.JSONEncoder(separators=(",", ":")).encode
_request_ids = itertools.count(1)
_REQUEST_ID_PREFIX = str(uuid4())[:24]  # a UUID-shaped id: random prefix, counter suffix


def _json_response(body: Any) -> TYPE_RESPONSE:
    return (
        200,
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": f"{_REQUEST_ID_PREFIX}{next(_request_ids):012x}",
        },
        _encode(body),
    )


class OperationTable:
    """Every operation served on one plane (a botocore service: `iot`, `iot-jobs-data`),
    whichever service implements it: name -> (handler, that service's backends).

    Services are added explicitly, in one place (`moto_integration.planes`); an operation
    the table does not hold is not ours, and the caller falls back (to moto on `iot`)."""

    def __init__(self, plane: str) -> None:
        self.plane = plane
        self._operations: dict[str, tuple[Handler, Any]] = {}
        self._routes: Optional[RouteIndex] = None

    def add(self, handlers: Mapping[str, Handler], backends: Any) -> None:
        """Serve `handlers` (operation name -> handler) with state from `backends`."""
        for name, handler in handlers.items():
            if name in self._operations:
                raise ValueError(f"{self.plane} operation {name} is served twice")
            self._operations[name] = (handler, backends)
        self._routes = None

    def names(self) -> list[str]:
        return list(self._operations)

    def specs(self) -> dict[str, OperationSpec]:
        return {name: operation_spec(self.plane, name) for name in self._operations}

    def match(self, method: str, raw_path: str) -> Optional[tuple[OperationSpec, dict[str, str]]]:
        routes = self._routes
        if routes is None:  # built on first use: loading botocore's model costs ~0.2 s
            routes = self._routes = RouteIndex(self.specs().values())
        return routes.match(method, raw_path)

    def handler(self, name: str) -> tuple[Handler, Any]:
        return self._operations[name]


@functools.cache
def _validation_is_validation_exception(plane: str, name: str) -> bool:
    """Whether an operation answers bad input with ValidationException (it models that
    error and not InvalidRequestException: the package catalog, commands)."""
    codes = {shape.name for shape in operation_spec(plane, name).model.error_shapes}
    return "ValidationException" in codes and "InvalidRequestException" not in codes


def modelled(spec: OperationSpec, error: JobsError) -> JobsError:
    """The error as the operation models it: shared code (validation, page tokens) raises
    InvalidRequestException, which operations modelling ValidationException answer as that."""
    if type(error) is InvalidRequestException and _validation_is_validation_exception(
        spec.plane, spec.name
    ):
        return ValidationException(error.message, **error.extra)
    return error


def handle(table: OperationTable, request: Any, full_url: str) -> Optional[TYPE_RESPONSE]:
    """Answer a request if `table` has its operation; None when it is not ours."""
    moto_compat.check_services()
    raw = RawRequest(request, full_url)
    route = table.match(raw.method, raw.raw_path)
    if route is None:
        return None
    plane = table.plane
    spec, labels = route
    try:
        check_fault(plane, spec.name)
        params = parse_params(spec, labels, raw)
        validate(spec, params)
        handler, backends = table.handler(spec.name)
        backend = backend_for(backends, raw)
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            body = handler(backend, params, now)
        return _json_response(body)
    except JobsError as error:
        return modelled(spec, error).to_response(plane)
    except Exception:  # a defect of ours: answer as AWS does, never with a traceback
        log.exception("moto_iotjobs failed on %s %s", raw.method, raw.raw_path)
        return InternalFailureException("Internal failure in moto_iotjobs").to_response(plane)
