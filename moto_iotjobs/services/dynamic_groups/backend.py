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
#: "You can add a thing to a maximum of 10 groups" (static and dynamic alike:
#: AddThingToThingGroup.overrideDynamicGroups, "when 10-group limit is reached").
MAX_GROUPS_PER_THING = 10


class JobsThenGroupsLock:
    """The jobs backend's lock, then the dynamic groups' own: the one order both are taken
    in. Reentrant, as both locks are."""

    def __init__(self, backend: DynamicGroupsBackend) -> None:
        self._backend = backend
        self._own = threading.RLock()
        self._held: threading.local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        """Persistence pickles backends: the per-thread stack of held locks is not state."""
        return {"_backend": self._backend, "_own": self._own}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._backend = state["_backend"]
        self._own = state["_own"]
        self._held = threading.local()

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
        # A member the 10-group cap kept out of a newer dynamic group may join it now.
        self._tell_jobs({thing: {name} | self._settle(thing) for thing in members}, now)

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

    def _static_count(self, thing_arn: str) -> int:
        """How many static groups the thing is a member of (directly)."""
        registry = moto_compat.iot_registry(self.account_id, self.region_name)
        dynamic = {group.arn for group in self.groups.values()}
        return sum(1 for arn, group in registry.thing_groups.items()
                   if arn not in dynamic and thing_arn in group.things)

    def _settle(self, thing_name: str) -> set[str]:
        """Put the thing in exactly the dynamic groups whose queries match it, within the
        10-group cap: static groups first, then the dynamic ones oldest first (a newer
        dynamic group is the one left out, docs/device-management.md). The names of the
        groups whose membership changed."""
        lookup = thing_lookup(self.account_id, self.region_name, thing_name)
        arn = moto_compat.thing_arn(self.account_id, self.region_name, thing_name)
        set_member = moto_compat.group_member_setter(self.account_id, self.region_name)
        groups = list(self.groups.values())  # creation order: a recreated name goes last
        wanted = [g for g in groups if g.predicate(lookup)] if lookup is not None else []
        if wanted:
            wanted = wanted[: max(0, MAX_GROUPS_PER_THING - self._static_count(arn))]
        allowed = {g.name for g in wanted}
        return {g.name for g in groups if set_member(g.arn, arn, g.name in allowed)}

    def _rebuild(self, group: DynamicGroup, now: float) -> None:
        """A new or changed query: every thing of the registry, once (only a thing whose
        membership of `group` is wrong is settled against every group)."""
        members = set(self._members(group))
        changes: dict[str, set[str]] = {}
        for name in dict.fromkeys(moto_compat.thing_names(self.account_id, self.region_name) + list(members)):
            lookup = thing_lookup(self.account_id, self.region_name, name)
            if (lookup is not None and bool(group.predicate(lookup))) != (name in members):
                changed = self._settle(name)
                if changed:
                    changes[name] = changed
        self._tell_jobs(changes, now)

    def on_thing_changed(self, thing_name: str, now: float) -> bool:
        """A thing was created, updated or changed groups: evaluate it against every dynamic
        group (no registry scan). Whether any membership changed."""
        return bool(self.groups) and bool(self._settle(thing_name))

    def static_add_refusal(self, thing_name: str, adding: list[str], removing: list[str],
                           override: bool) -> Optional[str]:
        """Why adding the thing to the static groups `adding` (and out of `removing`) breaks
        the 10-group cap, or None. With `override`, the newest dynamic groups make room
        (the thing is settled after the change)."""
        registry = moto_compat.iot_registry(self.account_id, self.region_name)
        arn = moto_compat.thing_arn(self.account_id, self.region_name, thing_name)
        dynamic = {group.arn for group in self.groups.values()}
        current = {g.thing_group_name: g.arn in dynamic for g in registry.thing_groups.values()
                   if arn in g.things}
        known = {g.thing_group_name for g in registry.thing_groups.values()}
        static = {n for n, is_dynamic in current.items() if not is_dynamic}
        static = (static - set(removing)) | {n for n in adding if n in known}
        dynamic_count = sum(1 for is_dynamic in current.values() if is_dynamic)
        total = len(static) + dynamic_count
        if total <= MAX_GROUPS_PER_THING or (override and len(static) <= MAX_GROUPS_PER_THING):
            return None
        hint = "" if override or not dynamic_count else (
            "; set overrideDynamicGroups to remove it from its newest dynamic thing group")
        return (f"Thing {thing_name} can belong to at most {MAX_GROUPS_PER_THING} thing groups; "
                f"this request would make it a member of {total}{hint}")

    def _tell_jobs(self, changes: dict[str, set[str]], now: float) -> None:
        """Each thing of `changes` just joined or left the groups named there (and nothing
        else). Runs under `self.lock`, which holds the jobs lock already."""
        if not changes:
            return
        jobs = moto_compat.backend_of(iotjobs_backends, self.account_id, self.region_name)
        with jobs.lock:
            jobs.advance(now)
            with jobs.atomic():
                for thing_name, changed in changes.items():
                    groups_before = control_plane.thing_groups(jobs.store, thing_name) ^ changed
                    control_plane.on_membership_changed(jobs.store, thing_name, groups_before, now)


#: `dynamic_groups_backends[account_id][region_name]`, reset with every other moto backend.
dynamic_groups_backends: BackendDict[DynamicGroupsBackend] = BackendDict(DynamicGroupsBackend, "iot")
