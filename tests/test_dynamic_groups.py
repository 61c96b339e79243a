"""Dynamic thing groups: the three operations, the dynamic fields of DescribeThingGroup,
membership that follows the registry, static-group calls refused, jobs (SNAPSHOT and
CONTINUOUS) targeting a dynamic group, and every modelled error."""

from __future__ import annotations

import pytest

from .helpers import expect_error, group_arn, make_group, status_of, thing_arn


def make_thing(iot, name: str, thing_type: str | None = None, **attributes: str) -> None:
    kwargs: dict = {"thingName": name, "attributePayload": {"attributes": attributes}}
    if thing_type:
        kwargs["thingTypeName"] = thing_type
    iot.create_thing(**kwargs)


def set_attributes(iot, name: str, **attributes: str) -> None:
    iot.update_thing(thingName=name, attributePayload={"attributes": attributes, "merge": True})


def members(iot, group: str) -> list[str]:
    return sorted(iot.list_things_in_thing_group(thingGroupName=group)["things"])


def test_create_describe_and_list(shapes, iot, indexed):
    make_thing(iot, "s1", fw="1.0")
    make_thing(iot, "s2", fw="2.0")
    created = iot.create_dynamic_thing_group(
        thingGroupName="old-fw", queryString="attributes.fw:1.0",
        thingGroupProperties={"thingGroupDescription": "still on 1.0"},
        tags=[{"Key": "team", "Value": "ota"}])
    assert created["thingGroupArn"] == group_arn("old-fw")
    assert (created["indexName"], created["queryVersion"]) == ("AWS_Things", "2017-09-30")
    assert created["queryString"] == "attributes.fw:1.0"
    described = iot.describe_thing_group(thingGroupName="old-fw")
    assert described["status"] == "ACTIVE" and described["queryString"] == "attributes.fw:1.0"
    assert described["thingGroupProperties"]["thingGroupDescription"] == "still on 1.0"
    assert described["version"] == 1
    assert members(iot, "old-fw") == ["s1"]
    assert [g["groupName"] for g in iot.list_thing_groups()["thingGroups"]] == ["old-fw"]
    assert iot.list_tags_for_resource(resourceArn=created["thingGroupArn"])["tags"] == [
        {"Key": "team", "Value": "ota"}]
    make_group(iot, "static")
    assert "queryString" not in iot.describe_thing_group(thingGroupName="static")


def test_membership_follows_attributes_and_type(shapes, iot, indexed):
    iot.create_thing_type(thingTypeName="sensor")
    make_thing(iot, "a", temp="10")
    iot.create_dynamic_thing_group(thingGroupName="hot", queryString="attributes.temp>25")
    iot.create_dynamic_thing_group(thingGroupName="sensors", queryString="thingTypeName:sensor")
    assert members(iot, "hot") == []
    set_attributes(iot, "a", temp="30")
    assert members(iot, "hot") == ["a"]
    make_thing(iot, "b", thing_type="sensor", temp="26")  # a new thing joins at once
    assert members(iot, "hot") == ["a", "b"] and members(iot, "sensors") == ["b"]
    set_attributes(iot, "a", temp="5")
    assert members(iot, "hot") == ["b"]
    iot.update_thing(thingName="b", removeThingType=True)
    assert members(iot, "sensors") == []
    iot.delete_thing(thingName="b")
    assert members(iot, "hot") == []


@pytest.mark.parametrize("query, expected", [
    ("attributes.fw:1.0", ["a"]),
    ("attributes.FW:1.0", []),  # field names are case-sensitive
    ("attributes.model:ABC", ["a", "b"]),  # values are not
    ("attributes.model:ab*", ["a", "b"]),
    ("thingName:c*", ["c"]),
    ("thingName:a OR thingName:c", ["a", "c"]),
    ("attributes.model:abc AND NOT attributes.fw:1.0", ["b"]),
    ("attributes.model:abc -attributes.fw:1.0", ["b"]),
    ("attributes.level:[2 TO 5]", ["a", "b"]),
    ("attributes.level:{2 TO 5]", ["b"]),
    ("attributes.level>=5", ["b"]),
    ("attributes.level<3", ["a"]),
    ("attributes.fw:*", ["a", "b"]),
    ('attributes.site:"paris nord"', ["c"]),
    ("(thingName:a OR thingName:b) attributes.level>2", ["b"]),
    ("thingGroupNames:static", ["c"]),
])
def test_query_forms(shapes, iot, indexed, query, expected):
    make_thing(iot, "a", fw="1.0", model="abc", level="2")
    make_thing(iot, "b", fw="2.0", model="abc", level="5")
    make_thing(iot, "c", site="paris nord")
    make_group(iot, "static", ("c",))
    iot.create_dynamic_thing_group(thingGroupName="g", queryString=query)
    assert members(iot, "g") == expected


@pytest.mark.parametrize("query", [
    "thingGroupName:x",  # singular: not a field
    "colour:red",
    "thingName:*abc",  # leading wildcards
    "thingName:?b",
    "attributes.a:1 AND",
    "(attributes.a:1",
    "justaword",
    "attributes.a:[1 2]",
    " ".join(f"attributes.a{i}:1" for i in range(8)),  # 8 terms
])
def test_bad_queries_are_invalid_query_exception(shapes, iot, indexed, query):
    expect_error("InvalidQueryException", 400, iot.create_dynamic_thing_group,
                 thingGroupName="g", queryString=query)
    assert iot.list_thing_groups()["thingGroups"] == []


def test_create_needs_thing_indexing(shapes, iot):
    expect_error("ResourceNotFoundException", 404, iot.create_dynamic_thing_group,
                 thingGroupName="g", queryString="thingName:a")
    assert iot.list_thing_groups()["thingGroups"] == []


def test_create_errors(shapes, iot, iot_unchecked, indexed):
    make_group(iot, "taken")
    expect_error("ResourceAlreadyExistsException", 409, iot.create_dynamic_thing_group,
                 thingGroupName="taken", queryString="thingName:a")
    expect_error("InvalidRequestException", 400, iot.create_dynamic_thing_group,
                 thingGroupName="g", queryString="thingName:a", indexName="other")
    expect_error("InvalidRequestException", 400, iot.create_dynamic_thing_group,
                 thingGroupName="g", queryString="thingName:a", queryVersion="2020-01-01")
    expect_error("InvalidRequestException", 400, iot_unchecked.create_dynamic_thing_group,
                 thingGroupName="bad name", queryString="thingName:a")
    assert [g["groupName"] for g in iot.list_thing_groups()["thingGroups"]] == ["taken"]


def test_at_most_100_dynamic_groups(shapes, iot, indexed):
    for i in range(100):
        iot.create_dynamic_thing_group(thingGroupName=f"g{i}", queryString=f"attributes.n:{i}")
    expect_error("LimitExceededException", 410, iot.create_dynamic_thing_group,
                 thingGroupName="g100", queryString="thingName:a")


def test_update_query_rebuilds_and_versions(shapes, iot, indexed):
    make_thing(iot, "a", fw="1")
    make_thing(iot, "b", fw="2")
    iot.create_dynamic_thing_group(thingGroupName="g", queryString="attributes.fw:1")
    answer = iot.update_dynamic_thing_group(thingGroupName="g", queryString="attributes.fw:2",
                                            thingGroupProperties={"thingGroupDescription": "two"},
                                            expectedVersion=1)
    assert answer["version"] == 2
    assert members(iot, "g") == ["b"]
    described = iot.describe_thing_group(thingGroupName="g")
    assert described["queryString"] == "attributes.fw:2" and described["version"] == 2
    expect_error("VersionConflictException", 409, iot.update_dynamic_thing_group,
                 thingGroupName="g", thingGroupProperties={}, expectedVersion=1)
    expect_error("InvalidQueryException", 400, iot.update_dynamic_thing_group,
                 thingGroupName="g", thingGroupProperties={"thingGroupDescription": "x"},
                 queryString="nope:1")
    assert iot.describe_thing_group(thingGroupName="g")["version"] == 2  # refused: unchanged
    expect_error("ResourceNotFoundException", 404, iot.update_dynamic_thing_group,
                 thingGroupName="missing", thingGroupProperties={})
    make_group(iot, "static")
    expect_error("InvalidRequestException", 400, iot.update_dynamic_thing_group,
                 thingGroupName="static", thingGroupProperties={})


def test_delete(shapes, iot, indexed):
    make_thing(iot, "a", fw="1")
    iot.create_dynamic_thing_group(thingGroupName="g", queryString="attributes.fw:1")
    expect_error("VersionConflictException", 409, iot.delete_dynamic_thing_group,
                 thingGroupName="g", expectedVersion=7)
    iot.delete_dynamic_thing_group(thingGroupName="g", expectedVersion=1)
    assert iot.list_thing_groups()["thingGroups"] == []
    iot.delete_dynamic_thing_group(thingGroupName="g")  # absent: succeeds
    make_group(iot, "static")
    expect_error("InvalidRequestException", 400, iot.delete_dynamic_thing_group, thingGroupName="static")
    set_attributes(iot, "a", fw="1")  # no group left to evaluate: nothing breaks


def test_static_group_calls_on_a_dynamic_group_are_refused(shapes, iot, indexed):
    make_thing(iot, "a", fw="1")
    make_thing(iot, "b", fw="2")
    iot.create_dynamic_thing_group(thingGroupName="g", queryString="attributes.fw:1")
    for call, kwargs in (
        (iot.add_thing_to_thing_group, {"thingGroupName": "g", "thingName": "b"}),
        (iot.add_thing_to_thing_group, {"thingGroupArn": group_arn("g"), "thingArn": thing_arn("b")}),
        (iot.remove_thing_from_thing_group, {"thingGroupName": "g", "thingName": "a"}),
        (iot.update_thing_groups_for_thing, {"thingName": "b", "thingGroupsToAdd": ["g"]}),
        (iot.delete_thing_group, {"thingGroupName": "g"}),
    ):
        message = expect_error("InvalidRequestException", 400, call, **kwargs)
        assert "dynamic thing groups" in message
    assert members(iot, "g") == ["a"]


def test_snapshot_job_resolves_current_members(shapes, iot, jobs_data, indexed):
    make_thing(iot, "a", fw="1")
    make_thing(iot, "b", fw="2")
    arn = iot.create_dynamic_thing_group(thingGroupName="g", queryString="attributes.fw:1")["thingGroupArn"]
    iot.create_job(jobId="snap", targets=[arn], document="{}")
    set_attributes(iot, "b", fw="1")  # joins after the snapshot: no execution
    things = [e["thingArn"] for e in iot.list_job_executions_for_job(jobId="snap")["executionSummaries"]]
    assert things == [thing_arn("a")]


def test_continuous_job_follows_a_dynamic_group(shapes, iot, jobs_data, indexed):
    for name, fw in (("a", "1.0"), ("b", "2.0"), ("c", "2.0")):
        make_thing(iot, name, fw=fw)
    arn = iot.create_dynamic_thing_group(thingGroupName="needs-update",
                                         queryString="attributes.fw:1.0")["thingGroupArn"]
    iot.create_job(jobId="upd", targets=[arn], document="{}", targetSelection="CONTINUOUS")
    assert status_of(iot, "upd", "a") == "QUEUED"
    set_attributes(iot, "b", fw="1.0")  # b drifts back: joins, gets an execution
    assert status_of(iot, "upd", "b") == "QUEUED"
    jobs_data.start_next_pending_job_execution(thingName="a")
    jobs_data.update_job_execution(jobId="upd", thingName="a", status="SUCCEEDED")
    set_attributes(iot, "a", fw="2.0")  # updated: leaves; its terminal execution stays
    set_attributes(iot, "b", fw="3.0")  # leaves while QUEUED: REMOVED
    assert status_of(iot, "upd", "a") == "SUCCEEDED"
    assert status_of(iot, "upd", "b") == "REMOVED"
    make_thing(iot, "d", fw="1.0")  # a new thing joins at once
    assert status_of(iot, "upd", "d") == "QUEUED"
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution, jobId="upd", thingName="c")
    assert members(iot, "needs-update") == ["d"]


def test_membership_follows_shadows_with_shadow_indexing(shapes, iot, iotjobs):
    iot_data = iotjobs.client("iot-data")
    iot.update_indexing_configuration(thingIndexingConfiguration={
        "thingIndexingMode": "REGISTRY_AND_SHADOW", "namedShadowIndexingMode": "ON",
        "filter": {"namedShadowNames": ["cfg"]}})
    make_thing(iot, "a")
    make_thing(iot, "b")
    iot.create_dynamic_thing_group(thingGroupName="low", queryString="shadow.reported.battery<20")
    iot.create_dynamic_thing_group(thingGroupName="beta", queryString="shadow.name.cfg.reported.channel:beta")
    iot.create_dynamic_thing_group(thingGroupName="other", queryString="shadow.name.other.reported.x:1")
    iot_data.update_thing_shadow(thingName="a", payload=b'{"state": {"reported": {"battery": 12}}}')
    iot_data.update_thing_shadow(thingName="b", shadowName="cfg",
                                 payload=b'{"state": {"reported": {"channel": "BETA"}}}')
    iot_data.update_thing_shadow(thingName="b", shadowName="other", payload=b'{"state": {"reported": {"x": 1}}}')
    assert members(iot, "low") == ["a"] and members(iot, "beta") == ["b"]
    assert members(iot, "other") == []  # a named shadow outside the indexing filter
    iot_data.update_thing_shadow(thingName="a", payload=b'{"state": {"reported": {"battery": 80}}}')
    iot_data.delete_thing_shadow(thingName="b", shadowName="cfg")
    assert members(iot, "low") == [] and members(iot, "beta") == []


def test_shadows_do_not_count_with_registry_indexing_only(shapes, iot, iotjobs, indexed):
    iot_data = iotjobs.client("iot-data")
    make_thing(iot, "a")
    iot.create_dynamic_thing_group(thingGroupName="low", queryString="shadow.reported.battery<20")
    iot_data.update_thing_shadow(thingName="a", payload=b'{"state": {"reported": {"battery": 12}}}')
    assert members(iot, "low") == []


@pytest.mark.server
def test_server_mode_shadow_changes_and_refusals(monkeypatch):
    """Through moto's server too: iot-data shadow updates reach the dynamic groups, and the
    static-group refusal is a 400 InvalidRequestException."""
    import boto3

    from .reliability.helpers import FAKE_ENV, moto_server

    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    with moto_server() as endpoint:
        iot = boto3.client("iot", endpoint_url=endpoint, region_name="us-east-1")
        data = boto3.client("iot-data", endpoint_url=endpoint, region_name="us-east-1")
        iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY_AND_SHADOW"})
        iot.create_thing(thingName="a")
        iot.create_dynamic_thing_group(thingGroupName="low", queryString="shadow.reported.battery<20")
        data.update_thing_shadow(thingName="a", payload=b'{"state": {"reported": {"battery": 12}}}')
        assert members(iot, "low") == ["a"]
        assert iot.describe_thing_group(thingGroupName="low")["status"] == "ACTIVE"
        expect_error("InvalidRequestException", 400, iot.add_thing_to_thing_group,
                     thingGroupName="low", thingName="a")


def test_indexing_cannot_be_turned_off_while_dynamic_groups_exist(shapes, iot, indexed):
    iot.create_dynamic_thing_group(thingGroupName="g", queryString="thingName:a*")
    message = expect_error("InvalidRequestException", 400, iot.update_indexing_configuration,
                           thingIndexingConfiguration={"thingIndexingMode": "OFF"})
    assert "dynamic thing group" in message
    mode = iot.get_indexing_configuration()["thingIndexingConfiguration"]["thingIndexingMode"]
    assert mode == "REGISTRY"
    iot.delete_dynamic_thing_group(thingGroupName="g")
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "OFF"})


def test_dynamic_groups_survive_a_persistence_snapshot(iotjobs, iot, indexed):
    """The server's persistence pickles every backend: a dynamic group's compiled query is
    compiled again on restore (it pickled as a closure and failed the snapshot before), and
    the ordered lock restores fresh."""
    import pickle

    from moto_iotjobs.serving.persistence import snapshot

    make_thing(iot, "a", fw="1")
    iot.create_dynamic_thing_group(thingGroupName="ones", queryString="attributes.fw:1")
    saved = pickle.loads(snapshot.dumps_state(snapshot.capture()))
    iot.delete_dynamic_thing_group(thingGroupName="ones")
    snapshot.restore(saved)
    assert iot.describe_thing_group(thingGroupName="ones")["queryString"] == "attributes.fw:1"
    assert members(iot, "ones") == ["a"]
    set_attributes(iot, "a", fw="2")
    assert members(iot, "ones") == []
    make_thing(iot, "b", fw="1")
    assert members(iot, "ones") == ["b"]
