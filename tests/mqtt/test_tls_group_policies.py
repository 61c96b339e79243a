"""Policies attached to thing groups apply to the things in the group and in its child groups
(https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html, "Attach policies to
groups"), for a connection attached to the thing (client id = thing name, certificate attached)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from .devices import THING_JOBS_POLICY, Credentials, TlsDevice, provision

pytestmark = pytest.mark.mqtt


@pytest.fixture
def connect(iotjobs_mqtt_tls: Any) -> Iterator[Callable[..., TlsDevice]]:
    devices: list[TlsDevice] = []

    def make(credentials: Credentials, client_id: str) -> TlsDevice:
        device = TlsDevice(
            iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, credentials, client_id, mqtt5=False
        )
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()


def _grouped_device(iot: Any, thing: str) -> tuple[Credentials, str]:
    """A thing in group `child` (parent: `parent`), its certificate with no policy of its own;
    the jobs policy attached to the parent group."""
    parent_arn = iot.create_thing_group(thingGroupName="parent")["thingGroupArn"]
    iot.create_thing_group(thingGroupName="child", parentGroupName="parent")
    credentials = provision(iot, thing=thing, policy=None)
    iot.add_thing_to_thing_group(thingGroupName="child", thingName=thing)
    iot.create_policy(policyName="group-jobs", policyDocument=THING_JOBS_POLICY)
    iot.attach_policy(policyName="group-jobs", target=parent_arn)
    return credentials, parent_arn


def test_a_parent_group_policy_lets_a_device_run_its_job(iotjobs, connect):
    iot = iotjobs.client("iot")
    credentials, _ = _grouped_device(iot, "grouped")
    thing_arn = iot.describe_thing(thingName="grouped")["thingArn"]
    iot.create_job(jobId="group-job", targets=[thing_arn], document=json.dumps({"op": "x"}))
    device = connect(credentials, "grouped")
    assert device.accepted, device.result
    topic = "$aws/things/grouped/jobs/group-job/update"
    device.publish(topic, json.dumps({"status": "SUCCEEDED"}), qos=1)
    got, payload = device.receive()
    assert got == topic + "/accepted", payload
    assert iot.describe_job_execution(jobId="group-job", thingName="grouped")["execution"]["status"] == "SUCCEEDED"


def test_group_policies_need_the_connection_attached_to_the_thing(iotjobs, connect):
    iot = iotjobs.client("iot")
    credentials, _ = _grouped_device(iot, "grouped")
    iot.create_thing(thingName="other")  # not attached to the certificate
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="other")
    assert connect(credentials, "other").refused_not_authorized
    iot.detach_thing_principal(thingName="grouped", principal=credentials.certificate_arn)
    assert connect(credentials, "grouped").refused_not_authorized


def test_leaving_the_group_or_detaching_the_policy_takes_the_rights_away(iotjobs, connect):
    iot = iotjobs.client("iot")
    credentials, parent_arn = _grouped_device(iot, "grouped")
    assert connect(credentials, "grouped").accepted
    iot.detach_policy(policyName="group-jobs", target=parent_arn)
    assert connect(credentials, "grouped").refused_not_authorized
    iot.attach_policy(policyName="group-jobs", target=parent_arn)
    assert connect(credentials, "grouped").accepted
    iot.remove_thing_from_thing_group(thingGroupName="child", thingName="grouped")
    assert connect(credentials, "grouped").refused_not_authorized


def test_a_group_deny_overrides_the_certificate_allow(iotjobs, connect):
    iot = iotjobs.client("iot")
    credentials = provision(iot, thing="denied", policy=THING_JOBS_POLICY)
    group_arn = iot.create_thing_group(thingGroupName="quarantine")["thingGroupArn"]
    iot.add_thing_to_thing_group(thingGroupName="quarantine", thingName="denied")
    assert connect(credentials, "denied").accepted
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iot:Connect", "Resource": "*"}]})
    iot.create_policy(policyName="quarantine-deny", policyDocument=deny)
    iot.attach_policy(policyName="quarantine-deny", target=group_arn)
    assert connect(credentials, "denied").refused_not_authorized
