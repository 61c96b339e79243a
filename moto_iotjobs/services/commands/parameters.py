"""Command parameters: their definitions (CreateCommand) and the values an execution gets.

A parameter value is a union with exactly one member: S, B, I, L, D, BIN or UL. Numeric
types accept all ten comparison operators, STRING only the equality and set ones, BOOLEAN
and BINARY none; ranges include their bounds (AWS IoT developer guide, "Commands concepts").
The value of an execution comes from the request, else the parameter's `value`, else its
`defaultValue`; a value of neither fails the start.
"""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal, InvalidOperation
from typing import Any, Optional

from moto_iotjobs.protocol.errors import ValidationException

#: parameter type -> the union member its values use
MEMBER_OF_TYPE: dict[str, str] = {
    "STRING": "S",
    "INTEGER": "I",
    "DOUBLE": "D",
    "LONG": "L",
    "UNSIGNEDLONG": "UL",
    "BOOLEAN": "B",
    "BINARY": "BIN",
}
_NUMERIC_MEMBERS = frozenset({"I", "D", "L", "UL"})
_COMPARISONS = frozenset(
    {"EQUALS", "NOT_EQUALS", "LESS_THAN", "LESS_THAN_EQUALS", "GREATER_THAN", "GREATER_THAN_EQUALS"}
)
_SETS = frozenset({"IN_SET", "NOT_IN_SET"})
_RANGES = frozenset({"IN_RANGE", "NOT_IN_RANGE"})
_STRING_OPERATORS = frozenset({"EQUALS", "NOT_EQUALS", "IN_SET", "NOT_IN_SET"})


def value_member(value: dict[str, Any], where: str) -> str:
    """The one member a CommandParameterValue sets; VE when it sets none or several."""
    members = [k for k, v in value.items() if v is not None]
    if len(members) != 1:
        raise ValidationException(
            f"{where} must set exactly one of S, B, I, L, D, BIN, UL; it sets {len(members)}"
        )
    return members[0]


def decode_blob(text: Any, where: str) -> bytes:
    """A blob member as sent on the wire (base64 text)."""
    if not isinstance(text, str):
        raise ValidationException(f"{where} must be base64-encoded binary data")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValidationException(f"{where} must be base64-encoded binary data") from None


def _number(text: str, where: str) -> Decimal:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationException(f"{where}: '{text}' is not a number") from None
    if not number.is_finite():
        raise ValidationException(f"{where}: '{text}' is not a finite number")
    return number


def check_definitions(parameters: list[dict[str, Any]]) -> None:
    """The rules of CreateCommand.mandatoryParameters the model cannot state."""
    seen: set[str] = set()
    for parameter in parameters:
        name = parameter["name"]
        where = f"mandatoryParameters '{name}'"
        if name in seen:
            raise ValidationException(f"Duplicate parameter name in mandatoryParameters: {name}")
        seen.add(name)
        kind = parameter.get("type")
        expected = MEMBER_OF_TYPE.get(kind) if kind else None
        for key in ("value", "defaultValue"):
            if parameter.get(key) is not None:
                member = value_member(parameter[key], f"{where} {key}")
                if expected is not None and member != expected:
                    raise ValidationException(
                        f"{where} {key} must use {expected} for type {kind}, not {member}"
                    )
                if member == "BIN":
                    decode_blob(parameter[key][member], f"{where} {key}.BIN")
        conditions = parameter.get("valueConditions")
        if conditions:
            _check_conditions(conditions, expected, kind, where)


def _check_conditions(conditions: list[dict[str, Any]], member: Optional[str], kind: Optional[str], where: str) -> None:
    if member is None:
        raise ValidationException(f"{where}: valueConditions need a parameter type")
    if member in ("B", "BIN"):
        raise ValidationException(f"{where}: a {kind} parameter takes no valueConditions")
    for condition in conditions:
        operator = condition["comparisonOperator"]
        operand = condition["operand"]
        if member == "S" and operator not in _STRING_OPERATORS:
            raise ValidationException(f"{where}: {operator} does not apply to a STRING parameter")
        wanted = _operand_member(operator, member)
        given = [k for k, v in operand.items() if v is not None]
        if given != [wanted]:
            raise ValidationException(f"{where}: {operator} takes the operand '{wanted}' only")
        if member in _NUMERIC_MEMBERS:
            texts = operand[wanted]
            if wanted == "numberRange":
                low, high = _number(texts["min"], where), _number(texts["max"], where)
                if low > high:
                    raise ValidationException(f"{where}: numberRange min is greater than max")
            else:
                for text in texts if isinstance(texts, list) else [texts]:
                    _number(text, where)


def _operand_member(operator: str, member: str) -> str:
    numeric = member in _NUMERIC_MEMBERS
    if operator in _RANGES:
        return "numberRange"
    if operator in _SETS:
        return "numbers" if numeric else "strings"
    return "number" if numeric else "string"


def resolve(definitions: list[dict[str, Any]], given: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """name -> (member, value) of every parameter of an execution, each value checked."""
    known = {p["name"] for p in definitions}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValidationException(f"Unknown command parameters: {', '.join(unknown)}")
    values: dict[str, tuple[str, Any]] = {}
    for parameter in definitions:
        name = parameter["name"]
        source = given.get(name) or parameter.get("value") or parameter.get("defaultValue")
        if source is None:
            raise ValidationException(f"Missing value for the mandatory parameter {name}")
        member = value_member(source, f"parameters '{name}'")
        kind = parameter.get("type")
        if kind and MEMBER_OF_TYPE[kind] != member:
            raise ValidationException(
                f"Parameter {name} is of type {kind}: its value must use {MEMBER_OF_TYPE[kind]}"
            )
        value = source[member]
        if member == "BIN":
            decode_blob(value, f"parameters '{name}'.BIN")
        for condition in parameter.get("valueConditions") or ():
            if not _holds(condition, member, value):
                raise ValidationException(
                    f"Value of parameter {name} does not satisfy the condition "
                    f"{condition['comparisonOperator']}"
                )
        values[name] = (member, value)
    return values


def _holds(condition: dict[str, Any], member: str, value: Any) -> bool:
    operator = condition["comparisonOperator"]
    operand = condition["operand"]
    if member == "S":
        if operator in _SETS:
            return (value in operand["strings"]) == (operator == "IN_SET")
        return (value == operand["string"]) == (operator == "EQUALS")
    number = Decimal(str(value))
    if operator in _RANGES:
        low, high = Decimal(operand["numberRange"]["min"]), Decimal(operand["numberRange"]["max"])
        return (low <= number <= high) == (operator == "IN_RANGE")
    if operator in _SETS:
        return (number in {Decimal(n) for n in operand["numbers"]}) == (operator == "IN_SET")
    other = Decimal(operand["number"])
    return {
        "EQUALS": number == other,
        "NOT_EQUALS": number != other,
        "LESS_THAN": number < other,
        "LESS_THAN_EQUALS": number <= other,
        "GREATER_THAN": number > other,
        "GREATER_THAN_EQUALS": number >= other,
    }[operator]


def typed(member: str, value: Any) -> Any:
    """The value a payload template receives (UL as an integer, BIN as base64 text)."""
    if member == "UL":
        return int(value)
    return value
