"""The fault-injection API: `inject_fault()` and `POST /moto-api/iotjobs/faults`.

Operation names are checked against what the plugin serves (the operation tables of
`moto_integration.planes`), in botocore's spelling or boto3's.
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

from botocore import xform_name

from moto_iotjobs.faults.rules import DEFAULT_ACCOUNT, FaultRule, add_rule, clear_rules, rules
from moto_iotjobs.moto_integration.planes import CONTROL_TABLE, DEVICE_TABLE
from moto_iotjobs.protocol.errors import CONTROL_PLANE, DEVICE_PLANE, InvalidRequestException


class UnknownOperation(ValueError):
    """A fault rule named an operation the plugin does not serve: a typo would otherwise be a
    rule that never fires, and a test of retries that passes without testing anything."""

    def __init__(self, operation: str, plane: Optional[str], valid: tuple[str, ...]) -> None:
        where = f"on plane {plane!r}" if plane else "on either plane"
        super().__init__(
            f"unknown operation {operation!r} {where}; one of '*', {', '.join(valid)} "
            "(or their boto3 names, e.g. 'list_jobs')"
        )
        self.valid = valid


def valid_operations(plane: Optional[str]) -> tuple[str, ...]:
    """The operation names a rule may use on `plane` (None: both planes), sorted."""
    if plane == CONTROL_PLANE:
        names = CONTROL_TABLE.names()
    elif plane == DEVICE_PLANE:
        names = DEVICE_TABLE.names()
    else:
        names = CONTROL_TABLE.names() + DEVICE_TABLE.names()
    return tuple(sorted(set(names)))


def canonical_operation(operation: str, plane: Optional[str]) -> str:
    """`operation` as the model spells it: "ListJobs" and boto3's "list_jobs" both give
    "ListJobs"; "*" stays. Raises UnknownOperation for anything else."""
    valid = valid_operations(plane)
    if operation == "*" or operation in valid:
        return operation
    by_snake_case = {xform_name(name): name for name in valid}
    if operation in by_snake_case:
        return by_snake_case[operation]
    raise UnknownOperation(operation, plane, valid)


def inject_fault(
    operation: str,
    error: str = "ThrottlingException",
    count: Optional[int] = 1,
    probability: Optional[float] = None,
    seed: Optional[int] = None,
    plane: Optional[str] = None,
    message: Optional[str] = None,
    account_id: Optional[str] = None,
    region_name: Optional[str] = None,
    all_accounts_and_regions: bool = False,
) -> FaultRule:
    """Fail the next `count` calls of `operation` (or each with `probability`) with `error`.

    The rule applies to one account and region: `account_id` (default: $MOTO_ACCOUNT_ID or
    123456789012) and `region_name` (default: $AWS_DEFAULT_REGION or us-east-1). With
    `all_accounts_and_regions=True` it applies everywhere (give neither then)."""
    if plane not in (None, CONTROL_PLANE, DEVICE_PLANE):
        raise ValueError("plane must be 'iot' or 'iot-jobs-data'")
    if not isinstance(operation, str):
        raise ValueError("operation must be a string")
    operation = canonical_operation(operation, plane)
    if all_accounts_and_regions:
        if account_id is not None or region_name is not None:
            raise ValueError("a rule for all accounts and regions names no account or region")
        scope: tuple[Optional[str], Optional[str]] = (None, None)
    else:
        scope = (
            account_id or os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT,
            region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        )
    rule = FaultRule(operation, error, count, probability, seed, plane, message, *scope)
    return add_rule(rule)


def clear_faults() -> None:
    clear_rules()


def list_faults() -> list[FaultRule]:
    return rules()


def faults_endpoint(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    """`/moto-api/iotjobs/faults`: POST adds a rule, GET lists, DELETE clears."""
    json_headers = {"Content-Type": "application/json"}
    method = request.method.upper()
    if method == "GET":
        return 200, json_headers, json.dumps({"faults": [r.to_dict() for r in list_faults()]})
    if method == "DELETE":
        clear_faults()
        return 200, json_headers, "{}"
    if method != "POST":
        return 405, json_headers, json.dumps({"message": f"{method} is not supported"})
    body = request.get_data() if hasattr(request, "get_data") else request.body
    try:
        arguments = json.loads(body or b"{}")
        if not isinstance(arguments, dict):
            raise ValueError("the body must be a JSON object")
        allowed = {
            "operation", "error", "count", "probability", "seed", "plane", "message",
            "account_id", "region_name", "all_accounts_and_regions",
        }
        unknown = set(arguments) - allowed
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        rule = inject_fault(**arguments)
    except (ValueError, TypeError) as problem:
        error = InvalidRequestException(f"Invalid fault rule: {problem}")
        if isinstance(problem, UnknownOperation):
            error.extra["validOperations"] = list(problem.valid)
        return error.to_response(CONTROL_PLANE)
    return 200, json_headers, json.dumps(rule.to_dict())
