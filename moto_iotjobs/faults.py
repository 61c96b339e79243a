"""Fault injection: make chosen IoT Jobs calls fail with a modelled error, to test retries.

    from moto_iotjobs import inject_fault

    inject_fault("UpdateJobExecution", "ThrottlingException", count=2)   # the next 2 calls
    inject_fault("*", "ServiceUnavailableException", probability=0.1, seed=7)  # 10 %, repeatable

A rule names an operation as botocore's model spells it ("ListJobs") or as boto3 does
("list_jobs"), or "*"; an operation the plugin does not serve on that plane is a ValueError
(a 400 over HTTP) listing the valid names. It optionally names a plane ("iot" or "iot-jobs-data"; both by
default), the error code (any error the plugin models: ThrottlingException is 400 on `iot`
and 429 on `iot-jobs-data`, ServiceUnavailableException 503, InternalFailureException 500,
...), and either `count` (fail the next N matching calls) or `probability` with an optional
`seed` (fail each matching call with that chance, reproducibly). The injected error is
answered before the request is parsed, so a failed call changes no state.

Rules live in a moto backend, so they are cleared whenever moto resets (every new mock,
`/moto-api/reset`). In server mode the same rules are managed over HTTP:
`POST /moto-api/iotjobs/faults` (JSON body with the arguments of `inject_fault`),
`GET` lists them, `DELETE` clears them.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from botocore import xform_name
from moto.core.base_backend import BackendDict, BaseBackend

from .errors import CONTROL_PLANE, DEVICE_PLANE, ERRORS_BY_CODE, InvalidRequestException, JobsError
from .service_model import CONTROL_PLANE_OPERATIONS, DEVICE_PLANE_OPERATIONS

GLOBAL = "aws"  # moto maps a "global" region to "aws"
DEFAULT_ACCOUNT = "123456789012"


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
        names: tuple[str, ...] = CONTROL_PLANE_OPERATIONS
    elif plane == DEVICE_PLANE:
        names = DEVICE_PLANE_OPERATIONS
    else:
        names = CONTROL_PLANE_OPERATIONS + DEVICE_PLANE_OPERATIONS
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


@dataclass
class FaultRule:
    operation: str
    error: str = "ThrottlingException"
    count: Optional[int] = 1
    probability: Optional[float] = None
    seed: Optional[int] = None
    plane: Optional[str] = None
    message: Optional[str] = None
    failed: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.plane not in (None, CONTROL_PLANE, DEVICE_PLANE):
            raise ValueError("plane must be 'iot' or 'iot-jobs-data'")
        if not isinstance(self.operation, str):
            raise ValueError("operation must be a string")
        self.operation = canonical_operation(self.operation, self.plane)
        if self.error not in ERRORS_BY_CODE:
            raise ValueError(f"unknown error {self.error!r}; one of {', '.join(sorted(ERRORS_BY_CODE))}")
        if self.probability is not None:
            if not 0.0 <= self.probability <= 1.0:
                raise ValueError("probability must be between 0 and 1")
            self.count = None
            self._random = random.Random(self.seed)
        elif self.count is None or self.count < 1:
            raise ValueError("count must be at least 1 (or give a probability)")

    def matches(self, plane: str, operation: str) -> bool:
        return self.operation in ("*", operation) and self.plane in (None, plane)

    def fires(self) -> bool:
        if self.probability is not None:
            return self._random.random() < self.probability
        return self.count is not None and self.failed < self.count

    @property
    def spent(self) -> bool:
        return self.probability is None and self.count is not None and self.failed >= self.count

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


class FaultsBackend(BaseBackend):
    """Process-wide fault rules, kept in a BackendDict only so that moto's resets clear them."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.rules: list[FaultRule] = []
        self.lock = threading.Lock()


faults_backends: BackendDict[FaultsBackend] = BackendDict(
    FaultsBackend, "iot", use_boto3_regions=False, additional_regions=[GLOBAL]
)


def _backend() -> FaultsBackend:
    return faults_backends[DEFAULT_ACCOUNT][GLOBAL]


def inject_fault(
    operation: str,
    error: str = "ThrottlingException",
    count: Optional[int] = 1,
    probability: Optional[float] = None,
    seed: Optional[int] = None,
    plane: Optional[str] = None,
    message: Optional[str] = None,
) -> FaultRule:
    """Fail the next `count` calls of `operation` (or each with `probability`) with `error`."""
    rule = FaultRule(operation, error, count, probability, seed, plane, message)
    backend = _backend()
    with backend.lock:
        backend.rules.append(rule)
    return rule


def clear_faults() -> None:
    backend = _backend()
    with backend.lock:
        backend.rules.clear()


def list_faults() -> list[FaultRule]:
    backend = _backend()
    with backend.lock:
        return list(backend.rules)


def check_fault(plane: str, operation: str) -> None:
    """Raise the injected error for this call, if a rule fires."""
    backend = faults_backends.get(DEFAULT_ACCOUNT)
    # .keys(): AccountSpecificBackend.__contains__ answers for regions not yet created
    if backend is None or GLOBAL not in backend.keys():  # noqa: SIM118
        return  # no rule was ever set since the last reset: the common, cheap case
    faults = backend[GLOBAL]
    if not faults.rules:
        return
    with faults.lock:
        for rule in faults.rules:
            if rule.matches(plane, operation) and rule.fires():
                rule.failed += 1
                if rule.spent:
                    faults.rules.remove(rule)
                error = ERRORS_BY_CODE[rule.error]
                raise _instance(error, rule.message or f"Injected {rule.error} for {operation}")


def _instance(error: type[JobsError], message: str) -> JobsError:
    if error.__init__ is JobsError.__init__:
        return error(message)
    # errors with extra members (resourceId ...) get placeholders
    try:
        return error(message, "injected", "injected")  # type: ignore[call-arg]
    except TypeError:
        return error(message, "injected")  # type: ignore[call-arg]


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
        allowed = {"operation", "error", "count", "probability", "seed", "plane", "message"}
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
