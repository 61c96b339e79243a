"""The state machine's device-management rules: thing attributes, dynamic thing groups, the
package catalog and tags, each answer compared with `refmodel_dm.DeviceModel`, and the
invariant that reads all of it back after every step:

- every thing group lists exactly the model's members; a dynamic group's members are exactly
  the things its query matches now, and DescribeThingGroup shows its query and version;
- ListPackages and ListPackageVersions (paged at random sizes) equal the model: names,
  default versions, statuses, attributes; GetPackageConfiguration too;
- ListTagsForResource of every job, thing group, package and package version equals the
  model's tags.

A CONTINUOUS job targeting a dynamic group is checked by the jobs invariant: its executions
are exactly those the model's membership rules queued.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from . import refmodel_dm as dm
from .helpers import ACCOUNT, REGION, group_arn, outcome, page_all, random_sizes

THINGS = ("t0", "t1", "t2", "t3")
DYNAMIC_NAMES = ("d0", "d1", "g1")  # g1 is also a static group's name
PACKAGES = ("p0", "p1")
VERSIONS = ("1", "2")
TAG_KEYS = ("k0", "k1", "aws:k")
ATTRIBUTES = st.dictionaries(
    st.sampled_from(["fw", "ring"]), st.sampled_from(["1", "2", "3", "a", "b", ""]), max_size=2
)
QUERY = st.sampled_from(sorted(dm.QUERIES) + ["thingGroupNames:g0"])  # twice: static changes move it
VERSION_MODE = st.sampled_from(["none", "right", "stale"])
TAGS = st.dictionaries(st.sampled_from(TAG_KEYS), st.sampled_from(["x", "y", ""]), max_size=2)
SOME_TAGS = st.dictionaries(st.sampled_from(TAG_KEYS), st.sampled_from(["x", "y", ""]), min_size=1, max_size=2)


def _arn(resource: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:{resource}"


def resource_arn(kind: str, names: tuple[str, ...]) -> str:
    if kind == "job":
        return _arn(f"job/{names[0]}")
    if kind == "group":
        return group_arn(names[0])
    if kind == "package":
        return _arn(f"package/{names[0]}")
    return _arn(f"package/{names[0]}/version/{names[1]}")


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


class DeviceManagementRules:
    """Mixed into the jobs machine, which sets `iot`, `model`, `dm`, `rng`, `expect` and
    `sizes`."""

    iot: Any
    iot_data: Any = None
    dm: dm.DeviceModel
    model: Any
    rng: Any

    def expect(self, expected: Any, response: Optional[dict], code: Optional[str], what: str) -> None:
        raise NotImplementedError

    def sizes(self) -> Any:
        raise NotImplementedError

    def _sizes(self) -> Any:
        """Page sizes for the package catalog (its maxResults is at most 100)."""
        return random_sizes(self.rng, (1, 2, 3, 100, None))

    def _version(self, mode: str, name: str) -> Optional[int]:
        group = self.dm.dynamic.get(name)
        current = group.version if group is not None else 1
        return None if mode == "none" else current if mode == "right" else current + 1

    # --- things -------------------------------------------------------------------------

    @rule(thing=st.sampled_from(THINGS), attributes=ATTRIBUTES, merge=st.booleans())
    def set_attributes(self, thing: str, attributes: dict[str, str], merge: bool) -> None:
        if not merge:
            attributes = {k: v for k, v in attributes.items() if v}
        payload = {"attributes": attributes, "merge": merge}
        response, code = outcome(self.iot.update_thing, thingName=thing, attributePayload=payload)
        if thing in self.model.things:
            self.dm.update_attributes(thing, attributes, merge)
            expected: Any = dm.Ok()
        else:
            expected = dm.Err(dm.NF)
        self.expect(expected, response, code, f"UpdateThing {thing} {payload}")

    @rule(thing=st.sampled_from(THINGS),
          add=st.lists(st.sampled_from(("g0", "g1", "d0", "gone")), unique=True, max_size=2),
          remove=st.lists(st.sampled_from(("g0", "g1")), unique=True, max_size=1))
    def update_groups_for_thing(self, thing: str, add: list[str], remove: list[str]) -> None:
        kwargs = {"thingName": thing, "thingGroupsToAdd": add, "thingGroupsToRemove": remove}
        response, code = outcome(self.iot.update_thing_groups_for_thing, **kwargs)
        self.expect(self.dm.update_groups_for_thing(thing, add, remove), response, code,
                    f"UpdateThingGroupsForThing {kwargs}")

    # --- dynamic groups -----------------------------------------------------------------

    @rule(name=st.sampled_from(DYNAMIC_NAMES), query=QUERY, tags=TAGS)
    def create_dynamic_group(self, name: str, query: str, tags: dict[str, str]) -> None:
        kwargs: dict[str, Any] = {"thingGroupName": name, "queryString": query}
        if tags:
            kwargs["tags"] = tag_list(tags)
        response, code = outcome(self.iot.create_dynamic_thing_group, **kwargs)
        self.expect(self.dm.create_dynamic(name, query, tags), response, code,
                    f"CreateDynamicThingGroup {kwargs}")

    @rule(name=st.sampled_from(DYNAMIC_NAMES), query=st.none() | QUERY, mode=VERSION_MODE)
    def update_dynamic_group(self, name: str, query: Optional[str], mode: str) -> None:
        kwargs: dict[str, Any] = {"thingGroupName": name, "thingGroupProperties": {}}
        if query is not None:
            kwargs["queryString"] = query
        expected_version = self._version(mode, name)
        if expected_version is not None:
            kwargs["expectedVersion"] = expected_version
        response, code = outcome(self.iot.update_dynamic_thing_group, **kwargs)
        expected = self.dm.update_dynamic(name, query, expected_version)
        self.expect(expected, response, code, f"UpdateDynamicThingGroup {kwargs}")
        if isinstance(expected, dm.Ok):
            assert response is not None and response["version"] == expected.value, (response, expected)

    @rule(name=st.sampled_from(DYNAMIC_NAMES), mode=VERSION_MODE)
    def delete_dynamic_group(self, name: str, mode: str) -> None:
        kwargs: dict[str, Any] = {"thingGroupName": name}
        expected_version = self._version(mode, name)
        if expected_version is not None:
            kwargs["expectedVersion"] = expected_version
        response, code = outcome(self.iot.delete_dynamic_thing_group, **kwargs)
        self.expect(self.dm.delete_dynamic(name, expected_version), response, code,
                    f"DeleteDynamicThingGroup {kwargs}")

    # --- packages -----------------------------------------------------------------------

    @rule(name=st.sampled_from(PACKAGES), tags=TAGS)
    def create_package(self, name: str, tags: dict[str, str]) -> None:
        kwargs: dict[str, Any] = {"packageName": name}
        if tags:
            kwargs["tags"] = tags
        response, code = outcome(self.iot.create_package, **kwargs)
        self.expect(self.dm.create_package(name, tags), response, code, f"CreatePackage {kwargs}")

    @rule(name=st.sampled_from(PACKAGES))
    def delete_package(self, name: str) -> None:
        response, code = outcome(self.iot.delete_package, packageName=name)
        self.expect(self.dm.delete_package(name), response, code, f"DeletePackage {name}")

    @rule(name=st.sampled_from(PACKAGES), default=st.none() | st.sampled_from(VERSIONS),
          unset=st.booleans())
    def update_package(self, name: str, default: Optional[str], unset: bool) -> None:
        kwargs: dict[str, Any] = {"packageName": name}
        if default is not None:
            kwargs["defaultVersionName"] = default
        if unset:
            kwargs["unsetDefaultVersion"] = True
        response, code = outcome(self.iot.update_package, **kwargs)
        self.expect(self.dm.update_package(name, default, unset), response, code, f"UpdatePackage {kwargs}")

    @rule(package=st.sampled_from(PACKAGES), version=st.sampled_from(VERSIONS), attributes=ATTRIBUTES)
    def create_package_version(self, package: str, version: str, attributes: dict[str, str]) -> None:
        attributes = {k: v for k, v in attributes.items() if v}
        kwargs: dict[str, Any] = {"packageName": package, "versionName": version}
        if attributes:
            kwargs["attributes"] = attributes
        response, code = outcome(self.iot.create_package_version, **kwargs)
        self.expect(self.dm.create_version(package, version, attributes), response, code,
                    f"CreatePackageVersion {kwargs}")

    @rule(package=st.sampled_from(PACKAGES), version=st.sampled_from(VERSIONS),
          action=st.sampled_from([None, "PUBLISH", "PUBLISH", "DEPRECATE"]),
          attributes=st.none() | ATTRIBUTES)
    def update_package_version(self, package: str, version: str, action: Optional[str],
                               attributes: Optional[dict[str, str]]) -> None:
        if attributes is not None:
            attributes = {k: v for k, v in attributes.items() if v}
        kwargs: dict[str, Any] = {"packageName": package, "versionName": version}
        if action is not None:
            kwargs["action"] = action
        if attributes is not None:
            kwargs["attributes"] = attributes
        response, code = outcome(self.iot.update_package_version, **kwargs)
        self.expect(self.dm.update_version(package, version, action, attributes), response, code,
                    f"UpdatePackageVersion {kwargs}")

    @rule(package=st.sampled_from(PACKAGES), version=st.sampled_from(VERSIONS))
    def delete_package_version(self, package: str, version: str) -> None:
        response, code = outcome(self.iot.delete_package_version, packageName=package, versionName=version)
        self.expect(self.dm.delete_version(package, version), response, code,
                    f"DeletePackageVersion {package} {version}")

    @rule(enabled=st.none() | st.booleans(), role=st.sampled_from([None, None, "role/a", "role/b"]))
    def update_package_configuration(self, enabled: Optional[bool], role: Optional[str]) -> None:
        config: dict[str, Any] = {}
        if enabled is not None:
            config["enabled"] = enabled
        if role is not None:
            config["roleArn"] = _arn(role)
        response, code = outcome(self.iot.update_package_configuration, versionUpdateByJobsConfig=config)
        expected = self.dm.update_configuration(enabled, config.get("roleArn"))
        self.expect(expected, response, code, f"UpdatePackageConfiguration {config}")

    # --- tags ---------------------------------------------------------------------------

    def _draw_resource(self, data: st.DataObject) -> tuple[str, tuple[str, ...]]:
        kind = data.draw(st.sampled_from(["job", "group", "package", "version"]), label="kind")
        if kind == "job":
            return kind, (data.draw(st.sampled_from(("j0", "j1", "j2")), label="job"),)
        if kind == "group":
            return kind, (data.draw(st.sampled_from(("g0", "g1", "d0", "d1")), label="group"),)
        package = data.draw(st.sampled_from(PACKAGES), label="package")
        if kind == "package":
            return kind, (package,)
        return kind, (package, data.draw(st.sampled_from(VERSIONS), label="version"))

    @rule(data=st.data(), tags=SOME_TAGS)
    def tag_resource(self, data: st.DataObject, tags: dict[str, str]) -> None:
        kind, names = self._draw_resource(data)
        arn = resource_arn(kind, names)
        response, code = outcome(self.iot.tag_resource, resourceArn=arn, tags=tag_list(tags))
        self.expect(self.dm.tag(kind, names, tags), response, code, f"TagResource {arn} {tags}")

    @rule(data=st.data(), keys=st.lists(st.sampled_from(TAG_KEYS[:2]), min_size=1, max_size=2))
    def untag_resource(self, data: st.DataObject, keys: list[str]) -> None:
        kind, names = self._draw_resource(data)
        arn = resource_arn(kind, names)
        response, code = outcome(self.iot.untag_resource, resourceArn=arn, tagKeys=keys)
        self.expect(self.dm.untag(kind, names, keys), response, code, f"UntagResource {arn} {keys}")

    # --- the checks after every step ----------------------------------------------------

    def _tags(self, kind: str, names: tuple[str, ...]) -> None:
        expected = self.dm.tags_of(kind, *names)
        assert expected is not None
        got = self.iot.list_tags_for_resource(resourceArn=resource_arn(kind, names))["tags"]
        assert {t["Key"]: t["Value"] for t in got} == expected, (kind, names, got, expected)

    @invariant()
    def device_management_matches(self) -> None:
        iot, model = self.iot, self.model
        # One page: moto's ListThingGroups ignores maxResults (not the plugin's operation).
        listed = iot.list_thing_groups()["thingGroups"]
        assert sorted(g["groupName"] for g in listed) == sorted(model.groups), (listed, model.groups)
        for group, members in model.groups.items():
            things = sorted(iot.list_things_in_thing_group(thingGroupName=group)["things"])
            assert things == sorted(members), (group, things, members)
            dynamic = self.dm.dynamic.get(group)
            if dynamic is not None:
                matching = sorted(t for t in model.things if self.dm.matches(dynamic, t))
                assert things == matching, ("dynamic membership", group, dynamic.query, things, matching)
                described = iot.describe_thing_group(thingGroupName=group)
                assert (described["queryString"], described["version"]) == (dynamic.query, dynamic.version), (
                    group, described)
            self._tags("group", (group,))
        for job_id in model.jobs:
            self._tags("job", (job_id,))

        packages = page_all(iot.list_packages, "packageSummaries", self._sizes())
        assert [(p["packageName"], p.get("defaultVersionName")) for p in packages] == [
            (p.name, p.default) for p in self.dm.packages.values()
        ], (packages, self.dm.packages)
        for package in self.dm.packages.values():
            self._tags("package", (package.name,))
            versions = page_all(iot.list_package_versions, "packageVersionSummaries", self._sizes(),
                                packageName=package.name)
            assert [(v["versionName"], v["status"]) for v in versions] == [
                (v.name, v.status) for v in package.versions.values()
            ], (package.name, versions, package.versions)
            for version in package.versions.values():
                got = iot.get_package_version(packageName=package.name, versionName=version.name)
                assert got.get("attributes", {}) == version.attributes, (got, version)
                self._tags("version", (package.name, version.name))
        config = iot.get_package_configuration()["versionUpdateByJobsConfig"]
        assert config == self.dm.config, (config, self.dm.config)
        for thing in sorted(model.things):
            expected = self.dm.package_shadows.get(thing)
            response, code = outcome(self.iot_data.get_thing_shadow, thingName=thing, shadowName="$package")
            reported = json.loads(response["payload"].read())["state"].get("reported") if response else None
            assert reported == expected, ("$package shadow", thing, reported, code, expected)
