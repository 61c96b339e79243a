"""Issue #13, point 3: CONTINUOUS jobs and group membership as the live service behaves
(docs/live-service.md, "CONTINUOUS jobs and group membership")."""

from __future__ import annotations

import pytest

from .helpers import execution, make_group, make_things, nonzero


@pytest.fixture
def job(iot):
    make_things(iot, "t0", "t1")
    group = make_group(iot, "fleet", ("t0", "t1"))
    make_group(iot, "other")
    iot.create_job(jobId="cj", targets=[group], document="{}", targetSelection="CONTINUOUS")
    return "cj"


def listed(iot, **kwargs):
    items = iot.list_job_executions_for_job(jobId="cj", **kwargs)["executionSummaries"]
    return [
        (i["thingArn"].rsplit("/", 1)[1], i["jobExecutionSummary"]["executionNumber"],
         i["jobExecutionSummary"]["status"])
        for i in items
    ]


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED"])
def test_rejoin_after_a_finished_execution_queues_a_new_one(iot, jobs_data, job, final):
    jobs_data.update_job_execution(jobId="cj", thingName="t0", status=final)
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    assert execution(iot, "cj", "t0")["status"] == final  # a finished execution stays
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t0")
    ex = execution(iot, "cj", "t0")
    assert (ex["status"], ex["executionNumber"], ex["versionNumber"]) == ("QUEUED", 2, 1)
    assert execution(iot, "cj", "t0", executionNumber=1)["status"] == final
    assert nonzero(iot, "cj") == {"QUEUED": 2}  # counters: the latest execution per thing
    # every execution number is listed, newest first
    assert listed(iot) == [("t0", 2, "QUEUED"), ("t1", 1, "QUEUED"), ("t0", 1, final)]
    assert listed(iot, status=final) == [("t0", 1, final)]
    assert listed(iot, status="QUEUED") == [("t0", 2, "QUEUED"), ("t1", 1, "QUEUED")]
    page = iot.list_job_executions_for_job(jobId="cj", maxResults=2)
    rest = iot.list_job_executions_for_job(jobId="cj", nextToken=page["nextToken"])
    assert [i["jobExecutionSummary"]["executionNumber"] for i in rest["executionSummaries"]] == [1]


def test_rejoin_while_in_progress_queues_nothing(iot, jobs_data, job):
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    ex = execution(iot, "cj", "t0")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 2)
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t0")
    ex = execution(iot, "cj", "t0")
    assert (ex["status"], ex["executionNumber"]) == ("IN_PROGRESS", 1)


def test_leave_removes_queued_without_a_version_bump_and_rejoin_queues(iot, job):
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    ex = execution(iot, "cj", "t0")
    assert (ex["status"], ex["versionNumber"]) == ("REMOVED", 1)
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t0")
    assert (execution(iot, "cj", "t0")["executionNumber"]) == 2
    assert nonzero(iot, "cj") == {"QUEUED": 2}


def test_joining_an_unrelated_group_does_not_requeue(iot, jobs_data, job):
    """Only joining a target group queues: a finished thing that stays a member and joins
    another group gets nothing new."""
    jobs_data.update_job_execution(jobId="cj", thingName="t0", status="SUCCEEDED")
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="t0")
    ex = execution(iot, "cj", "t0")
    assert (ex["status"], ex["executionNumber"]) == ("SUCCEEDED", 1)


def test_deleting_an_earlier_execution_keeps_the_listing_exact(iot, jobs_data, job):
    jobs_data.update_job_execution(jobId="cj", thingName="t0", status="SUCCEEDED")
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t0")
    iot.delete_job_execution(jobId="cj", thingName="t0", executionNumber=1)
    assert listed(iot) == [("t0", 2, "QUEUED"), ("t1", 1, "QUEUED")]
    assert nonzero(iot, "cj") == {"QUEUED": 2}
