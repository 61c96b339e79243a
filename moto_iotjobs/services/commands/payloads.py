"""What the device receives: a static command's payload as is, or a dynamic command's
template with its placeholders substituted, encoded as JSON or CBOR.

Placeholders (case-sensitive, AWS IoT developer guide "Create and manage commands"):
`${aws:iot:commandexecution::parameter:<name>}` and
`${aws:iot:commandexecution::executionTimeoutSec}`. A JSON string that is exactly one
placeholder becomes the typed value; inside a longer string the value is replaced as text.
"""

from __future__ import annotations

import json
import re
import struct
from typing import Any

from moto_iotjobs.protocol.errors import ValidationException
from moto_iotjobs.services.commands.parameters import typed

PLACEHOLDER = re.compile(
    r"\$\{aws:iot:commandexecution::(?:parameter:(?P<name>[.$a-zA-Z0-9_-]+)|(?P<timeout>executionTimeoutSec))\}"
)
JSON_TYPE = "application/json"
CBOR_TYPE = "application/cbor"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CONTENT_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$")


def check_template(template: str) -> set[str]:
    """The parameter names a template uses; VE when it is no JSON or has no placeholder."""
    try:
        json.loads(template)
    except ValueError:
        raise ValidationException("payloadTemplate must be a valid JSON document") from None
    matches = list(PLACEHOLDER.finditer(template))
    if not matches:
        raise ValidationException("payloadTemplate must contain at least one placeholder")
    return {m.group("name") for m in matches if m.group("name")}


def render(template: str, output_format: str, values: dict[str, tuple[str, Any]], timeout: int) -> tuple[bytes, str]:
    """The substituted template, encoded as `output_format` (JSON or CBOR)."""

    def value_of(match: re.Match[str]) -> Any:
        if match.group("timeout"):
            return timeout
        member, value = values[match.group("name")]
        return typed(member, value)

    def substitute(node: Any) -> Any:
        if isinstance(node, str):
            whole = PLACEHOLDER.fullmatch(node)
            if whole:
                return value_of(whole)
            return PLACEHOLDER.sub(lambda m: _text(value_of(m)), node)
        if isinstance(node, list):
            return [substitute(item) for item in node]
        if isinstance(node, dict):
            return {substitute(k) if isinstance(k, str) else k: substitute(v) for k, v in node.items()}
        return node

    document = substitute(json.loads(template))
    if output_format == "CBOR":
        return cbor_encode(document), CBOR_TYPE
    return json.dumps(document, separators=(",", ":")).encode("utf-8"), JSON_TYPE


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cbor_encode(value: Any) -> bytes:
    """RFC 8949 encoding of a JSON-like value (no dependency for what JSON can hold)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor_encode(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} as CBOR")


def _head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")
