"""The shortest sequences the state machine found for defects since fixed, kept as plain tests
(the bad-input defects are re-checked by every run of test_bad_input.py)."""

from __future__ import annotations

from typing import Any

from .helpers import group_arn, thing_arn


def test_deleted_thing_leaves_its_groups(iotjobs: Any) -> None:
    """moto kept a deleted thing in its groups: a job on the group queued an execution for
    it and never completed; a thing recreated under that name was a member again."""
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t0")
    iot.create_thing_group(thingGroupName="g0")
    iot.add_thing_to_thing_group(thingGroupName="g0", thingName="t0")
    iot.delete_thing(thingName="t0")
    iot.create_job(jobId="j0", targets=[group_arn("g0")], document="{}")
    job = iot.describe_job(jobId="j0")["job"]
    assert job["status"] == "COMPLETED"
    assert sum(job["jobProcessDetails"].values()) == 0
    iot.create_thing(thingName="t0")
    assert iot.list_things_in_thing_group(thingGroupName="g0")["things"] == []


def test_canceled_continuous_job_keeps_members_in_progress(iotjobs: Any) -> None:
    """An IN_PROGRESS execution of a CONTINUOUS job canceled without force became REMOVED
    when its thing, still in the target group, was added to any group."""
    iot = iotjobs.client("iot")
    jobs_data = iotjobs.client("iot-jobs-data")
    iot.create_thing(thingName="t0")
    for group in ("g0", "g1"):
        iot.create_thing_group(thingGroupName=group)
    iot.add_thing_to_thing_group(thingGroupName="g0", thingName="t0")
    iot.create_job(jobId="c", targets=[group_arn("g0")], document="{}", targetSelection="CONTINUOUS")
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.cancel_job(jobId="c")
    iot.add_thing_to_thing_group(thingGroupName="g1", thingName="t0")
    iot.add_thing_to_thing_group(thingGroupName="g0", thingName="t0")
    execution = iot.describe_job_execution(jobId="c", thingName="t0")["execution"]
    assert (execution["status"], execution["versionNumber"]) == ("IN_PROGRESS", 2)
    # ... and leaving the group does remove it.
    iot.remove_thing_from_thing_group(thingGroupName="g0", thingName="t0")
    execution = iot.describe_job_execution(jobId="c", thingName="t0")["execution"]
    assert (execution["status"], execution["versionNumber"]) == ("REMOVED", 3)
    assert thing_arn("t0") == execution["thingArn"]
