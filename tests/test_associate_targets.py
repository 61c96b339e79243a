"""AssociateTargetsWithJob follows the rule a thing joining a target group follows
(docs/live-service.md, "CONTINUOUS jobs and group membership"): a thing the job did not reach
before gets a new QUEUED execution unless its newest one is still QUEUED or IN_PROGRESS; a
thing the job reached already (through another target group) gets nothing. Each case is
checked against the same change made by group membership instead."""

from __future__ import annotations

import pytest

from .helpers import group_arn


def executions(iot, thing: str) -> list[tuple[int, str]]:
    listed = iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"]
    return sorted((e["jobExecutionSummary"]["executionNumber"], e["jobExecutionSummary"]["status"])
                  for e in listed)


@pytest.fixture
def job(iot, jobs_data):
    """A CONTINUOUS job on group A. `done` finished and left A, `busy` started and left A,
    `gone` left A while QUEUED, `both` is in A and B and finished; all but `both` are in B
    only now."""
    for group in ("A", "B"):
        iot.create_thing_group(thingGroupName=group)
    for thing in ("done", "busy", "gone", "both"):
        iot.create_thing(thingName=thing)
        iot.add_thing_to_thing_group(thingGroupName="A", thingName=thing)
        iot.add_thing_to_thing_group(thingGroupName="B", thingName=thing)
    iot.create_job(jobId="cj", targets=[group_arn("A")], document="{}", targetSelection="CONTINUOUS")
    for thing in ("done", "both"):
        jobs_data.update_job_execution(jobId="cj", thingName=thing, status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="cj", thingName="busy", status="IN_PROGRESS")
    for thing in ("done", "busy", "gone"):
        iot.remove_thing_from_thing_group(thingGroupName="A", thingName=thing)
    return "cj"


EXPECTED = {
    "done": [(1, "SUCCEEDED"), (2, "QUEUED")],  # finished, not reached any more: queued again
    "busy": [(1, "IN_PROGRESS")],  # still pending: nothing new
    "gone": [(1, "REMOVED"), (2, "QUEUED")],
    "both": [(1, "SUCCEEDED")],  # reached through A already
}


def test_associate_targets_applies_the_join_rule(iot, job):
    iot.associate_targets_with_job(jobId=job, targets=[group_arn("B")])
    assert {thing: executions(iot, thing) for thing in EXPECTED} == EXPECTED


def test_the_same_as_joining_a_target_group(iot, job):
    """The same outcome when B is a target and the things join it afterwards."""
    iot.create_thing_group(thingGroupName="C")
    iot.associate_targets_with_job(jobId=job, targets=[group_arn("C")])
    for thing in EXPECTED:
        iot.add_thing_to_thing_group(thingGroupName="C", thingName=thing)
    assert {thing: executions(iot, thing) for thing in EXPECTED} == EXPECTED
