"""Job targets: thing and thing-group ARNs resolved against moto's IoT registry.

Things and static thing groups live in moto's own `iot` backend; a job reaches the things of
a target group and of all its descendant groups. moto keeps things and groups in dicts keyed
by ARN, so a target costs one lookup plus its members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import InvalidRequestException, ResourceNotFoundException

if TYPE_CHECKING:
    from moto_iotjobs.moto_integration.compat_state import IoTBackend

THING = "thing"
THING_GROUP = "thinggroup"

_TARGET_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iot:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<kind>thing|thinggroup)/(?P<name>[a-zA-Z0-9:_-]+)$"
)


@dataclass(frozen=True)
class Target:
    arn: str
    kind: str  # THING or THING_GROUP
    name: str


def iot_registry(account_id: str, region_name: str) -> IoTBackend:
    """moto's own IoT backend (things and thing groups) of the same account and region."""
    return moto_compat.iot_registry(account_id, region_name)


def parse_targets(arns: Iterable[str], account_id: str, region_name: str) -> list[Target]:
    """Check each target is a thing or thing-group ARN of the caller's account and region."""
    targets = []
    for arn in arns:
        match = _TARGET_ARN.match(arn)
        if match is None:
            raise InvalidRequestException(
                f"Invalid target {arn} in targets: a target must be a thing ARN "
                f"(arn:aws:iot:<region>:<account>:thing/<name>) or a thing group ARN "
                f"(arn:aws:iot:<region>:<account>:thinggroup/<name>)"
            )
        if match.group("account") != account_id or match.group("region") != region_name:
            raise InvalidRequestException(
                f"Invalid target {arn} in targets: targets must be in account {account_id} "
                f"and region {region_name}"
            )
        targets.append(Target(arn, match.group("kind"), match.group("name")))
    return targets


def _group(registry: IoTBackend, target: Target) -> Any:
    group = registry.thing_groups.get(target.arn)
    if group is None:
        raise ResourceNotFoundException(f"Thing group {target.name} does not exist")
    return group


def check_targets_exist(registry: IoTBackend, targets: Iterable[Target]) -> None:
    for target in targets:
        if target.kind == THING:
            if target.arn not in registry.things:
                raise ResourceNotFoundException(f"Thing {target.name} does not exist")
        else:
            _group(registry, target)


def descendant_groups(registry: IoTBackend, group_name: str) -> list[Any]:
    """The group and every group below it."""
    children: dict[str, list[Any]] = {}
    for group in registry.thing_groups.values():
        if group.parent_group_name:
            children.setdefault(group.parent_group_name, []).append(group)
    found = [g for g in registry.thing_groups.values() if g.thing_group_name == group_name]
    index = 0
    while index < len(found):
        found.extend(children.get(found[index].thing_group_name, ()))
        index += 1
    return found


def resolve_things(registry: IoTBackend, targets: Iterable[Target]) -> dict[str, None]:
    """Thing names reached by the targets, each once, in target then membership order."""
    names: dict[str, None] = {}
    things = registry.things
    for target in targets:
        if target.kind == THING:
            names[target.name] = None
            continue
        for group in descendant_groups(registry, target.name):
            for arn, thing in group.things.items():
                # moto's DeleteThing leaves the thing in its groups: skip deleted things
                if arn in things:
                    names[thing.thing_name] = None
    return names


def groups_containing(registry: IoTBackend, thing_arn: str) -> set[str]:
    """Names of the groups a thing belongs to, directly or through a child group."""
    by_name = {g.thing_group_name: g for g in registry.thing_groups.values()}
    direct = [g for g in by_name.values() if thing_arn in g.things]
    names: set[str] = set()
    for group in direct:
        current: Any = group
        while current is not None and current.thing_group_name not in names:
            names.add(current.thing_group_name)
            current = by_name.get(current.parent_group_name) if current.parent_group_name else None
    return names

