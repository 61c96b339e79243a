"""Request parsing: path labels, query string and JSON body into typed operation parameters.

Requests arrive in two forms: botocore's `AWSPreparedRequest` (in-process, through moto's
before-send hook) and a werkzeug `Request` (moto's server, and `requests` calls intercepted
through `responses`). Path labels are read from the raw, still percent-encoded path, so an
encoded `/` stays inside its label and `%24next` and `$next` both mean `$next`.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.protocol.nesting import (
    LONE_SURROGATE,
    MAX_BODY_DEPTH,
    lone_surrogate,
    value_depth,
)
from moto_iotjobs.protocol.service_model import Member, OperationSpec
from moto_iotjobs.protocol.validation import fail, format_value, validation_error

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+", re.ASCII)
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


class RawRequest:
    """The parts of an HTTP request the dispatcher needs, whatever object carried it.

    The body is read on first use: a request that is not ours (a route that falls through
    to moto) keeps a streamed body unread for moto."""

    __slots__ = ("method", "raw_path", "query", "headers", "host", "environ", "_request", "_body")

    def __init__(self, request: Any, full_url: str) -> None:
        self.method: str = request.method.upper()
        # werkzeug's request has one; botocore's has none (read once: the header view, the
        # body and the server's request log all depend on it)
        self.environ: Optional[dict[str, Any]] = getattr(request, "environ", None)
        self.host, self.raw_path, self.query = moto_compat.request_target(request, full_url)
        self.headers: Any = request.headers
        if self.environ is None:  # botocore's request: HTTPHeaders, maybe bytes
            self.headers = HeaderView(self.headers)
        self._request = request
        self._body: Optional[bytes] = None

    @property
    def body(self) -> bytes:
        if self._body is None:
            request = self._request
            if self.environ is not None and hasattr(request, "get_data"):  # werkzeug
                body = request.get_data()
            else:
                body = request.body
                if not isinstance(body, (bytes, str)) and hasattr(body, "read"):
                    body = body.read()
            if isinstance(body, str):
                body = body.encode("utf-8")
            self._body = body or b""
        return self._body

    @property
    def may_hold_surrogates(self) -> bool:
        """Whether a parameter can hold a lone UTF-16 surrogate: only a JSON `\\u` escape in
        the body writes one (labels and queries are decoded as strict UTF-8, headers as
        UTF-8 or Latin-1, and a raw surrogate is not valid UTF-8), so a request whose body
        was never read or has no escape skips `check_unicode`'s walk."""
        body = self._body
        return body is not None and b"\\u" in body


def _header_key_type() -> Any:
    """botocore's case-insensitive header key, when `HeadersDict` still keeps its items in a
    plain dict of them (checked once): a lookup there is a dict lookup, where
    `HeadersDict.get` raises and catches a KeyError for every absent header (~1 µs, #19)."""
    try:
        from botocore.awsrequest import HeadersDict, _HeaderKey  # type: ignore[attr-defined,unused-ignore]

        probe = HeadersDict({"X-Probe": "1"})
        if probe._dict.get(_HeaderKey("x-probe")) == "1" and _HeaderKey("a") != "a":
            return _HeaderKey
    except Exception:  # noqa: BLE001 - any change of botocore's internals: the public get
        pass
    return None


_HEADER_KEY = _header_key_type()
#: header name -> botocore's key for it (a request reads the same few names)
_header_keys: dict[str, Any] = {}


class HeaderView:
    """botocore's request headers, read as text: moto decoded bytes values in place before
    handing the request over until 5.2.5; the direct route (compat_router) hands it over
    untouched. Only `get` is used, for the two or three headers a request is read for."""

    __slots__ = ("_headers", "_items")

    def __init__(self, headers: Any) -> None:
        self._headers = headers
        items = getattr(headers, "_dict", None) if _HEADER_KEY is not None else None
        self._items: Optional[dict[Any, Any]] = items if type(items) is dict else None

    def get(self, name: str, default: Any = None) -> Any:
        items = self._items
        if items is None:
            value = self._headers.get(name, default)
        else:
            key = _header_keys.get(name)
            if key is None:
                if len(_header_keys) > 256:
                    _header_keys.clear()
                key = _header_keys[name] = _HEADER_KEY(name)
            value = items.get(key, default)
        return value.decode("utf-8") if isinstance(value, bytes) else value


#: How a path or query-string text becomes each scalar type: (accepted form, conversion,
#: constraint named when it does not fit). Python's int() would also take " 7", "1_0" and
#: non-ASCII digits; AWS does not.
_SCALARS: dict[str, tuple[Callable[[str], bool], Callable[[str], Any], str]] = {
    "integer": (lambda t: _INTEGER_TEXT.fullmatch(t) is not None, int, "Member must be of type integer"),
    "long": (lambda t: _INTEGER_TEXT.fullmatch(t) is not None, int, "Member must be of type integer"),
    "double": (lambda t: _DECIMAL_TEXT.fullmatch(t) is not None, float, "Member must be of type double"),
    "float": (lambda t: _DECIMAL_TEXT.fullmatch(t) is not None, float, "Member must be of type double"),
    "boolean": (lambda t: t.lower() in ("true", "false"), lambda t: t.lower() == "true", "Member must be a boolean"),
}


Scalar = tuple[Callable[[str], bool], Callable[[str], Any], str]


def _convert_scalar(scalar: Optional[Scalar], name: str, text: str, errors: list) -> Any:
    """Turn a path or query-string value into the member's type (`scalar`; None: a string)."""
    if scalar is None:
        return text
    accepts, convert, constraint = scalar
    if accepts(text):
        return convert(text)
    fail(errors, text, name, constraint)
    return None


#: Dot segments: RFC 3986 path normalization removes them before any service sees a label.
_DOT_SEGMENTS = frozenset({".", ".."})


def _decode_label(raw: str, name: str) -> str:
    errors: list = []
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        fail(errors, raw, name, "Member must be valid percent-encoded UTF-8")
        raise validation_error(errors) from None
    if value in _DOT_SEGMENTS:
        fail(errors, value, name, "Member must not be a relative path segment ('.' or '..')")
        raise validation_error(errors)
    return value


def reject_constant(name: str) -> Any:
    """NaN, Infinity and -Infinity are not JSON (Python's json module accepts them)."""
    raise ValueError(f"{name} is not a JSON value")


#: One strict decoder (json.loads with arguments builds a new one per call).
_STRICT_DECODER = json.JSONDecoder(parse_constant=reject_constant)
_scan_value = _STRICT_DECODER.scan_once  # type: ignore[attr-defined,unused-ignore]


def strict_json(text: str) -> Any:
    """`text` as one JSON value, as `JSONDecoder.decode` reads it: its scanner straight away
    when the text has no surrounding whitespace (SDK bodies never do; #19), `decode` itself
    for anything else, and for every error and its message."""
    try:
        value, end = _scan_value(text, 0)
    except (StopIteration, ValueError):
        return _STRICT_DECODER.decode(text)
    if end != len(text):
        return _STRICT_DECODER.decode(text)
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    """Parse a JSON object body; anything else is an InvalidRequestException."""
    if not raw or raw.isspace():  # as `not raw.strip()`, without copying the body
        return {}
    try:
        body = strict_json(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: deep nesting
        raise InvalidRequestException(
            "Could not parse the request body: it is not valid JSON"
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestException(
            f"Could not parse the request body: expected a JSON object, got {format_value(body)}"
        )
    # Checked here, iteratively, before validation and error messages walk the body. Each
    # level opens with a bracket: a body with no more brackets than the limit is not deeper.
    if (raw.count(b"{") + raw.count(b"[") > MAX_BODY_DEPTH
            and value_depth(body, MAX_BODY_DEPTH) > MAX_BODY_DEPTH):
        raise InvalidRequestException(
            f"Could not parse the request body: it is nested deeper than {MAX_BODY_DEPTH} "
            "levels, deeper than any member of the operation"
        )
    return body


def check_unicode(spec: OperationSpec, params: dict[str, Any]) -> None:
    """After validation (whose patterns already refuse most): a member holding a lone UTF-16
    surrogate, which is not Unicode text and cannot be written as UTF-8, is a 400 naming it
    (members in the model's order)."""
    errors: list = []
    for member in spec.members:
        name = member.name
        value = params.get(name)
        if type(value) is str:  # most members: one regex search, no walk
            if LONE_SURROGATE.search(value) is None:
                continue
        elif type(value) is int or value is None:
            continue
        if lone_surrogate(value) is not None:
            fail(errors, value, name, "Member must be valid Unicode text (no lone surrogates)")
    if errors:
        raise validation_error(errors)


class _Reader:
    """Where each input member of one operation travels, compiled once from the model: a
    request walks only the locations its operation uses, and only the keys its body has.
    Each member keeps its place in the model, so type errors are listed in model order."""

    __slots__ = ("labels", "query", "headers", "body")

    def __init__(self, spec: OperationSpec) -> None:
        def scalar(member: Member) -> Optional[Scalar]:
            return _SCALARS.get(member.shape.type_name)

        located = [(index, member, member.location) for index, member in enumerate(spec.members)]
        self.labels = tuple(
            (i, m.name, m.wire_name, scalar(m)) for i, m, at in located if at == "uri")
        self.query = tuple(
            (i, m.name, m.wire_name, m.shape.type_name == "list", scalar(m))
            for i, m, at in located if at == "querystring"
        )
        self.headers = tuple(
            (i, m.name, m.wire_name, scalar(m)) for i, m, at in located if at == "header")
        self.body = {
            m.wire_name: m.name for _, m, at in located if at not in ("uri", "querystring", "header")
        }


def _reader(spec: OperationSpec) -> _Reader:
    reader: Optional[_Reader] = spec.reader
    if reader is None:
        reader = spec.reader = _Reader(spec)
    return reader


def _typed(scalar: Optional[Scalar], index: int, name: str, text: str,
           errors: list[tuple[int, str]]) -> Any:
    """`text` as the member's type; a type error is noted with the member's place."""
    if scalar is None:
        return text
    failed: list = []
    value = _convert_scalar(scalar, name, text, failed)
    errors.extend((index, message) for message in failed)
    return value


def parse_params(spec: OperationSpec, labels: dict[str, str], raw: RawRequest) -> dict[str, Any]:
    """Typed parameters of `spec` from a request; type errors use the validation format.

    Read in this order: path labels (a label that is not valid percent-encoded UTF-8 is
    refused at once), the query string, headers, then the JSON body (refused at once when
    it is not a JSON object); the type errors of labels, query and headers are reported
    together, in the model's member order."""
    reader = _reader(spec)
    params: dict[str, Any] = {}
    errors: list[tuple[int, str]] = []
    for index, name, wire_name, scalar in reader.labels:
        text = labels.get(wire_name)
        if text is not None:
            params[name] = _typed(scalar, index, name, _decode_label(text, name), errors)
    if reader.query and raw.query:
        query = parse_qs(raw.query, keep_blank_values=True)
        for index, name, wire_name, is_list, scalar in reader.query:
            values = query.get(wire_name)
            if values:
                params[name] = values if is_list else _typed(scalar, index, name, values[0], errors)
    for index, name, wire_name, scalar in reader.headers:
        value = raw.headers.get(wire_name)
        if value is not None:
            params[name] = _typed(scalar, index, name, value, errors)
    members = reader.body
    if members:
        for wire_name, value in parse_body(raw.body).items():
            member = members.get(wire_name)
            if member is not None:
                params[member] = value
    if errors:
        errors.sort(key=lambda error: error[0])
        raise validation_error([message for _, message in errors])
    return params
