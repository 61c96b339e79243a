"""The Jobs MQTT notifications, against the sequence in AWS's "Jobs notifications" guide."""

from __future__ import annotations

import json

import pytest
from moto.iotdata.models import iotdata_backends

from moto_iotjobs import published_notifications

DOC = json.dumps({"operation": "test"})


@pytest.fixture
def thing(iot):
    return iot.create_thing(thingName="dev1")["thingArn"]


def _topics(iotjobs, thing_name="dev1"):
    return [topic.rsplit("/", 1)[-1] for topic, _ in iotjobs.notifications(thing_name=thing_name)]


def _jobs_in(payload):
    return {status: [e["jobId"] for e in entries] for status, entries in payload["jobs"].items()}


def test_whole_life_of_three_jobs_on_one_thing(iotjobs, iot, jobs_data, thing):
    """The guide's sequence: job1 queued, job2 queued, job1 started, job3 queued, job1
    succeeds, job3 started out of order, job2 rejected, job3 force-deleted."""
    seen = 0

    def new():
        nonlocal seen
        messages = iotjobs.notifications(thing_name="dev1")
        fresh = messages[seen:]
        seen = len(messages)
        return [(topic.rsplit("/", 1)[-1], payload) for topic, payload in fresh]

    iot.create_job(jobId="job1", targets=[thing], document=DOC)
    (notify, listed), (notify_next, nxt) = new()
    assert (notify, notify_next) == ("notify", "notify-next")
    assert _jobs_in(listed) == {"QUEUED": ["job1"]}
    assert listed["jobs"]["QUEUED"][0]["versionNumber"] == 1
    assert nxt["execution"]["jobId"] == "job1"
    assert nxt["execution"]["status"] == "QUEUED"
    assert nxt["execution"]["jobDocument"] == {"operation": "test"}  # an object over MQTT
    assert isinstance(nxt["timestamp"], int)

    iot.create_job(jobId="job2", targets=[thing], document=DOC)
    messages = new()
    assert [m[0] for m in messages] == ["notify"]  # job1 is still next
    assert _jobs_in(messages[0][1]) == {"QUEUED": ["job1", "job2"]}

    jobs_data.start_next_pending_job_execution(thingName="dev1")
    assert new() == []  # neither the list nor the next job changed

    iot.create_job(jobId="job3", targets=[thing], document=DOC)
    messages = new()
    assert [m[0] for m in messages] == ["notify"]
    listed = messages[0][1]
    assert _jobs_in(listed) == {"IN_PROGRESS": ["job1"], "QUEUED": ["job2", "job3"]}
    assert listed["jobs"]["IN_PROGRESS"][0]["versionNumber"] == 2
    assert "startedAt" in listed["jobs"]["IN_PROGRESS"][0]

    jobs_data.update_job_execution(thingName="dev1", jobId="job1", status="SUCCEEDED")
    (notify, listed), (notify_next, nxt) = new()
    assert _jobs_in(listed) == {"QUEUED": ["job2", "job3"]}
    assert (notify_next, nxt["execution"]["jobId"], nxt["execution"]["status"]) == ("notify-next", "job2", "QUEUED")

    jobs_data.update_job_execution(thingName="dev1", jobId="job3", status="IN_PROGRESS")
    messages = new()
    assert [m[0] for m in messages] == ["notify-next"]
    assert messages[0][1]["execution"]["jobId"] == "job3"
    assert messages[0][1]["execution"]["status"] == "IN_PROGRESS"

    jobs_data.update_job_execution(thingName="dev1", jobId="job2", status="REJECTED")
    messages = new()
    assert [m[0] for m in messages] == ["notify"]
    assert _jobs_in(messages[0][1]) == {"IN_PROGRESS": ["job3"]}

    iot.delete_job_execution(jobId="job3", thingName="dev1", executionNumber=1, force=True)
    (notify, listed), (notify_next, nxt) = new()
    assert listed["jobs"] == {}
    assert set(nxt) == {"timestamp"}


def test_list_notification_holds_at_most_ten(iotjobs, iot, thing):
    for i in range(12):
        iot.create_job(jobId=f"j{i:02d}", targets=[thing], document=DOC)
    last = [p for t, p in iotjobs.notifications(topic="$aws/things/dev1/jobs/notify")][-1]
    assert [e["jobId"] for e in last["jobs"]["QUEUED"]] == [f"j{i:02d}" for i in range(10)]


def test_namespaced_jobs_use_namespaced_topics(iotjobs, iot, thing):
    iot.create_job(jobId="plain", targets=[thing], document=DOC)
    iot.create_job(jobId="gg", targets=[thing], document=DOC, namespaceId="aws-gg-deployment")
    topics = [t for t, _ in iotjobs.notifications(thing_name="dev1")]
    assert topics == [
        "$aws/things/dev1/jobs/notify",
        "$aws/things/dev1/jobs/notify-next",
        "$aws/things/dev1/jobs/notify-namespace-aws-gg-deployment",
        "$aws/things/dev1/jobs/notify-next-namespace-aws-gg-deployment",
    ]
    listed = iotjobs.notifications(topic="$aws/things/dev1/jobs/notify-namespace-aws-gg-deployment")[0][1]
    assert _jobs_in(listed) == {"QUEUED": ["gg"]}


def test_fleet_events_only_when_enabled(iotjobs, iot, jobs_data, thing):
    iot.create_job(jobId="quiet", targets=[thing], document=DOC)
    jobs_data.update_job_execution(thingName="dev1", jobId="quiet", status="SUCCEEDED")
    assert [t for t, _ in iotjobs.notifications() if t.startswith("$aws/events/")] == []

    iot.update_event_configurations(
        eventConfigurations={"JOB": {"Enabled": True}, "JOB_EXECUTION": {"Enabled": True}}
    )
    described = iot.describe_event_configurations()["eventConfigurations"]
    assert described["JOB"] == {"Enabled": True}
    assert described["THING"] == {"Enabled": False}

    iot.create_job(jobId="loud", targets=[thing], document=DOC)
    jobs_data.update_job_execution(
        thingName="dev1", jobId="loud", status="FAILED", statusDetails={"reason": "disk"}
    )
    iot.create_job(jobId="gone", targets=[thing], document=DOC)
    iot.cancel_job(jobId="gone", comment="no longer needed")
    iot.delete_job(jobId="gone")
    events = [(t, p) for t, p in iotjobs.notifications() if t.startswith("$aws/events/")]
    assert [t for t, _ in events] == [
        "$aws/events/jobExecution/loud/failed",
        "$aws/events/job/loud/completed",
        "$aws/events/job/gone/cancellation_in_progress",
        "$aws/events/jobExecution/gone/canceled",
        "$aws/events/job/gone/canceled",
        "$aws/events/job/gone/deletion_in_progress",
        "$aws/events/jobExecution/gone/deleted",
        "$aws/events/job/gone/deleted",
    ]
    failed = dict(events)["$aws/events/jobExecution/loud/failed"]
    assert failed["eventType"] == "JOB_EXECUTION"
    assert failed["status"] == "FAILED"
    assert failed["statusDetails"] == {"reason": "disk"}
    assert failed["thingArn"] == thing
    completed = dict(events)["$aws/events/job/loud/completed"]
    assert completed["jobProcessDetails"]["numberOfFailedThings"] == 1
    assert completed["createdAt"] > 10**12  # milliseconds in event payloads
    canceled = dict(events)["$aws/events/job/gone/canceled"]
    assert canceled["comment"] == "no longer needed"


def test_recorded_as_moto_records_mqtt_publishes(iotjobs, iot, thing):
    iot.create_job(jobId="j", targets=[thing], document=DOC)
    recorded = iotdata_backends["123456789012"]["us-east-1"].published_payloads
    assert recorded[0][0] == "$aws/things/dev1/jobs/notify"
    assert isinstance(recorded[0][1], bytes)
    assert published_notifications(thing_name="dev1") == iotjobs.notifications(thing_name="dev1")


def test_notifications_stay_in_their_account_and_region(iotjobs, iot, thing, monkeypatch):
    iot.create_job(jobId="j", targets=[thing], document=DOC)
    other = iotjobs.client("iot", region_name="eu-west-1")
    other.create_thing(thingName="dev1")
    assert iotjobs.notifications(region_name="eu-west-1") == []
    assert len(iotjobs.notifications()) == 2
