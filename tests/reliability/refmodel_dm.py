"""An independent reference model of the device-management parts the jobs use: the package
catalog, dynamic thing groups and tags, for the state-machine test.

Written from docs/device-management.md and the AWS pages it cites, not from the plugin:
nothing here imports `moto_iotjobs`. It sits on the jobs model (`refmodel.Model`): a dynamic
group is one more entry of `Model.groups`, and every membership change goes through the jobs
model's CONTINUOUS rules (`Model._reconcile`).

Decisions it encodes:
- packages: a duplicate name is ConflictException; deleting an absent package or version
  succeeds; a package that still has versions, or the default version, cannot be deleted
  (ValidationException); a version of an absent package is ValidationException, an existing
  one ConflictException; versions start DRAFT; PUBLISH and DEPRECATE move as the lifecycle
  table says (DRAFT -> PUBLISHED <-> DEPRECATED; DRAFT cannot be deprecated: ConflictException);
  attributes freeze once published (ConflictException); the default version must be PUBLISHED
  or DEPRECATED (ConflictException), a missing one is ResourceNotFoundException; both
  defaultVersionName and unsetDefaultVersion is ValidationException; enabling
  versionUpdateByJobsConfig needs a roleArn, given now or before (ValidationException);
- dynamic groups: members are exactly the things whose attributes (and static groups, for a
  `thingGroupNames` query) match the query, after every change; a name taken by any group is
  ResourceAlreadyExistsException; a leading wildcard is InvalidQueryException; Update and
  Delete of a static group are InvalidRequestException, static-group calls on a dynamic group
  too; Update of an absent group is ResourceNotFoundException, Delete of one succeeds; a stale
  expectedVersion is VersionConflictException; each Update adds 1 to the group's version;
- tags: TagResource merges, UntagResource removes the keys (absent ones too), an `aws:` key
  is InvalidRequestException, an absent resource ResourceNotFoundException; deleting a
  resource deletes its tags, one created again under the same name starts untagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .refmodel import AE, IR, NF, VC, Err, Model, Ok, Outcome

CONFLICT = "ConflictException"
VALIDATION = "ValidationException"
INVALID_QUERY = "InvalidQueryException"

DRAFT, PUBLISHED, DEPRECATED = "DRAFT", "PUBLISHED", "DEPRECATED"
MOVES = {
    (DRAFT, "PUBLISH"): PUBLISHED,
    (PUBLISHED, "PUBLISH"): PUBLISHED,
    (PUBLISHED, "DEPRECATE"): DEPRECATED,
    (DEPRECATED, "PUBLISH"): PUBLISHED,
    (DEPRECATED, "DEPRECATE"): DEPRECATED,
}
DEPLOYABLE = frozenset({PUBLISHED, DEPRECATED})

Attributes = dict[str, str]
#: A query as the model reads it: (thing attributes, the thing's static groups) -> member?
Matcher = Callable[[Attributes, set[str]], bool]


def _number(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _at_least(value: Optional[str], bound: float) -> bool:
    """value >= bound: as numbers when the value is one, else as text (docs/device-management.md,
    "Comparisons")."""
    if value is None:
        return False
    number = _number(value)
    return number >= bound if number is not None else value.lower() >= str(int(bound))


#: The queries the machine uses, each with its meaning; None: the query is refused.
QUERIES: dict[str, Optional[Matcher]] = {
    "attributes.fw:1": lambda a, g: a.get("fw") == "1",
    "attributes.fw>=2": lambda a, g: _at_least(a.get("fw"), 2),
    "attributes.fw:1 OR attributes.ring:A": lambda a, g: a.get("fw") == "1" or a.get("ring") == "a",
    "attributes.ring:a AND NOT attributes.fw:3": lambda a, g: a.get("ring") == "a" and a.get("fw") != "3",
    "attributes.fw:[2 TO 3}": lambda a, g: _at_least(a.get("fw"), 2) and not _at_least(a.get("fw"), 3),
    "thingGroupNames:g0": lambda a, g: "g0" in g,
    "attributes.ring:*": lambda a, g: "ring" in a,
    "attributes.fw:*1": None,  # a leading wildcard
}


@dataclass
class Version:
    name: str
    status: str = DRAFT
    attributes: Attributes = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Package:
    name: str
    default: Optional[str] = None
    versions: dict[str, Version] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class DynamicGroup:
    name: str
    query: str
    version: int = 1


class DeviceModel:
    def __init__(self, jobs: Model) -> None:
        self.jobs = jobs
        self.attributes: dict[str, Attributes] = {}
        self.dynamic: dict[str, DynamicGroup] = {}
        self.packages: dict[str, Package] = {}
        self.config: dict[str, object] = {"enabled": False}
        #: Tags of jobs and thing groups, by ("job" | "group", name); packages and versions
        #: keep theirs on their records.
        self.tags: dict[tuple[str, str], dict[str, str]] = {}
        #: job id -> (package, version) it deploys, resolved at creation (`$default` too)
        self.destinations: dict[str, tuple[str, str]] = {}
        self._resolved: Optional[tuple[str, str]] = None
        #: thing -> the `$package` shadow's reported state (absent: no shadow)
        self.package_shadows: dict[str, dict[str, object]] = {}

    # --- things and groups --------------------------------------------------------------

    def static_groups_of(self, thing: str) -> set[str]:
        return {g for g in self.jobs.groups_of(thing) if g not in self.dynamic}

    def matches(self, group: DynamicGroup, thing: str) -> bool:
        matcher = QUERIES[group.query]
        assert matcher is not None
        return matcher(self.attributes.get(thing, {}), self.static_groups_of(thing))

    def _evaluate(self, thing: str) -> None:
        """The thing changed: put it in or out of every dynamic group (no reconcile)."""
        for group in self.dynamic.values():
            members = self.jobs.groups[group.name]
            wanted = thing in self.jobs.things and self.matches(group, thing)
            if wanted and thing not in members:
                members.append(thing)
            elif not wanted and thing in members:
                members.remove(thing)

    def thing_changed(self, thing: str, before: set[str]) -> None:
        self._evaluate(thing)
        self.jobs._reconcile(thing, before)

    def create_thing(self, thing: str, attributes: Attributes) -> None:
        before = self.jobs.groups_of(thing)
        self.jobs.create_thing(thing)
        self.attributes[thing] = dict(attributes)
        self.thing_changed(thing, before)

    def delete_thing(self, thing: str) -> None:
        self.jobs.delete_thing(thing)
        self.attributes.pop(thing, None)
        self.package_shadows.pop(thing, None)  # the thing's shadows go with it

    def update_attributes(self, thing: str, attributes: Attributes, merge: bool) -> None:
        before = self.jobs.groups_of(thing)
        current = self.attributes.setdefault(thing, {})
        if not merge:
            current.clear()
        for key, value in attributes.items():
            if value == "" and merge:  # an empty value removes the attribute
                current.pop(key, None)
            else:
                current[key] = value
        self.thing_changed(thing, before)

    def create_static_group(self, group: str) -> None:
        self.jobs.groups[group] = []

    def static_change(self, thing: str, group: str, add: bool) -> Outcome:
        if group in self.dynamic:
            return Err(IR)
        before = self.jobs.groups_of(thing)
        members = self.jobs.groups[group]
        if add and thing not in members:
            members.append(thing)
        elif not add and thing in members:
            members.remove(thing)
        self.thing_changed(thing, before)
        return Ok()

    def update_groups_for_thing(self, thing: str, add: list[str], remove: list[str]) -> Outcome:
        """UpdateThingGroupsForThing: all of it or nothing."""
        if any(g in self.dynamic for g in add + remove):
            return Err(IR)
        if thing not in self.jobs.things or any(g not in self.jobs.groups for g in add + remove):
            return Err(NF)
        before = self.jobs.groups_of(thing)
        for group in add:
            if thing not in self.jobs.groups[group]:
                self.jobs.groups[group].append(thing)
        for group in remove:
            if thing in self.jobs.groups[group]:
                self.jobs.groups[group].remove(thing)
        self.thing_changed(thing, before)
        return Ok()

    def delete_static_group(self, group: str) -> Outcome:
        if group in self.dynamic:
            return Err(IR)
        members = list(self.jobs.groups[group])
        befores = {thing: self.jobs.groups_of(thing) for thing in members}
        del self.jobs.groups[group]
        self.tags.pop(("group", group), None)
        for thing in members:
            self.thing_changed(thing, befores[thing])
        return Ok()

    # --- dynamic groups -----------------------------------------------------------------

    def _rebuild(self, group: DynamicGroup) -> None:
        for thing in sorted(self.jobs.things | set(self.jobs.groups[group.name])):
            before = self.jobs.groups_of(thing)
            members = self.jobs.groups[group.name]
            wanted = thing in self.jobs.things and self.matches(group, thing)
            if wanted != (thing in members):
                if wanted:
                    members.append(thing)
                else:
                    members.remove(thing)
                self.jobs._reconcile(thing, before)

    def create_dynamic(self, name: str, query: str, tags: dict[str, str]) -> Outcome:
        if name in self.jobs.groups:
            return Err(AE)
        if QUERIES[query] is None:
            return Err(INVALID_QUERY)
        if any(k.lower().startswith("aws:") for k in tags):
            return Err(IR)
        group = DynamicGroup(name, query)
        self.dynamic[name] = group
        self.jobs.groups[name] = []
        self.tags[("group", name)] = dict(tags)
        self._rebuild(group)
        return Ok()

    def update_dynamic(self, name: str, query: Optional[str], expected: Optional[int]) -> Outcome:
        group = self.dynamic.get(name)
        if group is None:
            return Err(IR if name in self.jobs.groups else NF)
        if expected is not None and expected != group.version:
            return Err(VC)
        if query is not None and QUERIES[query] is None:
            return Err(INVALID_QUERY)
        group.version += 1
        if query is not None:
            group.query = query
            self._rebuild(group)
        return Ok(group.version)

    def delete_dynamic(self, name: str, expected: Optional[int]) -> Outcome:
        group = self.dynamic.get(name)
        if group is None:
            return Err(IR) if name in self.jobs.groups else Ok()
        if expected is not None and expected != group.version:
            return Err(VC)
        del self.dynamic[name]
        self.tags.pop(("group", name), None)
        self.jobs.delete_group(name)
        return Ok()

    # --- packages -----------------------------------------------------------------------

    def create_package(self, name: str, tags: dict[str, str]) -> Outcome:
        if name in self.packages:
            return Err(CONFLICT)
        if any(k.lower().startswith("aws:") for k in tags):  # CreatePackage models no IR
            return Err(VALIDATION)
        self.packages[name] = Package(name, tags=dict(tags))
        return Ok()

    def delete_package(self, name: str) -> Outcome:
        package = self.packages.get(name)
        if package is None:
            return Ok()
        if package.versions:
            return Err(VALIDATION)
        del self.packages[name]
        return Ok()

    def update_package(self, name: str, default: Optional[str], unset: bool) -> Outcome:
        package = self.packages.get(name)
        if package is None:
            return Err(NF)
        if default is not None and unset:
            return Err(VALIDATION)
        if default is not None:
            version = package.versions.get(default)
            if version is None:
                return Err(NF)
            if version.status not in DEPLOYABLE:
                return Err(CONFLICT)
            package.default = default
        elif unset:
            package.default = None
        return Ok()

    def create_version(self, package_name: str, name: str, attributes: Attributes) -> Outcome:
        package = self.packages.get(package_name)
        if package is None:
            return Err(VALIDATION)
        if name in package.versions:
            return Err(CONFLICT)
        package.versions[name] = Version(name, attributes=dict(attributes))
        return Ok()

    def update_version(self, package_name: str, name: str, action: Optional[str],
                       attributes: Optional[Attributes]) -> Outcome:
        package = self.packages.get(package_name)
        version = package.versions.get(name) if package is not None else None
        if version is None:
            return Err(NF)
        if attributes is not None and version.status != DRAFT:
            return Err(CONFLICT)
        status = version.status
        if action is not None:
            moved = MOVES.get((status, action))
            if moved is None:
                return Err(CONFLICT)
            status = moved
        if attributes is not None:
            version.attributes = dict(attributes)
        version.status = status
        return Ok()

    def delete_version(self, package_name: str, name: str) -> Outcome:
        package = self.packages.get(package_name)
        if package is None or name not in package.versions:
            return Ok()
        if package.default == name:
            return Err(VALIDATION)
        del package.versions[name]
        return Ok()

    def update_configuration(self, enabled: Optional[bool], role: Optional[str]) -> Outcome:
        if enabled and not (role or self.config.get("roleArn")):
            return Err(VALIDATION)
        if enabled is not None:
            self.config["enabled"] = enabled
        if role is not None:
            self.config["roleArn"] = role
        return Ok()

    def deployable(self, package_name: str, name: str) -> bool:
        package = self.packages.get(package_name)
        version = package.versions.get(name) if package is not None else None
        return version is not None and version.status in DEPLOYABLE

    # --- tags ---------------------------------------------------------------------------

    def tags_of(self, kind: str, *names: str) -> Optional[dict[str, str]]:
        """The live tags of a resource; None when it does not exist."""
        if kind == "package":
            package = self.packages.get(names[0])
            return package.tags if package is not None else None
        if kind == "version":
            package = self.packages.get(names[0])
            version = package.versions.get(names[1]) if package is not None else None
            return version.tags if version is not None else None
        exists = names[0] in (self.jobs.jobs if kind == "job" else self.jobs.groups)
        return self.tags.setdefault((kind, names[0]), {}) if exists else None

    def tag(self, kind: str, names: tuple[str, ...], tags: dict[str, str]) -> Outcome:
        current = self.tags_of(kind, *names)
        if current is None:
            return Err(NF)
        if any(k.lower().startswith("aws:") for k in tags):
            return Err(IR)
        current.update(tags)
        return Ok()

    def untag(self, kind: str, names: tuple[str, ...], keys: list[str]) -> Outcome:
        current = self.tags_of(kind, *names)
        if current is None:
            return Err(NF)
        for key in keys:
            current.pop(key, None)
        return Ok()

    def job_refusal(self, job_id: str, things: list[str], groups: list[str],
                    destination: Optional[tuple[str, str]], tags: dict[str, str]) -> Optional[Err]:
        """What CreateJob refuses beyond the jobs model, in the order it checks: the job id,
        the targets, then the destination package version and the tags."""
        if job_id in self.jobs.jobs:
            return Err(AE)
        if any(t not in self.jobs.things for t in things) or any(g not in self.jobs.groups for g in groups):
            return Err(NF)
        if destination is not None:
            package_name, name = destination
            package = self.packages.get(package_name)
            if name == "$default" and package is not None:
                name = package.default or ""
            if not self.deployable(package_name, name):
                return Err(IR)
            destination = (package_name, name)
        if any(k.lower().startswith("aws:") for k in tags):
            return Err(IR)
        self._resolved = destination
        return None

    def job_created(self, job_id: str, tags: dict[str, str]) -> None:
        """After `job_refusal` said nothing and the jobs model accepted the job."""
        self.tags[("job", job_id)] = dict(tags)
        if self._resolved is not None:
            self.destinations[job_id] = self._resolved
        else:
            self.destinations.pop(job_id, None)

    def execution_succeeded(self, thing: str, job_id: str) -> None:
        """With version updates by jobs enabled, a SUCCEEDED execution of a job deploying a
        version reports it in the thing's `$package` shadow, unless the version is gone."""
        destination = self.destinations.get(job_id)
        if destination is None or not self.config.get("enabled"):
            return
        package_name, name = destination
        package = self.packages.get(package_name)
        if package is None or name not in package.versions:
            return
        self.package_shadows.setdefault(thing, {})[package_name] = {"version": name}

    def job_deleted(self, job_id: str) -> None:
        self.tags.pop(("job", job_id), None)
