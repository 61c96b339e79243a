"""botocore's service models, read at run time: the one source of operations and constraints.

Loading the `iot` model costs ~0.2 s, so nothing here runs at import; the first request
pays it once per process. Each operation we serve is compiled into an `OperationSpec`
(its route regex and its input members by location) the first time the plane is used.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

_loader_lock = threading.Lock()


@cache
def service_model(service_name: str) -> ServiceModel:
    """The botocore model of `iot` or `iot-jobs-data`, loaded once."""
    with _loader_lock:
        data = Loader().load_service_model(service_name, "service-2")
        return ServiceModel(data, service_name=service_name)


@dataclass(frozen=True)
class Member:
    """One input member of an operation: where it travels and its shape."""

    name: str
    wire_name: str
    location: str  # "uri", "querystring", "header" or "body"
    shape: Shape


@dataclass
class OperationSpec:
    """What the dispatcher needs of one operation, derived from its botocore model."""

    name: str
    plane: str
    method: str
    request_uri: str
    path_regex: re.Pattern[str]
    model: OperationModel
    members: tuple[Member, ...]
    required: frozenset[str]
    has_body: bool
    #: The codes of the operation's modelled errors.
    modelled_errors: frozenset[str] = frozenset()
    #: The output member bound to the HTTP status code, if any (DeleteCommand.statusCode).
    status_member: str | None = None
    validators: Any = field(default=None, repr=False)  # compiled by validation on first use
    reader: Any = field(default=None, repr=False)  # compiled by parsing on first use

    @property
    def input_shape(self) -> Shape | None:
        return self.model.input_shape


_LABEL = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")


def uri_to_regex(request_uri: str) -> re.Pattern[str]:
    """`/things/{thingName}/jobs/{jobId}` -> an anchored regex over the raw (encoded) path.

    Labels match one path segment and may be empty, so an empty label reaches validation
    ("must have length greater than or equal to 1") instead of falling through.
    """
    path = request_uri.split("?", 1)[0]
    pattern = ""
    pos = 0
    for match in _LABEL.finditer(path):
        pattern += _literal(path[pos : match.start()])
        pattern += f"(?P<{match.group(1)}>[^/]*)"
        pos = match.end()
    pattern += _literal(path[pos:])
    return re.compile(f"^{pattern}$")


def _literal(text: str) -> str:
    """A literal part of a request URI; `$` (as in `/jobs/$next`) also matches `%24`."""
    return re.escape(text).replace(re.escape("$"), r"(?:\$|%24)")


def _members(op: OperationModel) -> tuple[Member, ...]:
    shape = op.input_shape
    if shape is None:
        return ()
    members = []
    for name, member_shape in shape.members.items():
        serialization = member_shape.serialization
        location = serialization.get("location", "body")
        wire_name = serialization.get("name", name)
        members.append(Member(name, wire_name, location, member_shape))
    return tuple(members)


def _spec(plane: str, operation_name: str) -> OperationSpec:
    op = service_model(plane).operation_model(operation_name)
    members = _members(op)
    shape = op.input_shape
    required = frozenset(shape.required_members) if shape is not None else frozenset()
    return OperationSpec(
        name=operation_name,
        plane=plane,
        method=op.http["method"],
        request_uri=op.http["requestUri"],
        path_regex=uri_to_regex(op.http["requestUri"]),
        model=op,
        members=members,
        required=required,
        has_body=any(m.location == "body" for m in members),
        modelled_errors=frozenset(error.name for error in op.error_shapes),
        status_member=_status_member(op),
    )


def _status_member(op: OperationModel) -> str | None:
    shape = op.output_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.serialization.get("location") == "statusCode":
            return str(name)
    return None


@cache
def operation_spec(plane: str, name: str) -> OperationSpec:
    """One operation of `plane`'s model (read once per process; `validation` compiles its
    checks on first use, so this module needs nothing of validation)."""
    return _spec(plane, name)


def operations(plane: str, names: Iterable[str]) -> dict[str, OperationSpec]:
    """The named operations of `plane`, by name."""
    return {name: operation_spec(plane, name) for name in names}


def _first_segment(path: str) -> str:
    return path[1:].split("/", 1)[0]


class RouteIndex:
    """Operations by HTTP method and first path segment (`jobs`, `things`, ...), most
    specific URI first, so a request tries only a handful of patterns."""

    def __init__(self, specs: Iterable[OperationSpec]) -> None:
        table: dict[tuple[str, str], list[OperationSpec]] = {}
        for spec in specs:
            table.setdefault((spec.method, _first_segment(spec.request_uri)), []).append(spec)
        for candidates in table.values():
            candidates.sort(key=lambda s: (-s.request_uri.count("/"), s.request_uri.count("{")))
        self._table = table

    def match(self, method: str, raw_path: str) -> tuple[OperationSpec, dict[str, str]] | None:
        for spec in self._table.get((method, _first_segment(raw_path)), ()):
            match = spec.path_regex.match(raw_path)
            if match is not None:
                return spec, match.groupdict()
        return None
