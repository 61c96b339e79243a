"""Generic request dispatch: route, parse, validate, call the operation's handler, serialize.

This is a lean path of its own rather than moto's `BaseResponse` machinery (which spends
most of a call in generic parsing and its XML/JSON serializer): the route comes from the
botocore model, the handler (one named function per operation, in the service's
`handlers.py`) returns the output structure, written out as JSON. Nothing here knows a
service's behaviour: the service hands in its handlers and its backends.
"""

from __future__ import annotations

import json
import json.encoder
import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Callable, Optional

from moto_iotjobs.faults.rules import check_fault
from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import (
    InternalFailureException,
    InvalidRequestException,
    JobsError,
    as_modelled,
)
from moto_iotjobs.protocol.identity import request_account, request_region
from moto_iotjobs.protocol.parsing import RawRequest, check_unicode, parse_params
from moto_iotjobs.protocol.request_ids import next_request_id
from moto_iotjobs.protocol.service_model import OperationSpec, RouteIndex, operation_spec
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.timing import clock

log = logging.getLogger(__name__)

#: WSGI environ key under which the (plane, operation) a request resolved to is noted
OPERATION_KEY = "moto_iotjobs.operation"

#: handler(backend, typed parameters, now) -> the output structure. A backend has `lock`,
#: `advance(now)` (apply timed events) and, to make each call all-or-nothing, `atomic()`.
Handler = Callable[[Any, Any, float], Any]
#: moto's (status, headers, body) response triple
TYPE_RESPONSE = tuple[int, dict[str, str], Any]

def atomic(backend: Any) -> AbstractContextManager[Any]:
    """The backend's transaction (`backend.atomic()`: every change undone if the handler
    raises), or none for a backend without one."""
    begin = getattr(backend, "atomic", None)
    return nullcontext() if begin is None else begin()


def backend_for(backends: Any, raw: RawRequest) -> Any:
    """The caller's backend: account from the credentials, region from the host."""
    account = request_account(raw.headers)
    region = request_region(raw.host, raw.headers)
    try:
        return moto_compat.backend_of(backends, account, region)
    except KeyError:
        raise InvalidRequestException(f"Unknown region {region}") from None


def _compact_encoder() -> Callable[[Any], str]:
    """Compact JSON, as `json.JSONEncoder(separators=(",", ":")).encode` writes it, through
    one C encoder built once: `encode` builds a new one on every call (1.3 µs of a 6 µs
    DescribeJob body, #19). Without the circular-reference check: a handler's output is a
    fresh tree, and a cycle would still fail (RecursionError), answered as any defect."""
    reference = json.JSONEncoder(separators=(",", ":"))
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the standard path
        return reference.encode
    chunks = make(None, reference.default, json.encoder.encode_basestring_ascii, None,
                  ":", ",", False, False, True)

    def encode(value: Any) -> str:
        if isinstance(value, str):  # the C encoder expects a container or a scalar at top
            return reference.encode(value)
        return "".join(chunks(value, 0))

    return encode


_encode = _compact_encoder()


def _json_response(body: Any, spec: Optional[OperationSpec] = None) -> TYPE_RESPONSE:
    status = 200
    if spec is not None and spec.status_member is not None:
        # An output member bound to the HTTP status (DeleteCommand's 202 or 204): the status
        # carries it and the body is empty, as botocore's rest-json parser expects.
        status = body.pop(spec.status_member, 200)
        return status, {"x-amzn-RequestId": next_request_id()}, ""
    return (
        status,
        {
            "Content-Type": "application/json",
            "x-amzn-RequestId": next_request_id(),
        },
        _encode(body),
    )


#: Paths whose route an `OperationTable` remembers (cleared when full).
_MATCH_CACHE_SIZE = 4096


class OperationTable:
    """Every operation served on one plane (a botocore service: `iot`, `iot-jobs-data`),
    whichever service implements it: name -> (handler, that service's backends).

    Services are added explicitly, in one place (`moto_integration.planes`); an operation
    the table does not hold is not ours, and the caller falls back (to moto on `iot`)."""

    def __init__(self, plane: str) -> None:
        self.plane = plane
        self._operations: dict[str, tuple[Handler, Any]] = {}
        self._routes: Optional[RouteIndex] = None
        self._matched: dict[tuple[str, str], tuple[OperationSpec, dict[str, str]]] = {}

    def add(self, handlers: Mapping[str, Handler], backends: Any) -> None:
        """Serve `handlers` (operation name -> handler) with state from `backends`."""
        for name, handler in handlers.items():
            if name in self._operations:
                raise ValueError(f"{self.plane} operation {name} is served twice")
            self._operations[name] = (handler, backends)
        self._routes = None
        self._matched = {}

    def names(self) -> list[str]:
        return list(self._operations)

    def specs(self) -> dict[str, OperationSpec]:
        return {name: operation_spec(self.plane, name) for name in self._operations}

    def match(self, method: str, raw_path: str) -> Optional[tuple[OperationSpec, dict[str, str]]]:
        """The operation and raw path labels of a request, remembered per method and path:
        a device or a test calls the same few paths again and again (#19: a tenth of a
        small call's dispatch). Misses are not remembered; the labels are only read."""
        key = (method, raw_path)
        found = self._matched.get(key)
        if found is not None:
            return found
        routes = self._routes
        if routes is None:  # built on first use: loading botocore's model costs ~0.2 s
            routes = self._routes = RouteIndex(self.specs().values())
        found = routes.match(method, raw_path)
        if found is not None:
            if len(self._matched) >= _MATCH_CACHE_SIZE:
                self._matched.clear()
            self._matched[key] = found
        return found

    def handler(self, name: str) -> tuple[Handler, Any]:
        return self._operations[name]


def handle(table: OperationTable, request: Any, full_url: str) -> Optional[TYPE_RESPONSE]:
    """Answer a request if `table` has its operation; None when it is not ours."""
    moto_compat.check_services()
    raw = RawRequest(request, full_url)
    route = table.match(raw.method, raw.raw_path)
    if route is None:
        return None
    plane = table.plane
    spec, labels = route
    environ = raw.environ
    if environ is not None:  # for the server's request log
        environ[OPERATION_KEY] = (plane, spec.name)
    try:
        handler, backends = table.handler(spec.name)
        backend = backend_for(backends, raw)
        check_fault(plane, spec.name, backend.account_id, backend.region_name)
        params = parse_params(spec, labels, raw)
        validate(spec, params)
        if raw.may_hold_surrogates:
            check_unicode(spec, params)
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            with atomic(backend):
                body = handler(backend, params, now)
        return _json_response(body, spec)
    except JobsError as error:
        return as_modelled(error, spec.modelled_errors).to_response(plane)
    except Exception:  # a defect of ours: answer as AWS does, never with a traceback
        log.exception("moto_iotjobs failed on %s %s", raw.method, raw.raw_path)
        return InternalFailureException("Internal failure in moto_iotjobs").to_response(plane)
