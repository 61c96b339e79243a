"""AWS IoT policy evaluation for the MQTT actions: iot:Connect, iot:Publish, iot:Subscribe,
iot:Receive.

A request is allowed when some statement of the principal's policies allows it and none
denies it (explicit Deny wins; nothing matching means an implicit deny):
https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html
Resources: ``client/<clientId>`` for Connect, ``topic/<topic>`` for Publish and Receive,
``topicfilter/<filter>`` for Subscribe; in resources ``*`` and ``?`` are wildcards and MQTT's
``+``/``#`` are ordinary characters
(https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html).
Policy variables (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policy-variables.html)
are substituted in ``Resource``; a statement whose variable cannot be resolved for this
connection (e.g. ``${iot:Connection.Thing.ThingName}`` without an attached thing) does not
match. Statements with a ``Condition`` block are evaluated for the condition operators listed
in ``_CONDITIONS``; a statement with any other operator never matches (fails closed).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

__all__ = ["PolicyContext", "is_allowed", "resource_arn", "MQTT_ACTIONS"]

MQTT_ACTIONS = ("iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive")

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_RESOURCE_KIND = {
    "iot:Connect": "client",
    "iot:Publish": "topic",
    "iot:Receive": "topic",
    "iot:RetainPublish": "topic",
    "iot:Subscribe": "topicfilter",
}


@dataclass
class PolicyContext:
    """What the policy variables of one connection resolve to (None: not available)."""

    region_name: str
    account_id: str
    client_id: str
    thing_name: Optional[str] = None
    thing_type_name: Optional[str] = None
    thing_attributes: Mapping[str, str] = field(default_factory=dict)
    thing_is_attached: bool = False
    certificate: Mapping[str, str] = field(default_factory=dict)  # "Subject.CommonName" -> value

    @property
    def partition(self) -> str:
        if self.region_name.startswith("cn-"):
            return "aws-cn"
        if self.region_name.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"

    def variable(self, name: str) -> Optional[str]:
        """The value of ``${name}`` for this connection, or None when it does not resolve."""
        if name == "iot:ClientId":
            return self.client_id
        if name == "iot:Connection.Thing.IsAttached":
            return "true" if self.thing_is_attached else "false"
        if name.startswith("iot:Connection.Thing."):
            if not self.thing_is_attached or self.thing_name is None:
                return None
            key = name[len("iot:Connection.Thing.") :]
            if key == "ThingName":
                return self.thing_name
            if key == "ThingTypeName":
                return self.thing_type_name
            match = re.fullmatch(r"Attributes\[(.+)\]", key)
            if match:
                return self.thing_attributes.get(match.group(1))
            return None
        if name.startswith("iot:Certificate."):
            return self.certificate.get(name[len("iot:Certificate.") :])
        if name == "aws:SourceIp":
            return None
        return None


def resource_arn(context: PolicyContext, action: str, name: str) -> str:
    """The ARN a request is authorised against, e.g. ``arn:aws:iot:r:a:topic/a/b``."""
    kind = _RESOURCE_KIND[action]
    return f"arn:{context.partition}:iot:{context.region_name}:{context.account_id}:{kind}/{name}"


@functools.lru_cache(maxsize=4096)
def _pattern_parts(pattern: str) -> tuple[tuple[bool, str], ...]:
    """A resource pattern split into (is_variable, text) parts."""
    parts: list[tuple[bool, str]] = []
    position = 0
    for match in _VARIABLE.finditer(pattern):
        if match.start() > position:
            parts.append((False, pattern[position : match.start()]))
        parts.append((True, match.group(1)))
        position = match.end()
    if position < len(pattern):
        parts.append((False, pattern[position:]))
    return tuple(parts)


def _wildcard_regex(text: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)


@functools.lru_cache(maxsize=8192)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL)


def _substituted_regex(pattern: str, context: PolicyContext) -> Optional[re.Pattern[str]]:
    """The resource pattern as a regex with variables substituted literally, or None when
    a variable does not resolve."""
    pieces = []
    for is_variable, text in _pattern_parts(pattern):
        if is_variable:
            value = context.variable(text)
            if value is None:
                return None
            pieces.append(re.escape(value))
        else:
            pieces.append(_wildcard_regex(text))
    return _compiled("".join(pieces))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _action_matches(patterns: Iterable[str], action: str) -> bool:
    lowered = action.lower()
    return any(fnmatch.fnmatchcase(lowered, str(p).lower()) for p in patterns)


def _resource_matches(patterns: Iterable[str], resource: str, context: PolicyContext) -> bool:
    for pattern in patterns:
        regex = _substituted_regex(str(pattern), context)
        if regex is not None and regex.fullmatch(resource):
            return True
    return False


def _string_values(key: str, context: PolicyContext) -> Optional[str]:
    match = _VARIABLE.fullmatch(key)
    return context.variable(match.group(1) if match else key)


def _values_test(test: Callable[[str, str], bool]) -> Callable[[Optional[str], list[Any]], bool]:
    def check(actual: Optional[str], expected: list[Any]) -> bool:
        return actual is not None and any(test(actual, str(e)) for e in expected)

    return check


_CONDITIONS: dict[str, Callable[[Optional[str], list[Any]], bool]] = {
    "StringEquals": _values_test(lambda a, e: a == e),
    "StringNotEquals": lambda a, e: a is not None and all(a != str(x) for x in e),
    "StringEqualsIgnoreCase": _values_test(lambda a, e: a.lower() == e.lower()),
    "StringLike": _values_test(lambda a, e: re.fullmatch(_wildcard_regex(e), a, re.DOTALL) is not None),
    "StringNotLike": lambda a, e: a is not None
    and all(re.fullmatch(_wildcard_regex(str(x)), a, re.DOTALL) is None for x in e),
    "Bool": _values_test(lambda a, e: a.lower() == e.lower()),
}


def _conditions_hold(conditions: Any, context: PolicyContext) -> bool:
    if not conditions:
        return True
    if not isinstance(conditions, dict):
        return False
    for operator, tests in conditions.items():
        check = _CONDITIONS.get(operator)
        if check is None or not isinstance(tests, dict):
            return False
        for key, expected in tests.items():
            if not check(_string_values(key, context), _as_list(expected)):
                return False
    return True


def _statements(document: Union[str, Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, Mapping):
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, Mapping)]


def _statement_matches(
    statement: Mapping[str, Any], action: str, resource: str, context: PolicyContext
) -> bool:
    if "Action" in statement:
        if not _action_matches(_as_list(statement["Action"]), action):
            return False
    elif "NotAction" in statement:
        if _action_matches(_as_list(statement["NotAction"]), action):
            return False
    else:
        return False
    if "Resource" in statement:
        if not _resource_matches(_as_list(statement["Resource"]), resource, context):
            return False
    elif "NotResource" in statement:
        if _resource_matches(_as_list(statement["NotResource"]), resource, context):
            return False
    else:
        return False
    return _conditions_hold(statement.get("Condition"), context)


def is_allowed(
    documents: Iterable[Union[str, Mapping[str, Any]]],
    action: str,
    name: str,
    context: PolicyContext,
) -> bool:
    """Whether the policies allow ``action`` on ``name`` (a client id, topic or filter)."""
    resource = resource_arn(context, action, name)
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not _statement_matches(statement, action, resource, context):
                continue
            if statement.get("Effect") == "Deny":
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed
