"""The typed operation inputs (`services/jobs/inputs.py`) match botocore's model: every key
is a member of the operation's input shape with the matching type, every member is a key,
and exactly the model's required members are required."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from botocore.model import Shape

from moto_iotjobs.moto_integration.planes import CONTROL_TABLE, DEVICE_TABLE
from moto_iotjobs.protocol.service_model import service_model
from moto_iotjobs.services.jobs import inputs
from moto_iotjobs.services.jobs.handlers import CONTROL_HANDLERS, DEVICE_HANDLERS

_SCALARS: dict[str, Any] = {"string": str, "integer": int, "long": int, "boolean": bool, "double": float, "float": float}


def _expected(shape: Shape) -> Any:
    """The Python type a member of `shape` is typed with in inputs.py."""
    kind = shape.type_name
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "structure":
        return dict[str, Any]
    if kind == "map":
        return dict[str, _expected(shape.value)]  # type: ignore[attr-defined,misc]
    if kind == "list":
        return list[_expected(shape.member)]  # type: ignore[attr-defined,misc]
    raise AssertionError(f"no Python type for {kind} shape {shape.name}")


CASES = [("iot", name, typed) for name, typed in inputs.CONTROL_INPUTS.items()] + [
    ("iot-jobs-data", name, typed) for name, typed in inputs.DEVICE_INPUTS.items()
]


@pytest.mark.parametrize(("plane", "operation", "typed"), CASES, ids=[f"{p}:{o}" for p, o, _ in CASES])
def test_typed_input_matches_the_model(plane: str, operation: str, typed: type) -> None:
    shape = service_model(plane).operation_model(operation).input_shape
    members = dict(shape.members) if shape is not None else {}
    hints = typing.get_type_hints(typed)
    assert set(hints) == set(members)
    for name, member in members.items():
        assert hints[name] == _expected(member), f"{operation}.{name}"
    required = set(shape.required_members) if shape is not None else set()
    assert set(typed.__required_keys__) == required  # type: ignore[attr-defined]


def test_every_jobs_operation_has_a_typed_input() -> None:
    assert set(inputs.CONTROL_INPUTS) == set(CONTROL_HANDLERS)
    assert set(inputs.DEVICE_INPUTS) == set(DEVICE_HANDLERS)
    # the jobs operations are all served (other services add theirs to the same tables)
    assert set(CONTROL_HANDLERS) <= set(CONTROL_TABLE.names())
    assert set(DEVICE_HANDLERS) <= set(DEVICE_TABLE.names())
