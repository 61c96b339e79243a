"""Job targets: things, thing groups and their child groups; SNAPSHOT vs CONTINUOUS as
group membership changes (AddThingToThingGroup, UpdateThingGroupsForThing,
RemoveThingFromThingGroup, DeleteThing)."""

from __future__ import annotations

import pytest

from .conftest import DOCUMENT
from .helpers import (
    execution,
    expect_error,
    group_arn,
    make_group,
    make_things,
    nonzero,
    status_of,
    thing_arn,
)


def things_of(iot, job_id: str) -> list[str]:
    """Thing names with an execution of the job, sorted."""
    summaries = iot.list_job_executions_for_job(jobId=job_id)["executionSummaries"]
    return sorted(s["thingArn"].rsplit("/", 1)[1] for s in summaries)


@pytest.fixture
def tree(iot):
    """parent(p1) > child(c1) > grandchild(g1), and a separate group other(o1)."""
    make_things(iot, "p1", "c1", "g1", "o1", "new")
    make_group(iot, "parent", ("p1",))
    make_group(iot, "child", ("c1",), parent="parent")
    make_group(iot, "grandchild", ("g1",), parent="child")
    make_group(iot, "other", ("o1",))
    return group_arn("parent")


# --- resolving targets ----------------------------------------------------------------------


def test_thing_target_gets_one_execution(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert things_of(iot, "j1") == ["dev1"]


def test_group_target_reaches_every_member(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    assert things_of(iot, "j1") == ["t0", "t1", "t2"]


def test_group_target_reaches_child_and_grandchild_groups(iot, tree):
    iot.create_job(jobId="j1", targets=[tree], document=DOCUMENT)
    assert things_of(iot, "j1") == ["c1", "g1", "p1"]


def test_child_group_target_does_not_reach_its_parent(iot, tree):
    iot.create_job(jobId="j1", targets=[group_arn("child")], document=DOCUMENT)
    assert things_of(iot, "j1") == ["c1", "g1"]


def test_thing_reached_twice_gets_one_execution(iot, tree):
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="c1")
    iot.create_job(jobId="j1", targets=[tree, group_arn("other"), thing_arn("c1")],
                   document=DOCUMENT)
    assert things_of(iot, "j1") == ["c1", "g1", "o1", "p1"]
    assert nonzero(iot, "j1") == {"QUEUED": 4}
    assert len(iot.list_job_executions_for_thing(thingName="c1")["executionSummaries"]) == 1


def test_mixed_thing_and_group_targets(iot, tree):
    iot.create_job(jobId="j1", targets=[group_arn("other"), thing_arn("new")], document=DOCUMENT)
    assert things_of(iot, "j1") == ["new", "o1"]


# --- SNAPSHOT -------------------------------------------------------------------------------


def test_snapshot_ignores_thing_added_later(iot, tree):
    iot.create_job(jobId="j1", targets=[tree], document=DOCUMENT)
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="new")
    assert things_of(iot, "j1") == ["c1", "g1", "p1"]


def test_snapshot_keeps_execution_of_thing_that_leaves(iot, tree):
    iot.create_job(jobId="j1", targets=[tree], document=DOCUMENT)
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    assert status_of(iot, "j1", "p1") == "QUEUED"


# --- CONTINUOUS: things joining -------------------------------------------------------------


def continuous(iot, target: str, job_id: str = "cj") -> str:
    iot.create_job(jobId=job_id, targets=[target], document=DOCUMENT, targetSelection="CONTINUOUS")
    return job_id


def test_thing_added_to_group_gets_queued_execution(iot, jobs_data, tree):
    continuous(iot, tree)
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="new")
    ex = execution(iot, "cj", "new")
    assert (ex["status"], ex["executionNumber"], ex["versionNumber"]) == ("QUEUED", 1, 1)
    assert nonzero(iot, "cj") == {"QUEUED": 4}
    queued = jobs_data.get_pending_job_executions(thingName="new")["queuedJobs"]
    assert [q["jobId"] for q in queued] == ["cj"]


def test_thing_added_to_child_group_gets_queued_execution(iot, tree):
    continuous(iot, tree)
    iot.add_thing_to_thing_group(thingGroupName="grandchild", thingName="new")
    assert status_of(iot, "cj", "new") == "QUEUED"


def test_thing_added_by_arn_gets_queued_execution(iot, tree):
    continuous(iot, tree)
    iot.add_thing_to_thing_group(thingGroupArn=group_arn("child"), thingArn=thing_arn("new"))
    assert status_of(iot, "cj", "new") == "QUEUED"


def test_thing_added_through_update_thing_groups_for_thing(iot, tree):
    continuous(iot, tree)
    iot.update_thing_groups_for_thing(thingName="new", thingGroupsToAdd=["child"])
    assert status_of(iot, "cj", "new") == "QUEUED"


def test_thing_added_after_others_finished_still_gets_execution(iot, jobs_data, fleet):
    continuous(iot, fleet)
    for name in ("t0", "t1", "t2"):
        jobs_data.update_job_execution(jobId="cj", thingName=name, status="SUCCEEDED")
    assert iot.describe_job(jobId="cj")["job"]["status"] == "IN_PROGRESS"
    make_things(iot, "late")
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="late")
    assert status_of(iot, "cj", "late") == "QUEUED"
    assert nonzero(iot, "cj") == {"SUCCEEDED": 3, "QUEUED": 1}


def test_thing_added_to_unrelated_group_gets_nothing(iot, tree):
    continuous(iot, group_arn("child"))
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="new")
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="new")
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="cj", thingName="new")


def test_thing_already_in_job_is_not_queued_again(iot, jobs_data, tree):
    continuous(iot, tree)
    jobs_data.start_next_pending_job_execution(thingName="p1")
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="p1")
    ex = execution(iot, "cj", "p1")
    assert (ex["status"], ex["executionNumber"]) == ("IN_PROGRESS", 1)


def test_canceled_continuous_job_queues_nothing_new(iot, tree):
    continuous(iot, tree)
    iot.cancel_job(jobId="cj")
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="new")
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="cj", thingName="new")


def test_deleted_continuous_job_queues_nothing(iot, tree):
    continuous(iot, tree)
    iot.delete_job(jobId="cj", force=True)
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="new")
    assert iot.list_job_executions_for_thing(thingName="new")["executionSummaries"] == []


def test_group_associated_later_follows_membership(iot, tree):
    continuous(iot, group_arn("child"))
    iot.associate_targets_with_job(jobId="cj", targets=[group_arn("other")])
    assert status_of(iot, "cj", "o1") == "QUEUED"
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="new")
    assert status_of(iot, "cj", "new") == "QUEUED"


def test_every_continuous_job_on_the_group_queues(iot, tree):
    continuous(iot, tree, "cj1")
    continuous(iot, group_arn("child"), "cj2")
    iot.create_job(jobId="snap", targets=[tree], document=DOCUMENT)
    iot.add_thing_to_thing_group(thingGroupName="child", thingName="new")
    listed = iot.list_job_executions_for_thing(thingName="new")["executionSummaries"]
    assert sorted(s["jobId"] for s in listed) == ["cj1", "cj2"]


# --- CONTINUOUS: things leaving -------------------------------------------------------------


def test_thing_removed_from_group_has_pending_execution_removed(iot, tree):
    continuous(iot, tree)
    before = execution(iot, "cj", "p1")
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    ex = execution(iot, "cj", "p1")
    assert ex["status"] == "REMOVED"
    assert ex["versionNumber"] == before["versionNumber"]  # live capture: unchanged
    assert nonzero(iot, "cj") == {"QUEUED": 2, "REMOVED": 1}


def test_in_progress_execution_stays_when_thing_leaves(iot, jobs_data, tree):
    """docs/live-service.md, "CONTINUOUS jobs and group membership": the device can still
    finish it."""
    continuous(iot, tree)
    jobs_data.start_next_pending_job_execution(thingName="c1")
    iot.remove_thing_from_thing_group(thingGroupName="child", thingName="c1")
    assert status_of(iot, "cj", "c1") == "IN_PROGRESS"
    assert [j["jobId"] for j in jobs_data.get_pending_job_executions(thingName="c1")["inProgressJobs"]] == ["cj"]
    jobs_data.update_job_execution(jobId="cj", thingName="c1", status="SUCCEEDED")
    assert status_of(iot, "cj", "c1") == "SUCCEEDED"


def test_terminal_execution_stays_when_thing_leaves(iot, jobs_data, tree):
    continuous(iot, tree)
    jobs_data.update_job_execution(jobId="cj", thingName="p1", status="SUCCEEDED")
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    assert status_of(iot, "cj", "p1") == "SUCCEEDED"


def test_thing_removed_through_update_thing_groups_for_thing(iot, tree):
    continuous(iot, tree)
    iot.update_thing_groups_for_thing(thingName="g1", thingGroupsToRemove=["grandchild"])
    assert status_of(iot, "cj", "g1") == "REMOVED"


def test_thing_still_in_another_target_group_keeps_execution(iot, tree):
    continuous(iot, tree)
    iot.associate_targets_with_job(jobId="cj", targets=[group_arn("other")])
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="p1")
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    assert status_of(iot, "cj", "p1") == "QUEUED"


def test_thing_that_is_a_direct_target_keeps_execution(iot, tree):
    iot.create_job(jobId="cj", targets=[tree, thing_arn("p1")], document=DOCUMENT,
                   targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    assert status_of(iot, "cj", "p1") == "QUEUED"


def test_moving_between_child_groups_of_target_keeps_execution(iot, tree):
    continuous(iot, tree)
    iot.update_thing_groups_for_thing(thingName="g1", thingGroupsToAdd=["child"],
                                      thingGroupsToRemove=["grandchild"])
    ex = execution(iot, "cj", "g1")
    assert (ex["status"], ex["executionNumber"]) == ("QUEUED", 1)


def test_thing_that_rejoins_gets_execution_number_two(iot, tree):
    continuous(iot, tree)
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="p1")
    ex = execution(iot, "cj", "p1")
    assert (ex["status"], ex["executionNumber"], ex["versionNumber"]) == ("QUEUED", 2, 1)
    first = execution(iot, "cj", "p1", executionNumber=1)
    assert first["status"] == "REMOVED"
    assert nonzero(iot, "cj") == {"QUEUED": 3}


# --- DeleteThing ----------------------------------------------------------------------------


def test_deleted_thing_has_pending_executions_removed_in_every_job(iot, jobs_data, tree):
    iot.create_job(jobId="snap", targets=[tree], document=DOCUMENT)
    continuous(iot, tree)
    iot.create_job(jobId="direct", targets=[thing_arn("p1")], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="p1")
    iot.delete_thing(thingName="p1")
    for job_id in ("snap", "cj", "direct"):
        assert status_of(iot, job_id, "p1") == "REMOVED"
    assert nonzero(iot, "snap") == {"QUEUED": 2, "REMOVED": 1}
    pending = jobs_data.get_pending_job_executions(thingName="p1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])


def test_deleted_thing_keeps_terminal_executions(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="FAILED")
    iot.delete_thing(thingName="dev1")
    assert status_of(iot, "j1", "dev1") == "FAILED"


def test_deleting_last_pending_thing_completes_snapshot_job(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="t0", status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="j1", thingName="t1", status="SUCCEEDED")
    iot.delete_thing(thingName="t2")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "COMPLETED"
    assert nonzero(iot, "j1") == {"SUCCEEDED": 2, "REMOVED": 1}


def test_removed_execution_cannot_be_updated_by_device(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.delete_thing(thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status="SUCCEEDED")


def test_thing_added_to_child_group_created_after_the_job(iot, tree):
    continuous(iot, tree)
    make_group(iot, "late-child", ("new",), parent="child")
    assert status_of(iot, "cj", "new") == "QUEUED"


def test_recreated_thing_that_rejoins_gets_a_new_execution(iot, tree):
    continuous(iot, tree)
    iot.delete_thing(thingName="p1")
    iot.create_thing(thingName="p1")
    iot.add_thing_to_thing_group(thingGroupName="parent", thingName="p1")
    ex = execution(iot, "cj", "p1")
    assert (ex["status"], ex["executionNumber"]) == ("QUEUED", 2)


def test_deleted_thing_is_no_longer_reached_through_its_group(iot, fleet):
    iot.delete_thing(thingName="t1")
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    assert things_of(iot, "j1") == ["t0", "t2"]
    assert nonzero(iot, "j1") == {"QUEUED": 2}


def test_canceled_continuous_job_keeps_in_progress_execution_of_a_member(iot, jobs_data, tree):
    continuous(iot, tree)
    jobs_data.start_next_pending_job_execution(thingName="p1")
    iot.cancel_job(jobId="cj")
    iot.add_thing_to_thing_group(thingGroupName="other", thingName="p1")  # still in parent
    assert status_of(iot, "cj", "p1") == "IN_PROGRESS"


def test_canceled_continuous_job_keeps_in_progress_of_thing_that_leaves(iot, jobs_data, tree):
    """docs/live-service.md, "CONTINUOUS jobs and group membership": leaving removes only a
    QUEUED execution."""
    continuous(iot, tree)
    jobs_data.start_next_pending_job_execution(thingName="p1")
    iot.cancel_job(jobId="cj")
    iot.remove_thing_from_thing_group(thingGroupName="parent", thingName="p1")
    assert status_of(iot, "cj", "p1") == "IN_PROGRESS"


def test_deleting_a_target_group_removes_pending_executions_of_continuous_jobs(iot, jobs_data):
    for name in ("a", "b"):
        iot.create_thing(thingName=name)
    group = iot.create_thing_group(thingGroupName="doomed")["thingGroupArn"]
    for name in ("a", "b"):
        iot.add_thing_to_thing_group(thingGroupName="doomed", thingName=name)
    iot.create_job(jobId="c", targets=[group], document="{}", targetSelection="CONTINUOUS")
    jobs_data.update_job_execution(thingName="a", jobId="c", status="SUCCEEDED")
    iot.delete_thing_group(thingGroupName="doomed")
    statuses = {
        s["thingArn"].rsplit("/", 1)[-1]: s["jobExecutionSummary"]["status"]
        for s in iot.list_job_executions_for_job(jobId="c")["executionSummaries"]
    }
    assert statuses == {"a": "SUCCEEDED", "b": "REMOVED"}


def test_update_job_execution_rejects_service_status_before_checking_version(iot, jobs_data):
    iot.create_thing(thingName="dev")
    iot.create_job(jobId="j", targets=["arn:aws:iot:us-east-1:123456789012:thing/dev"], document="{}")
    with pytest.raises(jobs_data.exceptions.InvalidStateTransitionException, match="changed to be CANCELED"):
        jobs_data.update_job_execution(thingName="dev", jobId="j", status="CANCELED", expectedVersion=7)
