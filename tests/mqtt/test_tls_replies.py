"""Jobs MQTT replies reach only the requester, as AWS IoT delivers them: "AWS IoT publishes
directly to the client that requested it, whether the client has subscribed to the topic or
not ... they can't be subscribed to by other clients"
(https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html#reserved-topics-job).
The gateway sees which connection published a request and answers that connection alone."""

from __future__ import annotations

import json
import queue
import time
import uuid
from typing import Any, Callable

import pytest
from paho.mqtt.client import CallbackAPIVersion, Client

from .devices import TlsDevice, allow, policy_document, provision

pytestmark = pytest.mark.mqtt

PERMISSIVE = policy_document(allow("iot:*", "*"))
QUIET = 1.0  # seconds a device that must receive nothing is watched


def _create_job(iot: Any, thing: str, job_id: str) -> None:
    thing_arn = iot.describe_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId=job_id, targets=[thing_arn], document=json.dumps({"op": job_id}))


def _next(device: TlsDevice, wanted: Callable[[str], bool], timeout: float = 5.0) -> tuple[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        topic, payload = device.receive(max(0.01, deadline - time.monotonic()))
        if wanted(topic):
            return topic, json.loads(payload)


def _topics_within(device: TlsDevice, seconds: float) -> list[str]:
    seen, deadline = [], time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            seen.append(device.receive(remaining)[0])
        except queue.Empty:
            break
    return seen


@pytest.mark.parametrize(
    "iotjobs_mqtt_tls, mqtt5",
    # amqtt 0.12.1 speaks MQTT 3.1.1 only; MQTT 5 runs through mosquitto
    [("amqtt", False), ("mosquitto", False), ("mosquitto", True)],
    indirect=["iotjobs_mqtt_tls"],
)
def test_the_requester_alone_gets_the_reply_without_subscribing(
    iotjobs, iotjobs_mqtt_tls, make_tls_device, mqtt5
):
    iot = iotjobs.client("iot")
    device_a = make_tls_device(provision(iot, thing="devA"), "devA", mqtt5=mqtt5)
    device_b = make_tls_device(provision(iot, thing="devB", policy=PERMISSIVE), "devB", mqtt5=mqtt5)
    for topic_filter in ("$aws/things/devA/jobs/get/accepted", "$aws/things/devA/jobs/#",
                         "$aws/things/+/jobs/+/update/accepted"):
        assert device_b.subscribe(topic_filter) is not None
    _create_job(iot, "devA", "job-1")
    assert _next(device_b, lambda t: t == "$aws/things/devA/jobs/notify")  # B does hear notify
    _topics_within(device_b, 0.3)

    # A never subscribes: its reply comes anyway, and to A only.
    device_a.publish("$aws/things/devA/jobs/get", json.dumps({"clientToken": "a-1"}), qos=1)
    topic, body = _next(device_a, lambda t: t.startswith("$aws/things/devA/jobs/get/"))
    assert topic == "$aws/things/devA/jobs/get/accepted"
    assert body["clientToken"] == "a-1"
    assert [job["jobId"] for job in body["queuedJobs"]] == ["job-1"]
    device_a.publish("$aws/things/devA/jobs/job-1/update", json.dumps({"status": "SUCCEEDED"}), qos=1)
    topic, body = _next(device_a, lambda t: t.startswith("$aws/things/devA/jobs/job-1/update/"))
    assert topic == "$aws/things/devA/jobs/job-1/update/accepted", body
    device_a.publish("$aws/things/devA/jobs/nope/get", "{}", qos=0)
    topic, body = _next(device_a, lambda t: t.startswith("$aws/things/devA/jobs/nope/get/"))
    assert topic == "$aws/things/devA/jobs/nope/get/rejected" and body["code"] == "ResourceNotFound"

    heard = _topics_within(device_b, QUIET)
    assert not [t for t in heard if t.endswith(("/accepted", "/rejected"))], heard
    assert "$aws/things/devA/jobs/notify" in heard  # the update's notification: for subscribers
    assert iot.describe_job_execution(jobId="job-1", thingName="devA")["execution"]["status"] == "SUCCEEDED"


def test_a_reply_needs_receive_permission(iotjobs, make_tls_device):
    """Delivered without a subscription, but still a message the device receives
    (iot:Receive on the reply topic, as the SDK samples' policies grant)."""
    iot = iotjobs.client("iot")
    no_receive = policy_document(
        allow("iot:Connect", "*"), allow("iot:Publish", "*"), allow("iot:Subscribe", "*"),
        allow("iot:Receive", "arn:aws:iot:us-east-1:123456789012:topic/$aws/things/devC/jobs/notify"),
    )
    device = make_tls_device(provision(iot, thing="devC", policy=no_receive), "devC")
    device.publish("$aws/things/devC/jobs/get", "{}", qos=1)
    assert _topics_within(device, QUIET) == []


@pytest.mark.parametrize("qos", [1, 2])
def test_requests_at_qos_1_and_2_are_acknowledged_and_answered(iotjobs, make_tls_device, qos):
    iot = iotjobs.client("iot")
    device = make_tls_device(provision(iot, thing="devQ"), "devQ")
    acknowledged: list[int] = []
    device.client.on_publish = lambda c, u, mid, rc, p: acknowledged.append(mid)
    mid = device.publish("$aws/things/devQ/jobs/get", json.dumps({"clientToken": "q"}), qos=qos)
    topic, body = _next(device, lambda t: t.startswith("$aws/things/devQ/jobs/get/"))
    assert topic.endswith("/accepted") and body["clientToken"] == "q"
    deadline = time.monotonic() + 5
    while mid not in acknowledged and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mid in acknowledged  # PUBACK (QoS 1) or PUBREC/PUBREL/PUBCOMP (QoS 2) completed


def test_plain_tcp_requests_are_answered_through_the_broker(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    """The unauthenticated plain-TCP listener knows no identities: its clients' replies go
    through the broker to its subscribers there (docs/devices-tls.md). Gateway connections
    never receive Jobs replies from the broker, so a TLS device still hears none."""
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="plain-thing")
    device_b = make_tls_device(provision(iot, thing="devB", policy=PERMISSIVE), "devB")
    assert device_b.subscribe("$aws/things/plain-thing/jobs/#") is not None
    replies: queue.Queue[tuple[str, bytes]] = queue.Queue()
    plain = Client(CallbackAPIVersion.VERSION2, client_id=f"plain-{uuid.uuid4().hex[:6]}")
    plain.on_message = lambda c, u, m: replies.put((m.topic, bytes(m.payload)))
    plain.connect(iotjobs_mqtt_tls.host, iotjobs_mqtt_tls.port)
    plain.loop_start()
    try:
        plain.subscribe("$aws/things/plain-thing/jobs/get/+", qos=1)
        time.sleep(0.3)
        plain.publish("$aws/things/plain-thing/jobs/get", json.dumps({"clientToken": "p"}), qos=1)
        topic, payload = replies.get(timeout=5)
        assert topic == "$aws/things/plain-thing/jobs/get/accepted"
        assert json.loads(payload)["clientToken"] == "p"
    finally:
        plain.disconnect()
        plain.loop_stop()
    heard = _topics_within(device_b, QUIET)
    assert not [t for t in heard if t.endswith(("/accepted", "/rejected"))], heard
