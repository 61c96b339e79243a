"""moto's IoT responses for everything that is not a job operation, watched: group
membership changes and deleted things are passed on to the job backend (continuous jobs,
REMOVED executions), under the job backend's lock; created and updated things are evaluated
against the dynamic thing groups; static-group calls on a dynamic group are refused.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import unquote

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import CONTROL_PLANE, InvalidRequestException
from moto_iotjobs.services.dynamic_groups.backend import (
    DynamicGroupsBackend,
    dynamic_groups_backends,
)
from moto_iotjobs.services.jobs.backend import IoTJobsBackend, iotjobs_backends
from moto_iotjobs.services.tagging.backend import store_registry_tags
from moto_iotjobs.timing import clock


def after_thing_change(account_id: str, region_name: str, thing_name: Optional[str]) -> None:
    """A thing was created, updated, regrouped or its shadow changed: re-evaluate it against
    each dynamic group, and tell the jobs service when its membership changed."""
    if not thing_name:
        return
    backend: DynamicGroupsBackend = moto_compat.backend_of(dynamic_groups_backends, account_id, region_name)
    now = clock.now()
    with backend.lock:
        changed = backend.on_thing_changed(thing_name, now)
    if changed:
        jobs: IoTJobsBackend = moto_compat.backend_of(iotjobs_backends, account_id, region_name)
        with jobs.lock:
            jobs.advance(now)
            jobs.on_membership_changed(thing_name, now)


class IoTJobsResponse(moto_compat.iot_response_class()):  # type: ignore[misc]
    """moto's IoT responses for everything but jobs, telling the job backend when a thing's
    group membership changes or a thing is deleted (continuous jobs, REMOVED executions)."""

    def _jobs_backend(self) -> IoTJobsBackend:
        return iotjobs_backends[self.current_account][self.region]

    def _after_registry_change(self, thing_name: Optional[str], deleted: bool = False) -> None:
        if thing_name:
            self._after_membership_change([thing_name], deleted)

    def _after_membership_change(self, thing_names: list[str], deleted: bool = False) -> None:
        backend = self._jobs_backend()
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            for thing_name in thing_names:
                if deleted:
                    backend.on_thing_deleted(thing_name, now)
                else:
                    backend.on_membership_changed(thing_name, now)

    def _dynamic(self) -> DynamicGroupsBackend:
        backend: DynamicGroupsBackend = moto_compat.backend_of(
            dynamic_groups_backends, self.current_account, self.region
        )
        return backend

    def _after_thing_change(self, thing_name: Optional[str]) -> None:
        after_thing_change(self.current_account, self.region, thing_name)

    def _refuse_dynamic(self, names: list[Optional[str]]) -> Optional[tuple[int, dict[str, str], str]]:
        """Static-group operations on a dynamic group: InvalidRequestException, as AWS
        (the answer moto's call_action passes on as it is)."""
        backend = self._dynamic()
        with backend.lock:
            for name in names:
                group = backend.is_dynamic(name.rsplit("/", 1)[-1] if name else None)
                if group is not None:
                    return moto_compat.response_from_method(
                        InvalidRequestException(
                            f"This operation does not support dynamic thing groups. Thing group arn: {group.arn}"
                        ).to_response(CONTROL_PLANE)
                    )
        return None

    def create_thing(self) -> Any:
        result = super().create_thing()
        self._after_thing_change(self._thing_name_param())
        return result

    def update_thing(self) -> Any:
        result = super().update_thing()
        self._after_thing_change(self._thing_name_param())
        return result

    def describe_thing_group(self) -> Any:
        result = super().describe_thing_group()
        backend = self._dynamic()
        with backend.lock:
            group = backend.is_dynamic(unquote(str(self.path).split("/thing-groups/")[-1]))
            fields = group.describe_fields() if group is not None else None
        return moto_compat.add_to_result(result, fields) if fields else result

    def _thing_name_param(self) -> Optional[str]:
        name = self._get_param("thingName")
        if name:
            return str(name)
        arn = self._get_param("thingArn")
        return str(arn).rsplit("/", 1)[-1] if arn else None

    def create_thing_group(self) -> Any:
        """moto keeps no tags: CreateThingGroup's `tags` go to the tagging service."""
        result = super().create_thing_group()
        tags = self._get_param("tags")
        if tags:
            name = unquote(str(self.path).split("/thing-groups/")[-1])
            store_registry_tags(self.current_account, self.region, "thinggroup", name, tags)
        return result

    def create_thing_type(self) -> Any:
        """moto keeps no tags: CreateThingType's `tags` go to the tagging service."""
        result = super().create_thing_type()
        tags = self._get_param("tags")
        if tags:
            name = str(self._get_param("thingTypeName"))
            store_registry_tags(self.current_account, self.region, "thingtype", name, tags)
        return result

    def update_indexing_configuration(self) -> Any:
        """Thing indexing cannot be turned off while dynamic thing groups exist: they are
        defined by fleet-indexing queries."""
        mode = (self._get_param("thingIndexingConfiguration") or {}).get("thingIndexingMode")
        if mode == "OFF":
            backend = self._dynamic()
            with backend.lock:
                count = sum(1 for name in list(backend.groups) if backend.is_dynamic(name))
            if count:
                return moto_compat.response_from_method(
                    InvalidRequestException(
                        f"Thing indexing cannot be turned off while {count} dynamic thing group(s) "
                        "exist; delete them first"
                    ).to_response(CONTROL_PLANE)
                )
        return super().update_indexing_configuration()

    def add_thing_to_thing_group(self) -> Any:
        refusal = self._refuse_dynamic([self._get_param("thingGroupName"), self._get_param("thingGroupArn")])
        if refusal is not None:
            return refusal
        result = super().add_thing_to_thing_group()
        self._after_thing_change(self._thing_name_param())
        self._after_registry_change(self._thing_name_param())
        return result

    def remove_thing_from_thing_group(self) -> Any:
        refusal = self._refuse_dynamic([self._get_param("thingGroupName"), self._get_param("thingGroupArn")])
        if refusal is not None:
            return refusal
        result = super().remove_thing_from_thing_group()
        self._after_thing_change(self._thing_name_param())
        self._after_registry_change(self._thing_name_param())
        return result

    def update_thing_groups_for_thing(self) -> Any:
        refusal = self._refuse_dynamic(
            list(self._get_param("thingGroupsToAdd") or []) + list(self._get_param("thingGroupsToRemove") or [])
        )
        if refusal is not None:
            return refusal
        result = super().update_thing_groups_for_thing()
        self._after_thing_change(self._thing_name_param())
        self._after_registry_change(self._thing_name_param())
        return result

    def delete_thing_group(self) -> Any:
        name = self._get_param("thingGroupName")
        refusal = self._refuse_dynamic([name])
        if refusal is not None:
            return refusal
        members = [
            thing.thing_name
            for group in self.iot_backend.thing_groups.values()
            if group.thing_group_name == name
            for thing in group.things.values()
        ]
        result = super().delete_thing_group()
        self._after_membership_change(members)
        return result

    def delete_thing(self) -> Any:
        thing_name = self._thing_name_param()
        thing = self.iot_backend.describe_thing(thing_name) if thing_name else None
        result = super().delete_thing()
        if thing is not None:
            # moto leaves a deleted thing in its thing groups; AWS does not. Left there, a
            # job targeting the group would queue an execution for a thing that no longer
            # exists, and a thing recreated under that name would be a member at once.
            for group in self.iot_backend.thing_groups.values():
                group.things.pop(thing.arn, None)
        self._after_registry_change(thing_name, deleted=True)
        return result
