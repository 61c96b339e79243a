"""IoT policies on the mutual-TLS listener: a device reaches its own jobs and no one else's."""

from __future__ import annotations

import json
import queue
import time
from typing import Any

import pytest

from moto_iotjobs.mqtt.broker import find_mosquitto

from .devices import (
    TlsDevice,
    allow,
    arn,
    policy_document,
    provision,
)

pytestmark = pytest.mark.mqtt

BROKERS = ["amqtt", pytest.param("mosquitto", marks=pytest.mark.skipif(
    find_mosquitto() is None, reason="mosquitto is not installed"))]


def _job_for(iot: Any, thing: str, job_id: str) -> None:
    thing_arn = iot.describe_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[thing_arn], document=json.dumps({"op": job_id}))


def _codes(reason_codes: Any) -> Any:
    return None if reason_codes is None else [code.value for code in reason_codes]


def _reply(device: TlsDevice, topic: str, timeout: float = 5.0) -> tuple[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got_topic, payload = device.receive(max(0.01, deadline - time.monotonic()))
        if got_topic in (topic + "/accepted", topic + "/rejected"):
            return got_topic.rsplit("/", 1)[1], json.loads(payload)


@pytest.mark.parametrize("iotjobs_mqtt_tls", BROKERS, indirect=True)
def test_a_device_runs_its_own_job_to_succeeded(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    iot = iotjobs.client("iot")
    credentials = provision(iot, thing="devA")
    _job_for(iot, "devA", "job-a")
    device = make_tls_device(credentials, "devA")
    assert _codes(device.subscribe("$aws/things/devA/jobs/#")) == [1]
    topic = "$aws/things/devA/jobs/job-a/update"
    device.publish(topic, json.dumps({"status": "SUCCEEDED", "clientToken": "t1"}), qos=1)
    outcome, body = _reply(device, topic)
    assert outcome == "accepted", body
    execution = iot.describe_job_execution(jobId="job-a", thingName="devA")["execution"]
    assert execution["status"] == "SUCCEEDED"


@pytest.mark.parametrize("iotjobs_mqtt_tls", BROKERS, indirect=True)
def test_device_b_cannot_subscribe_to_device_a_jobs_mqtt311(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    """MQTT 3.1.1: an unauthorised SUBSCRIBE closes the connection (no SUBACK)."""
    iot = iotjobs.client("iot")
    provision(iot, thing="devA")
    device_b = make_tls_device(provision(iot, thing="devB"), "devB")
    assert device_b.subscribe("$aws/things/devA/jobs/#", timeout=2) is None
    assert device_b.disconnected.wait(5)


@pytest.mark.parametrize("iotjobs_mqtt_tls", BROKERS, indirect=True)
def test_device_b_cannot_change_device_a_execution_mqtt311(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    iot = iotjobs.client("iot")
    credentials_a = provision(iot, thing="devA")
    _job_for(iot, "devA", "job-a")
    device_b = make_tls_device(provision(iot, thing="devB"), "devB")
    device_b.publish("$aws/things/devA/jobs/job-a/update", json.dumps({"status": "FAILED"}), qos=1)
    assert device_b.disconnected.wait(5)
    time.sleep(0.2)  # had it gone through, the bridge would have answered by now
    execution = iot.describe_job_execution(jobId="job-a", thingName="devA")["execution"]
    assert execution["status"] == "QUEUED"
    device_a = make_tls_device(credentials_a, "devA")  # A itself still may
    assert _codes(device_a.subscribe("$aws/things/devA/jobs/job-a/update/+")) == [1]
    device_a.publish("$aws/things/devA/jobs/job-a/update", json.dumps({"status": "IN_PROGRESS"}), qos=1)
    assert _reply(device_a, "$aws/things/devA/jobs/job-a/update")[0] == "accepted"


@pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto is not installed")
@pytest.mark.parametrize("iotjobs_mqtt_tls", ["mosquitto"], indirect=True)
def test_mqtt5_denials_answer_with_reason_codes_and_keep_the_connection(
    iotjobs, iotjobs_mqtt_tls, make_tls_device
):
    """amqtt speaks MQTT 3.1.1 only: MQTT 5 devices need mosquitto behind the gateway."""
    iot = iotjobs.client("iot")
    provision(iot, thing="devA")
    device_b = make_tls_device(provision(iot, thing="devB"), "devB", mqtt5=True)
    assert _codes(device_b.subscribe("$aws/things/devA/jobs/#")) == [0x87]
    assert not device_b.disconnected.is_set()


@pytest.mark.skipif(find_mosquitto() is None, reason="mosquitto is not installed")
@pytest.mark.parametrize("iotjobs_mqtt_tls", ["mosquitto"], indirect=True)
def test_mqtt5_partial_subscribe_and_denied_publish(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    iot = iotjobs.client("iot")
    provision(iot, thing="devA")
    _job_for(iot, "devA", "job-a")
    device_b = make_tls_device(provision(iot, thing="devB"), "devB", mqtt5=True)
    _, mid = device_b.client.subscribe(
        [("$aws/things/devB/jobs/#", 1), ("$aws/things/devA/jobs/#", 1)]
    )
    codes = device_b._queue(device_b.subacks, mid).get(timeout=5)
    assert _codes(codes) == [1, 0x87]
    mid = device_b.publish("$aws/things/devA/jobs/job-a/update", '{"status": "FAILED"}', qos=1)
    assert device_b._queue(device_b.pubacks, mid).get(timeout=5).value == 0x87
    assert not device_b.disconnected.is_set()
    time.sleep(0.2)
    assert iot.describe_job_execution(jobId="job-a", thingName="devA")["execution"]["status"] == "QUEUED"


def test_receive_is_enforced_on_delivered_messages(iotjobs, make_tls_device):
    """A device allowed to subscribe to every thing's notify topic still receives only its own:
    iot:Receive is checked on each delivered message."""
    iot = iotjobs.client("iot")
    nosy_policy = policy_document(
        allow("iot:Connect", "*"),
        allow("iot:Subscribe", "*"),
        allow("iot:Receive", arn("topic", "$aws/things/${iot:ClientId}/jobs/*")),
    )
    device_a = make_tls_device(provision(iot, thing="devA"), "devA")
    nosy = make_tls_device(provision(iot, thing="devB", policy=nosy_policy), "devB")
    assert _codes(device_a.subscribe("$aws/things/devA/jobs/notify-next")) == [1]
    assert _codes(nosy.subscribe("$aws/things/+/jobs/notify-next")) == [1]
    _job_for(iot, "devA", "job-a")
    topic, payload = device_a.receive()
    assert topic == "$aws/things/devA/jobs/notify-next"
    assert json.loads(payload)["execution"]["jobId"] == "job-a"
    _job_for(iot, "devB", "job-b")
    topic, _ = nosy.receive()
    assert topic == "$aws/things/devB/jobs/notify-next"  # its own, and nothing of devA's
    with pytest.raises(queue.Empty):
        nosy.receive(0.3)


def test_a_retained_publish_needs_retain_publish(iotjobs, make_tls_device):
    """Planting a retained fake notify-next needs iot:RetainPublish, not only iot:Publish."""
    iot = iotjobs.client("iot")
    publisher_policy = policy_document(allow(["iot:Connect", "iot:Publish"], "*"))
    device = make_tls_device(provision(iot, policy=publisher_policy), "publisher")
    device.publish("$aws/things/devA/jobs/notify-next", "{}", qos=1, retain=True)
    assert device.disconnected.wait(5)
    retainer_policy = policy_document(allow(["iot:Connect", "iot:Publish", "iot:RetainPublish"], "*"))
    retainer = make_tls_device(provision(iot, policy=retainer_policy), "retainer")
    mid = retainer.publish("devices/retained", "{}", qos=1, retain=True)
    assert retainer._queue(retainer.pubacks, mid).get(timeout=5).value == 0
    assert not retainer.disconnected.is_set()
