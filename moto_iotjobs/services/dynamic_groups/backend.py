"""The dynamic groups backend: CreateDynamicThingGroup, UpdateDynamicThingGroup,
DeleteDynamicThingGroup, and membership that follows the registry.

Membership is recomputed without scanning the registry: a changed thing is evaluated
against each dynamic group's compiled query (`on_thing_changed`); only a new or changed
query evaluates every thing. Things that join or leave are passed to the jobs service's
`on_membership_changed` (continuous jobs queue joiners, mark leavers REMOVED).

Lock order (docs/ARCHITECTURE.md, "Lock order"): the jobs backend's lock, then this
backend's. `lock` takes both in that order, so the dispatcher (Create, Update,
DeleteDynamicThingGroup) and the registry watch (which already holds the jobs lock when a
registry change re-evaluates a thing) can never wait on each other.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.protocol.errors import (
    InvalidRequestException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    VersionConflictException,
)
from moto_iotjobs.services.dynamic_groups.membership import thing_lookup
from moto_iotjobs.services.dynamic_groups.query import compile_query
from moto_iotjobs.services.dynamic_groups.records import DynamicGroup
from moto_iotjobs.services.jobs import control_plane
from moto_iotjobs.services.jobs.backend import iotjobs_backends
from moto_iotjobs.services.tagging.backend import store_registry_tags
from moto_iotjobs.services.tagging.operations import tags_at_creation
from moto_iotjobs.services.tagging.owners import tag_map

INDEX_NAME = "AWS_Things"
QUERY_VERSION = "2017-09-30"
#: "Dynamic thing groups per account: 100" (AWS IoT Device Management quotas).
MAX_DYNAMIC_GROUPS = 100


class JobsThenGroupsLock:
    """The jobs backend's lock, then the dynamic groups' own: the one order both are taken
    in. Reentrant, as both locks are."""

    def __init__(self, backend: DynamicGroupsBackend) -> None:
        self._backend = backend
        self._own = threading.RLock()
        self._held: threading.local = threading.local()

    def __enter__(self) -> JobsThenGroupsLock:
        backend = self._backend
        # Looked up on each entry: moto's reset replaces the jobs backend.
        jobs_lock = moto_compat.backend_of(iotjobs_backends, backend.account_id, backend.region_name).lock
        jobs_lock.acquire()
        try:
            self._own.acquire()
        except BaseException:
            jobs_lock.release()
            raise
        stack = getattr(self._held, "stack", None)
        if stack is None:
            stack = self._held.stack = []
        stack.append(jobs_lock)
        return self

    def __exit__(self, *exc: object) -> None:
        jobs_lock = self._held.stack.pop()
        self._own.release()
        jobs_lock.release()


class DynamicGroupsBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        BaseBackend.__init__(self, region_name, account_id)
        self.lock = JobsThenGroupsLock(self)
        self.groups: dict[str, DynamicGroup] = {}  # by name
        self._seq = 0

    def advance(self, now: float) -> None:
        """Membership is kept current on every change; nothing comes due with time."""

    # --- lookups ------------------------------------------------------------------------

    def is_dynamic(self, name: Optional[str]) -> Optional[DynamicGroup]:
        group = self.groups.get(name) if name else None
        if group is not None and moto_compat.group_version(self.account_id, self.region_name, group.arn) is None:
            del self.groups[group.name]  # deleted behind our back (moto's reset of one service)
            return None
        return group

    def _compile(self, params: dict[str, Any], query: str) -> tuple[Any, frozenset[str], str, str]:
        index_name = params.get("indexName") or INDEX_NAME
        if index_name != INDEX_NAME:
            raise InvalidRequestException(f"indexName must be {INDEX_NAME}, not {index_name}")
        query_version = params.get("queryVersion") or QUERY_VERSION
        if query_version != QUERY_VERSION:
            raise InvalidRequestException(f"queryVersion must be {QUERY_VERSION}, not {query_version}")
        predicate, fields = compile_query(query)
        return predicate, fields, index_name, query_version

    def _check_indexing(self) -> None:
        if moto_compat.thing_indexing_mode(self.account_id, self.region_name) == "OFF":
            raise ResourceNotFoundException(
                f"Index {INDEX_NAME} does not exist: enable thing indexing "
                "(UpdateIndexingConfiguration thingIndexingMode REGISTRY or REGISTRY_AND_SHADOW) first"
            )

    # --- operations ---------------------------------------------------------------------

    def create(self, params: dict[str, Any], now: float) -> DynamicGroup:
        name = params["thingGroupName"]
        registry = moto_compat.iot_registry(self.account_id, self.region_name)
        existing = next((g for g in registry.thing_groups.values() if g.thing_group_name == name), None)
        if existing is not None:
            raise ResourceAlreadyExistsException(
                f"Thing group {name} already exists", resource_id=existing.thing_group_id,
                resource_arn=existing.arn,
            )
        predicate, fields, index_name, query_version = self._compile(params, params["queryString"])
        tags_at_creation(tag_map(params.get("tags")))
        self._check_indexing()
        if len(self.groups) >= MAX_DYNAMIC_GROUPS:
            raise LimitExceededException(
                f"An account can have at most {MAX_DYNAMIC_GROUPS} dynamic thing groups"
            )
        arn, group_id = moto_compat.create_thing_group(
            self.account_id, self.region_name, name, params.get("thingGroupProperties")
        )
        self._seq += 1
        group = DynamicGroup(name, arn, group_id, params["queryString"], index_name, query_version,
                             predicate, fields, self._seq)
        self.groups[name] = group
        if params.get("tags"):
            store_registry_tags(self.account_id, self.region_name, "thinggroup", name, params["tags"])
        self._rebuild(group, now)
        return group

    def update(self, params: dict[str, Any], now: float) -> int:
        name = params["thingGroupName"]
        group = self.is_dynamic(name)
        if group is None:
            registry_version = self._static_version(name)
            if registry_version is None:
                raise ResourceNotFoundException(f"Dynamic thing group {name} does not exist")
            raise InvalidRequestException(
                f"This operation does not support static thing groups. Thing group name: {name}"
            )
        self._check_version(group, params.get("expectedVersion"))
        query = params.get("queryString")
        compiled = self._compile(params, query) if query is not None else None
        version = moto_compat.update_thing_group(
            self.account_id, self.region_name, name, params["thingGroupProperties"]
        )
        if compiled is not None:
            group.predicate, group.fields, group.index_name, group.query_version = compiled
            group.query_string = str(query)
            self._rebuild(group, now)
        return version

    def delete(self, params: dict[str, Any], now: float) -> None:
        name = params["thingGroupName"]
        group = self.is_dynamic(name)
        if group is None:
            if self._static_version(name) is not None:
                raise InvalidRequestException(
                    f"This operation does not support static thing groups. Thing group name: {name}"
                )
            return  # deleting an absent group succeeds, as DeleteThingGroup does
        self._check_version(group, params.get("expectedVersion"))
        members = self._members(group)
        moto_compat.delete_thing_group(self.account_id, self.region_name, group.arn)
        del self.groups[name]
        self._tell_jobs(members, now, name)

    def _static_version(self, name: str) -> Optional[int]:
        registry = moto_compat.iot_registry(self.account_id, self.region_name)
        group = next((g for g in registry.thing_groups.values() if g.thing_group_name == name), None)
        return None if group is None else int(group.version)

    def _check_version(self, group: DynamicGroup, expected: Optional[int]) -> None:
        current = moto_compat.group_version(self.account_id, self.region_name, group.arn)
        if expected is not None and expected != current:
            raise VersionConflictException(
                f"The expected version {expected} does not match the version {current} of thing "
                f"group {group.name}"
            )

    def _members(self, group: DynamicGroup) -> list[str]:
        registry = moto_compat.iot_registry(self.account_id, self.region_name)
        fake = registry.thing_groups.get(group.arn)
        return [thing.thing_name for thing in fake.things.values()] if fake is not None else []

    # --- membership ---------------------------------------------------------------------

    def _evaluate(self, group: DynamicGroup, thing_name: str) -> bool:
        """Put the thing in or out of the group as its query says; whether that changed it."""
        lookup = thing_lookup(self.account_id, self.region_name, thing_name)
        arn = moto_compat.thing_arn(self.account_id, self.region_name, thing_name)
        member = lookup is not None and bool(group.predicate(lookup))
        return moto_compat.set_group_member(self.account_id, self.region_name, group.arn, arn, member)

    def _rebuild(self, group: DynamicGroup, now: float) -> None:
        """A new or changed query: every thing of the registry, once."""
        changed = [name for name in moto_compat.thing_names(self.account_id, self.region_name)
                   if self._evaluate(group, name)]
        for name in self._members(group):
            if name not in changed and self._evaluate(group, name):
                changed.append(name)
        self._tell_jobs(changed, now, group.name)

    def on_thing_changed(self, thing_name: str, now: float) -> bool:
        """A thing was created, updated or changed groups: evaluate it against every dynamic
        group (no registry scan). Whether any membership changed."""
        if not self.groups:
            return False
        lookup = thing_lookup(self.account_id, self.region_name, thing_name)
        arn = moto_compat.thing_arn(self.account_id, self.region_name, thing_name)
        set_member = moto_compat.group_member_setter(self.account_id, self.region_name)
        changed = False
        if lookup is None:
            for group in list(self.groups.values()):
                changed = set_member(group.arn, arn, False) or changed
            return changed
        for group in list(self.groups.values()):
            if set_member(group.arn, arn, bool(group.predicate(lookup))):
                changed = True
        return changed

    def _tell_jobs(self, thing_names: list[str], now: float, group_name: str) -> None:
        """Each of `thing_names` just joined or left `group_name` (and nothing else). Runs
        under `self.lock`, which holds the jobs lock already."""
        if not thing_names:
            return
        jobs = moto_compat.backend_of(iotjobs_backends, self.account_id, self.region_name)
        with jobs.lock:
            jobs.advance(now)
            with jobs.atomic():
                for thing_name in thing_names:
                    groups_before = control_plane.thing_groups(jobs.store, thing_name) ^ {group_name}
                    control_plane.on_membership_changed(jobs.store, thing_name, groups_before, now)


#: `dynamic_groups_backends[account_id][region_name]`, reset with every other moto backend.
dynamic_groups_backends: BackendDict[DynamicGroupsBackend] = BackendDict(DynamicGroupsBackend, "iot")
