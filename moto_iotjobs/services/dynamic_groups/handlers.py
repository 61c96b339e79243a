"""The dynamic thing group operations as named handler functions."""

from __future__ import annotations

from typing import Any, Callable

from moto_iotjobs.services.dynamic_groups.backend import DynamicGroupsBackend

Handler = Callable[[DynamicGroupsBackend, dict[str, Any], float], Any]


def create_dynamic_thing_group(b: DynamicGroupsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    group = b.create(p, now)
    return {
        "thingGroupName": group.name,
        "thingGroupArn": group.arn,
        "thingGroupId": group.group_id,
        "indexName": group.index_name,
        "queryString": group.query_string,
        "queryVersion": group.query_version,
    }


def update_dynamic_thing_group(b: DynamicGroupsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"version": b.update(p, now)}


def delete_dynamic_thing_group(b: DynamicGroupsBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    b.delete(p, now)
    return {}


DYNAMIC_GROUP_HANDLERS: dict[str, Handler] = {
    "CreateDynamicThingGroup": create_dynamic_thing_group,
    "UpdateDynamicThingGroup": update_dynamic_thing_group,
    "DeleteDynamicThingGroup": delete_dynamic_thing_group,
}
