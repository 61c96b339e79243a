"""IoT policy evaluation: actions, resources, wildcards, policy variables, Allow/Deny."""

from __future__ import annotations

import json

import pytest

from moto_iotjobs.devices.policy import PolicyContext, is_allowed

PREFIX = "arn:aws:iot:us-east-1:123456789012:"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def stmt(effect: str, action, resource, **extra) -> dict:
    return {"Effect": effect, "Action": action, "Resource": resource, **extra}


def ctx(client_id: str = "dev1", **kwargs) -> PolicyContext:
    return PolicyContext("us-east-1", "123456789012", client_id, **kwargs)


def test_nothing_matching_is_an_implicit_deny():
    assert not is_allowed([], "iot:Connect", "dev1", ctx())
    policy = doc(stmt("Allow", "iot:Publish", PREFIX + "topic/a"))
    assert not is_allowed([policy], "iot:Connect", "dev1", ctx())
    assert is_allowed([policy], "iot:Publish", "a", ctx())


def test_an_explicit_deny_wins_across_policies():
    allow_all = doc(stmt("Allow", "iot:*", "*"))
    deny = doc(stmt("Deny", "iot:Publish", PREFIX + "topic/secret/*"))
    assert is_allowed([allow_all, deny], "iot:Publish", "open/x", ctx())
    assert not is_allowed([allow_all, deny], "iot:Publish", "secret/x", ctx())
    assert not is_allowed([deny, allow_all], "iot:Publish", "secret/x", ctx())


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("topic/a/*", "a/b/c", True),
        ("topic/a/?", "a/b", True),
        ("topic/a/?", "a/bc", False),
        ("topic/a/+", "a/b", False),  # MQTT wildcards are literal characters in resources
        ("topic/a/+", "a/+", True),
        ("topic/A/b", "a/b", False),  # topics are case-sensitive
        ("topic/a.b", "axb", False),  # no regex leaks
    ],
)
def test_resource_wildcards(pattern, topic, expected):
    policy = doc(stmt("Allow", "iot:Publish", PREFIX + pattern))
    assert is_allowed([policy], "iot:Publish", topic, ctx()) is expected


def test_subscribe_is_judged_on_topicfilter_resources_with_literal_mqtt_wildcards():
    policy = doc(stmt("Allow", "iot:Subscribe", PREFIX + "topicfilter/$aws/things/dev1/jobs/#"))
    assert is_allowed([policy], "iot:Subscribe", "$aws/things/dev1/jobs/#", ctx())
    assert not is_allowed([policy], "iot:Subscribe", "$aws/things/+/jobs/#", ctx())
    topic_policy = doc(stmt("Allow", "iot:Subscribe", PREFIX + "topic/$aws/things/dev1/jobs/#"))
    assert not is_allowed([topic_policy], "iot:Subscribe", "$aws/things/dev1/jobs/#", ctx())


def test_action_wildcards_and_lists_are_case_insensitive():
    policy = doc(stmt("Allow", ["IOT:pub*", "iot:Receive"], "*"))
    assert is_allowed([policy], "iot:Publish", "x", ctx())
    assert is_allowed([policy], "iot:Receive", "x", ctx())
    assert not is_allowed([policy], "iot:Subscribe", "x", ctx())


def test_client_id_variable():
    policy = doc(stmt("Allow", "iot:Connect", PREFIX + "client/${iot:ClientId}"))
    assert is_allowed([policy], "iot:Connect", "dev1", ctx("dev1"))
    # the substituted value is literal: a client id with '*' matches only itself
    star = doc(stmt("Allow", "iot:Publish", PREFIX + "topic/${iot:ClientId}"))
    assert not is_allowed([star], "iot:Publish", "anything", ctx("*"))
    assert is_allowed([star], "iot:Publish", "*", ctx("*"))


def test_thing_variables_resolve_only_for_an_attached_thing():
    policy = doc(
        stmt("Allow", "iot:Publish", PREFIX + "topic/$aws/things/${iot:Connection.Thing.ThingName}/jobs/*")
    )
    attached = ctx("dev1", thing_name="dev1", thing_is_attached=True)
    assert is_allowed([policy], "iot:Publish", "$aws/things/dev1/jobs/get", attached)
    assert not is_allowed([policy], "iot:Publish", "$aws/things/dev2/jobs/get", attached)
    detached = ctx("dev1", thing_name="dev1", thing_is_attached=False)
    assert not is_allowed([policy], "iot:Publish", "$aws/things/dev1/jobs/get", detached)


def test_thing_type_attributes_and_is_attached():
    policy = doc(
        stmt("Allow", "iot:Publish", PREFIX + "topic/${iot:Connection.Thing.ThingTypeName}/"
             "${iot:Connection.Thing.Attributes[site]}"),
        stmt("Allow", "iot:Connect", "*",
             Condition={"Bool": {"iot:Connection.Thing.IsAttached": "true"}}),
    )
    context = ctx("dev1", thing_name="dev1", thing_is_attached=True, thing_type_name="sensor",
                  thing_attributes={"site": "berlin"})
    assert is_allowed([policy], "iot:Publish", "sensor/berlin", context)
    assert not is_allowed([policy], "iot:Publish", "sensor/paris", context)
    assert is_allowed([policy], "iot:Connect", "dev1", context)
    assert not is_allowed([policy], "iot:Connect", "dev1", ctx("dev1"))
    no_attribute = ctx("dev1", thing_name="dev1", thing_is_attached=True, thing_type_name="sensor")
    assert not is_allowed([policy], "iot:Publish", "sensor/berlin", no_attribute)


def test_certificate_variables():
    policy = doc(stmt("Allow", "iot:Connect", PREFIX + "client/${iot:Certificate.Subject.CommonName}"))
    context = ctx("device-42", certificate={"Subject.CommonName": "device-42"})
    assert is_allowed([policy], "iot:Connect", "device-42", context)
    assert not is_allowed([policy], "iot:Connect", "device-43", ctx("device-43", certificate={
        "Subject.CommonName": "device-42"}))


def test_string_like_condition_and_unknown_operators_fail_closed():
    like = doc(stmt("Allow", "iot:Connect", "*", Condition={"StringLike": {"iot:ClientId": "sensor-*"}}))
    assert is_allowed([like], "iot:Connect", "sensor-1", ctx("sensor-1"))
    assert not is_allowed([like], "iot:Connect", "pump-1", ctx("pump-1"))
    unknown = doc(stmt("Allow", "iot:Connect", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert not is_allowed([unknown], "iot:Connect", "x", ctx("x"))


def test_not_resource_and_malformed_documents():
    policy = doc({"Effect": "Allow", "Action": "iot:Publish", "NotResource": PREFIX + "topic/private/*"})
    assert is_allowed([policy], "iot:Publish", "public/x", ctx())
    assert not is_allowed([policy], "iot:Publish", "private/x", ctx())
    assert not is_allowed(["not json", "{}", '{"Statement": "x"}'], "iot:Publish", "a", ctx())
