"""Fault rules and the check every served call passes first (HTTP and MQTT alike).

A rule's operation name is already canonical here (`faults.api` checks it against the served
operations); the rules live in a moto backend, so every moto reset clears them. A rule belongs
to one account and region (a server shared by several tenants must not let one tenant's fault
hit another), unless it was made global on purpose (`account_id` and `region_name` None).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.protocol.errors import CONTROL_PLANE, DEVICE_PLANE, ERRORS_BY_CODE, JobsError

GLOBAL = "aws"  # moto maps a "global" region to "aws"
DEFAULT_ACCOUNT = "123456789012"


@dataclass
class FaultRule:
    operation: str
    error: str = "ThrottlingException"
    count: Optional[int] = 1
    probability: Optional[float] = None
    seed: Optional[int] = None
    plane: Optional[str] = None
    message: Optional[str] = None
    account_id: Optional[str] = DEFAULT_ACCOUNT  # None: every account
    region_name: Optional[str] = "us-east-1"  # None: every region
    failed: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.plane not in (None, CONTROL_PLANE, DEVICE_PLANE):
            raise ValueError("plane must be 'iot' or 'iot-jobs-data'")
        if not isinstance(self.operation, str):
            raise ValueError("operation must be a string")
        if self.error not in ERRORS_BY_CODE:
            raise ValueError(f"unknown error {self.error!r}; one of {', '.join(sorted(ERRORS_BY_CODE))}")
        if self.probability is not None:
            if not 0.0 <= self.probability <= 1.0:
                raise ValueError("probability must be between 0 and 1")
            self.count = None
            self._random = random.Random(self.seed)
        elif self.count is None or self.count < 1:
            raise ValueError("count must be at least 1 (or give a probability)")

    def matches(self, plane: str, operation: str, account_id: str, region_name: str) -> bool:
        return (
            self.operation in ("*", operation)
            and self.plane in (None, plane)
            and self.account_id in (None, account_id)
            and self.region_name in (None, region_name)
        )

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


def add_rule(rule: FaultRule) -> FaultRule:
    backend = _backend()
    with backend.lock:
        backend.rules.append(rule)
    return rule


def clear_rules() -> None:
    backend = _backend()
    with backend.lock:
        backend.rules.clear()


def rules() -> list[FaultRule]:
    backend = _backend()
    with backend.lock:
        return list(backend.rules)


def check_fault(plane: str, operation: str, account_id: str, region_name: str) -> None:
    """Raise the injected error for this call of `account_id` in `region_name`, if a rule fires."""
    backend = faults_backends.get(DEFAULT_ACCOUNT)
    # .keys(): AccountSpecificBackend.__contains__ answers for regions not yet created
    if backend is None or GLOBAL not in backend.keys():  # noqa: SIM118
        return  # no rule was ever set since the last reset: the common, cheap case
    faults = backend[GLOBAL]
    if not faults.rules:
        return
    with faults.lock:
        for rule in faults.rules:
            if rule.matches(plane, operation, account_id, region_name) and rule.fires():
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
