"""Input validation driven by botocore's service model.

botocore checks only `required`, `min` and types on the client; `max`, `pattern` and enums
reach the server (and callers with `parameter_validation=False`, raw HTTP and other SDKs
send anything). The real service answers 400 InvalidRequestException with a message of
the form

    1 validation error detected: Value '300' at 'maxResults' failed to satisfy
    constraint: Member must have value less than or equal to 250

Every check below is compiled once per shape from the model. The few limits AWS documents
but does not model are in `DOCUMENTED_LIMITS`, each with its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from botocore.model import Shape

from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.protocol.patterns import compile_pattern
from moto_iotjobs.protocol.service_model import OperationSpec

Check = Callable[[Any, str, list], None]


@dataclass(frozen=True)
class DocumentedLimit:
    """A limit stated in AWS's documentation but absent from the botocore model."""

    max_length: Optional[int] = None
    max_entries: Optional[int] = None
    min_value: Optional[float] = None
    max_value: Optional[float] = None
    also_allowed: tuple[int, ...] = ()
    source: str = ""


#: Keyed by shape name (the same names in `iot` and `iot-jobs-data`).
DOCUMENTED_LIMITS: dict[str, DocumentedLimit] = {
    "DetailsValue": DocumentedLimit(
        max_length=1024,
        source="iot-jobs-data UpdateJobExecution.statusDetails: 'The maximum length of the "
        "value in the name/value pair is 1,024 characters.'",
    ),
    "DetailsMap": DocumentedLimit(
        max_entries=10,
        source="iot CancelJobExecution.statusDetails: 'You can specify at most 10 "
        "name/value pairs.' (applied to every statusDetails map)",
    ),
    "StepTimeoutInMinutes": DocumentedLimit(
        min_value=1,
        max_value=10080,
        also_allowed=(-1,),
        source="iot-jobs-data stepTimeoutInMinutes: 'Valid values for this parameter range "
        "from 1 to 10080 (1 minute to 7 days). A value of -1 is also valid'",
    ),
    "InProgressTimeoutInMinutes": DocumentedLimit(
        min_value=1,
        max_value=10080,
        source="iot TimeoutConfig.inProgressTimeoutInMinutes: 'anywhere between 1 minute "
        "and 7 days (1 to 10080 minutes)'",
    ),
    "AbortThresholdPercentage": DocumentedLimit(
        min_value=0,
        source="iot AbortCriteria.thresholdPercentage: a percentage (model gives max 100)",
    ),
    "MaxJobExecutionsPerMin": DocumentedLimit(
        max_value=1000,
        source="AWS IoT developer guide, job rollout: 'maximumPerMinute ... 1 to 1000'",
    ),
}


#: Longest value echoed in a message: a 100 MB document must not come back as a 100 MB 400
#: (AWS's messages echo short values and cut long ones).
MAX_ECHO = 256
_MAX_ECHO_DEPTH = 20


def format_value(value: Any) -> str:
    """Render a value as AWS's (Java) validation messages do, cut at MAX_ECHO characters."""
    text = _format(value, 0, MAX_ECHO + 1)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def _format(value: Any, depth: int, budget: int) -> str:
    """`value` rendered, stopping once `budget` characters or a deep nesting is reached (so a
    value nested a thousand levels costs neither the stack nor the time to print it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        if depth >= _MAX_ECHO_DEPTH:
            return "..."
        opening, closing = ("[", "]") if isinstance(value, list) else ("{", "}")
        items = value if isinstance(value, list) else value.items()
        out = opening
        for index, item in enumerate(items):
            if len(out) > budget:
                break
            part = (
                _format(item, depth + 1, budget - len(out))
                if isinstance(value, list)
                else f"{item[0]}={_format(item[1], depth + 1, budget - len(out))}"
            )
            out += (", " if index else "") + part
        return out + closing
    text = str(value)
    return text if len(text) <= budget else text[:budget]


def fail(errors: list, value: Any, path: str, constraint: str) -> None:
    """Add one message in AWS's form: Value '...' at 'path' failed to satisfy constraint: ..."""
    errors.append(
        f"Value '{format_value(value)}' at '{path}' failed to satisfy constraint: {constraint}"
    )


def _fail_null(errors: list, path: str) -> None:
    errors.append(f"Value null at '{path}' failed to satisfy constraint: Member must not be null")


def _check_length(errors: list, value: Any, path: str, low: Optional[int], high: Optional[int]) -> None:
    """Length of a string, list or map against the model's min and max."""
    if high is not None and len(value) > high:
        fail(errors, value, path, f"Member must have length less than or equal to {high}")
    if low is not None and len(value) < low:
        fail(errors, value, path, f"Member must have length greater than or equal to {low}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compile_shape(shape: Shape, cache: dict[str, Check]) -> Check:
    key = shape.name
    if key in cache:
        return cache[key]
    # Recursive shapes resolve through the cache on the second visit.
    cache[key] = lambda value, path, errors: compiled(value, path, errors)
    compiled = _build(shape, cache)
    cache[key] = compiled
    return compiled


def _build(shape: Shape, cache: dict[str, Check]) -> Check:
    kind = shape.type_name
    meta = shape.metadata
    documented = DOCUMENTED_LIMITS.get(shape.name, DocumentedLimit())
    if kind == "string":
        return _string_check(shape, meta, documented)
    if kind in ("integer", "long", "double", "float"):
        return _number_check(kind, meta, documented)
    if kind == "boolean":

        def check_boolean(value: Any, path: str, errors: list) -> None:
            if not isinstance(value, bool):
                fail(errors, value, path, "Member must be a boolean")

        return check_boolean
    if kind == "timestamp":

        def check_timestamp(value: Any, path: str, errors: list) -> None:
            if not (_is_number(value) or isinstance(value, str)):
                fail(errors, value, path, "Member must be a timestamp")

        return check_timestamp
    if kind == "structure":
        return _structure_check(shape, cache)
    if kind == "list":
        return _list_check(shape, meta, cache)
    if kind == "map":
        return _map_check(shape, meta, documented, cache)
    return lambda value, path, errors: None


def _string_check(shape: Shape, meta: dict, documented: DocumentedLimit) -> Check:
    min_len = meta.get("min")
    max_len = meta.get("max", documented.max_length)
    pattern = meta.get("pattern")
    matcher = compile_pattern(pattern) if pattern else None
    enum = getattr(shape, "enum", None) or None
    enum_text = "[" + ", ".join(enum) + "]" if enum else ""
    enum_set = frozenset(enum) if enum else None

    def check_string(value: Any, path: str, errors: list) -> None:
        if not isinstance(value, str):
            fail(errors, value, path, "Member must be a string")
            return
        if enum_set is not None and value not in enum_set:
            fail(errors, value, path, f"Member must satisfy enum value set: {enum_text}")
        length = len(value)  # compared here: the call below only when a bound is broken
        if (max_len is not None and length > max_len) or (min_len is not None and length < min_len):
            _check_length(errors, value, path, min_len, max_len)
        if matcher is not None and not matcher(value):
            fail(errors, value, path, f"Member must satisfy regular expression pattern: {pattern}")

    return check_string


def _number_check(kind: str, meta: dict, documented: DocumentedLimit) -> Check:
    low = meta.get("min", documented.min_value)
    high = meta.get("max", documented.max_value)
    also_allowed = documented.also_allowed
    integral = kind in ("integer", "long")
    # The Java types behind the model: a JSON number outside them is not an integer/long.
    bits = 31 if kind == "integer" else 63

    def check_number(value: Any, path: str, errors: list) -> None:
        if (
            not _is_number(value)
            or (integral and (isinstance(value, float) or not -(2**bits) <= value < 2**bits))
            or (not integral and value != value)  # NaN
        ):
            fail(errors, value, path, f"Member must be of type {'integer' if integral else 'double'}")
            return
        if value in also_allowed:
            return
        if low is not None and value < low:
            fail(errors, value, path, f"Member must have value greater than or equal to {_num(low)}")
        if high is not None and value > high:
            fail(errors, value, path, f"Member must have value less than or equal to {_num(high)}")

    return check_number


def _num(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _structure_check(shape: Shape, cache: dict[str, Check]) -> Check:
    members = [
        (name, _compile_shape(member, cache))
        for name, member in shape.members.items()
    ]
    required = tuple(shape.required_members)

    def check_structure(value: Any, path: str, errors: list) -> None:
        if not isinstance(value, dict):
            fail(errors, value, path, "Member must be a structure")
            return
        prefix = f"{path}." if path else ""
        for name in required:
            if value.get(name) is None:
                _fail_null(errors, prefix + name)
        for name, check in members:
            member_value = value.get(name)
            if member_value is not None:
                check(member_value, prefix + name, errors)

    return check_structure


def _list_check(shape: Shape, meta: dict, cache: dict[str, Check]) -> Check:
    member_check = _compile_shape(shape.member, cache)
    min_len = meta.get("min")
    max_len = meta.get("max")

    def check_list(value: Any, path: str, errors: list) -> None:
        if not isinstance(value, list):
            fail(errors, value, path, "Member must be a list")
            return
        _check_length(errors, value, path, min_len, max_len)
        for index, item in enumerate(value, start=1):
            item_path = f"{path}.{index}.member"
            if item is None:
                _fail_null(errors, item_path)
            else:
                member_check(item, item_path, errors)

    return check_list


def _map_check(shape: Shape, meta: dict, documented: DocumentedLimit, cache: dict[str, Check]) -> Check:
    key_check = _compile_shape(shape.key, cache)
    value_check = _compile_shape(shape.value, cache)
    max_entries = meta.get("max", documented.max_entries)
    min_entries = meta.get("min")

    def check_map(value: Any, path: str, errors: list) -> None:
        if not isinstance(value, dict):
            fail(errors, value, path, "Member must be a map")
            return
        count = len(value)  # compared here: the call below only when a bound is broken
        if (max_entries is not None and count > max_entries) or (min_entries is not None and count < min_entries):
            _check_length(errors, value, path, min_entries, max_entries)
        inner: list = []  # a new list only after a failure
        for key, item in value.items():
            key_check(key, path, inner)
            if inner:
                errors.append(
                    f"Value '{format_value(value)}' at '{path}' failed to satisfy constraint: "
                    f"Map keys must satisfy constraint: [{_constraints(inner)}]"
                )
                inner = []
            if item is None:
                inner.append("Member must not be null")
            else:
                value_check(item, path, inner)
            if inner:
                errors.append(
                    f"Value '{format_value(value)}' at '{path}' failed to satisfy constraint: "
                    f"Map value must satisfy constraint: [{_constraints(inner)}]"
                )
                inner = []

    return check_map


def _constraints(messages: list) -> str:
    return ", ".join(m.split("failed to satisfy constraint: ", 1)[-1] for m in messages)


@dataclass(frozen=True)
class OperationChecks:
    """The compiled checks of one operation's input members."""

    #: (member, required, check) in the model's member order: the order of the messages
    ordered: tuple[tuple[str, bool, Check], ...]
    #: member -> check, and the required members: the quick pass over what a request holds
    by_name: dict[str, Check]
    required: tuple[str, ...]


def compile_operation(spec: OperationSpec) -> OperationChecks:
    """Attach one compiled check per input member to `spec` (once per operation)."""
    cache: dict[str, Check] = {}
    ordered = tuple(
        (member.name, member.name in spec.required, _compile_shape(member.shape, cache))
        for member in spec.members
    )
    checks = OperationChecks(
        ordered=ordered,
        by_name={name: check for name, _, check in ordered},
        required=tuple(name for name, required, _ in ordered if required),
    )
    spec.validators = checks
    return checks


def validate(spec: OperationSpec, params: dict[str, Any]) -> None:
    """Raise InvalidRequestException listing every constraint `params` breaks.

    A quick pass checks only the members the request holds; when anything fails, the
    message is built by a second pass in the model's member order, as AWS lists them
    (the checks only read the value, so running them twice changes nothing)."""
    checks: Optional[OperationChecks] = spec.validators
    if checks is None:
        checks = compile_operation(spec)
    errors: list = []
    for name in checks.required:
        if params.get(name) is None:
            _ordered_errors(checks, params)
    by_name = checks.by_name
    for name, value in params.items():
        if value is not None:
            by_name[name](value, name, errors)
    if errors:
        _ordered_errors(checks, params)


def _ordered_errors(checks: OperationChecks, params: dict[str, Any]) -> None:
    """Raise the validation error for every broken constraint, in the model's order."""
    errors: list = []
    for name, required, check in checks.ordered:
        value = params.get(name)
        if value is None:
            if required:
                _fail_null(errors, name)
            continue
        check(value, name, errors)
    if errors:
        raise validation_error(errors)


def validation_error(errors: list) -> InvalidRequestException:
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    return InvalidRequestException(f"{count} validation {noun} detected: " + "; ".join(errors))
