"""The 10-groups-per-thing cap with dynamic thing groups (docs/device-management.md, "A thing
in at most 10 groups"): static groups come first, older dynamic groups before newer ones;
AddThingToThingGroup and UpdateThingGroupsForThing beyond the cap are refused unless
overrideDynamicGroups lets the newest dynamic groups make room; a CONTINUOUS job on a
dynamic group follows the thing in and out."""

from __future__ import annotations

from .helpers import expect_error


def members(iot, group: str) -> list[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName=group)["things"])


def with_static_groups(iot, count: int, thing: str = "t") -> None:
    for i in range(count):
        iot.create_thing_group(thingGroupName=f"s{i}")
        iot.add_thing_to_thing_group(thingGroupName=f"s{i}", thingName=thing)


def test_older_dynamic_groups_come_first_at_the_cap(shapes, iot, indexed):
    iot.create_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    with_static_groups(iot, 8)
    for name in ("d-old", "d-mid", "d-new"):
        iot.create_dynamic_thing_group(thingGroupName=name, queryString="attributes.fw:1")
    assert [members(iot, n) for n in ("d-old", "d-mid", "d-new")] == [["t"], ["t"], []]
    iot.update_dynamic_thing_group(thingGroupName="d-old", thingGroupProperties={},
                                   queryString="attributes.fw:2")
    assert [members(iot, n) for n in ("d-old", "d-mid", "d-new")] == [[], ["t"], ["t"]]
    iot.update_thing(thingName="t", attributePayload={"attributes": {"fw": "2"}})
    assert [members(iot, n) for n in ("d-old", "d-mid", "d-new")] == [["t"], [], []]
    iot.update_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    iot.delete_dynamic_thing_group(thingGroupName="d-mid")
    assert [members(iot, n) for n in ("d-old", "d-new")] == [[], ["t"]]


def test_a_static_add_beyond_the_cap_needs_override(shapes, iot, indexed):
    iot.create_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    with_static_groups(iot, 8)
    iot.create_dynamic_thing_group(thingGroupName="d-old", queryString="attributes.fw:1")
    iot.create_dynamic_thing_group(thingGroupName="d-new", queryString="attributes.fw:*")
    iot.create_thing_group(thingGroupName="s8")
    message = expect_error("InvalidRequestException", 400, iot.add_thing_to_thing_group,
                           thingGroupName="s8", thingName="t")
    assert "at most 10" in message and "overrideDynamicGroups" in message
    assert members(iot, "s8") == [] and members(iot, "d-new") == ["t"]  # nothing changed
    iot.add_thing_to_thing_group(thingGroupName="s8", thingName="t", overrideDynamicGroups=True)
    assert (members(iot, "s8"), members(iot, "d-old"), members(iot, "d-new")) == (["t"], ["t"], [])
    iot.remove_thing_from_thing_group(thingGroupName="s8", thingName="t")
    assert members(iot, "d-new") == ["t"]  # room again: the dynamic group takes it back


def test_update_thing_groups_for_thing_counts_removals_and_override(shapes, iot, indexed):
    iot.create_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    with_static_groups(iot, 9)
    iot.create_dynamic_thing_group(thingGroupName="d", queryString="attributes.fw:1")
    for name in ("x", "y"):
        iot.create_thing_group(thingGroupName=name)
    expect_error("InvalidRequestException", 400, iot.update_thing_groups_for_thing,
                 thingName="t", thingGroupsToAdd=["x"])
    # One out, one in: still 10.
    iot.update_thing_groups_for_thing(thingName="t", thingGroupsToAdd=["x"], thingGroupsToRemove=["s0"])
    assert members(iot, "x") == ["t"] and members(iot, "d") == ["t"]
    # Eleven static groups cannot fit, override or not.
    expect_error("InvalidRequestException", 400, iot.update_thing_groups_for_thing,
                 thingName="t", thingGroupsToAdd=["y", "s0"], overrideDynamicGroups=True)
    assert members(iot, "y") == [] and members(iot, "d") == ["t"]
    iot.update_thing_groups_for_thing(thingName="t", thingGroupsToAdd=["y"], overrideDynamicGroups=True)
    assert members(iot, "y") == ["t"] and members(iot, "d") == []


def test_all_static_groups_leave_no_room_even_with_override(shapes, iot, indexed):
    iot.create_thing(thingName="t")
    with_static_groups(iot, 10)
    iot.create_thing_group(thingGroupName="s10")
    expect_error("InvalidRequestException", 400, iot.add_thing_to_thing_group,
                 thingGroupName="s10", thingName="t", overrideDynamicGroups=True)
    iot.create_dynamic_thing_group(thingGroupName="d", queryString="thingName:t")
    assert members(iot, "d") == []  # the group is created; the thing is left out


def test_a_continuous_job_follows_the_thing_displaced_by_the_cap(shapes, iot, indexed):
    iot.create_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    with_static_groups(iot, 9)
    arn = iot.create_dynamic_thing_group(thingGroupName="d", queryString="attributes.fw:1")["thingGroupArn"]
    iot.create_job(jobId="ota", targets=[arn], document="{}", targetSelection="CONTINUOUS")
    iot.create_thing_group(thingGroupName="s9")
    iot.add_thing_to_thing_group(thingGroupName="s9", thingName="t", overrideDynamicGroups=True)
    execution = iot.describe_job_execution(jobId="ota", thingName="t")["execution"]
    assert execution["status"] == "REMOVED"
    iot.remove_thing_from_thing_group(thingGroupName="s9", thingName="t")
    execution = iot.describe_job_execution(jobId="ota", thingName="t")["execution"]
    assert (execution["status"], execution["executionNumber"]) == ("QUEUED", 2)
