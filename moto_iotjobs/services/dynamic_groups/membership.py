"""Evaluating a dynamic group's query against a thing: the fields of one thing, read lazily
(a query on attributes never looks at shadows or group memberships)."""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat


class ThingFields:
    """`lookup(field)` over one thing of moto's registry."""

    __slots__ = ("account_id", "region_name", "fields", "attributes", "_groups")

    def __init__(self, account_id: str, region_name: str, fields: dict[str, Any]) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.fields = fields
        self.attributes: dict[str, Any] = fields["attributes"]
        self._groups: Optional[list[str]] = None

    def __call__(self, field: str) -> Any:
        if field[:11] == "attributes.":
            return self.attributes.get(field[11:])
        fields = self.fields
        if field in ("thingName", "thingId", "thingTypeName"):
            return fields[field]
        if field == "thingGroupNames":
            if self._groups is None:
                from moto_iotjobs.services.jobs.targets import groups_containing, iot_registry

                registry = iot_registry(self.account_id, self.region_name)
                self._groups = sorted(groups_containing(registry, fields["arn"]))
            return self._groups
        if field.startswith("shadow."):
            return _shadow_value(fields["shadows"], field[7:])
        return None  # connectivity: moto keeps no connection state


def _shadow_value(shadows: dict[Optional[str], dict[str, Any]], path: str) -> Any:
    name: Optional[str] = None
    if path.startswith("name."):
        name, _, path = path[5:].partition(".")
    shadow = shadows.get(name)
    if shadow is None:
        return None
    if path == "version":
        return shadow["version"]
    if path == "hasDelta":
        return _has_delta(shadow["desired"], shadow["reported"])
    section, _, rest = path.partition(".")
    value: Any = shadow.get(section)
    for part in rest.split(".") if rest else ():
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _has_delta(desired: Any, reported: Any) -> bool:
    if isinstance(desired, dict):
        if not isinstance(reported, dict):
            return bool(desired)
        return any(_has_delta(v, reported.get(k)) for k, v in desired.items())
    return desired != reported


def thing_lookup(account_id: str, region_name: str, thing_name: str) -> Optional[ThingFields]:
    fields = moto_compat.thing_fields(account_id, region_name, thing_name)
    return None if fields is None else ThingFields(account_id, region_name, fields)
