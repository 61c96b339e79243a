"""The shortest sequences the state machine found for defects since fixed, kept as plain tests
(the bad-input defects are re-checked by every run of test_bad_input.py)."""

from __future__ import annotations

from typing import Any

import pytest

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
    # ... and leaving the group keeps it too (issue #13, live capture: only QUEUED is removed).
    iot.remove_thing_from_thing_group(thingGroupName="g0", thingName="t0")
    execution = iot.describe_job_execution(jobId="c", thingName="t0")["execution"]
    assert (execution["status"], execution["versionNumber"]) == ("IN_PROGRESS", 2)
    assert thing_arn("t0") == execution["thingArn"]


# --- hardening probes (issue: no 5xx, no partial state, no open doors) ---------------------

BAD_THING_NAMES = [
    "victim/jobs/notify-next",  # would publish onto another device's topics
    "a+b",
    "#",
    "nul\x00name",
    "emoji-\U0001f600",
    "x" * 129,
]


def test_create_thing_refuses_names_aws_refuses(iotjobs: Any) -> None:
    """moto accepted `/ + #`, NUL, emoji and 200 characters; AWS allows [a-zA-Z0-9:_-]{1,128}."""
    from botocore.config import Config

    iot = iotjobs.client("iot", config=Config(parameter_validation=False))
    for name in BAD_THING_NAMES:
        try:
            iot.create_thing(thingName=name)
        except iot.exceptions.InvalidRequestException as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            assert "thingName" in error.response["Error"]["Message"]
        else:
            raise AssertionError(f"CreateThing accepted {name!r}")
    assert iot.list_things()["things"] == []
    iot.create_thing(thingName="ok:name_with-all-1" + "y" * 100)
    assert len(iot.list_things()["things"]) == 1


MEMBERS = 20_000


@pytest.mark.timeout(300)
def test_create_job_on_a_group_while_its_members_change(iotjobs: Any) -> None:
    """CreateJob iterated moto's member dict while another thread changed it: a 500 and a job
    left IN_PROGRESS with no executions. Now membership changes and job creation are
    serialised: every job sees one consistent membership (bounded: 2 threads, ~4 s of jobs).
    Without the lock this fails on most CreateJob calls at this group size."""
    import threading
    import time

    from moto.iot.models import iot_backends

    iot = iotjobs.client("iot")
    iot.create_thing_group(thingGroupName="big")
    registry = iot_backends["123456789012"]["us-east-1"]
    for i in range(MEMBERS):  # straight into moto's registry: a big group in a second
        registry.create_thing(f"m{i}", None, None)
        registry.add_thing_to_thing_group("big", None, f"m{i}", None)
    stop = threading.Event()
    errors: list[BaseException] = []

    def churn() -> None:
        churner = iotjobs.client("iot")
        i = 0
        while not stop.is_set():
            name = f"m{i % MEMBERS}"
            try:
                churner.remove_thing_from_thing_group(thingGroupName="big", thingName=name)
                churner.add_thing_to_thing_group(thingGroupName="big", thingName=name)
            except BaseException as error:  # noqa: BLE001 - any failure is the finding
                errors.append(error)
                return
            i += 1

    worker = threading.Thread(target=churn, daemon=True)
    worker.start()
    created = 0
    deadline = time.monotonic() + 4
    try:
        while time.monotonic() < deadline:
            iot.create_job(jobId=f"race-{created}", targets=[group_arn("big")], document="{}")
            created += 1
    finally:
        stop.set()
        worker.join(timeout=10)
    assert errors == []
    assert created >= 3
    for n in range(created):
        details = iot.describe_job(jobId=f"race-{n}")["job"]["jobProcessDetails"]
        # at most one member is out of the group at any instant
        assert MEMBERS - 1 <= sum(details.values()) <= MEMBERS, (n, details)


def test_a_failed_update_thing_groups_for_thing_changes_nothing(iotjobs: Any) -> None:
    """moto adds the groups one by one and fails at a missing one: the thing stayed in the
    groups before it, and a CONTINUOUS job on them never heard of it."""
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t0")
    iot.create_thing_group(thingGroupName="g0")
    iot.create_job(jobId="c", targets=[group_arn("g0")], document="{}", targetSelection="CONTINUOUS")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.update_thing_groups_for_thing(thingName="t0", thingGroupsToAdd=["g0", "missing"])
    assert iot.list_things_in_thing_group(thingGroupName="g0")["things"] == []
    iot.add_thing_to_thing_group(thingGroupName="g0", thingName="t0")
    assert iot.list_job_executions_for_job(jobId="c")["executionSummaries"][0]["thingArn"] == thing_arn("t0")


def test_deleting_a_static_group_updates_dynamic_groups_that_query_it(iotjobs: Any) -> None:
    """A dynamic group querying thingGroupNames kept the members of a deleted static group."""
    iot = iotjobs.client("iot")
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
    iot.create_thing(thingName="t0")
    iot.create_thing_group(thingGroupName="g0")
    iot.add_thing_to_thing_group(thingGroupName="g0", thingName="t0")
    iot.create_dynamic_thing_group(thingGroupName="d0", queryString="thingGroupNames:g0")
    iot.create_job(jobId="c", targets=[group_arn("d0")], document="{}", targetSelection="CONTINUOUS")
    iot.delete_thing_group(thingGroupName="g0")
    assert iot.list_things_in_thing_group(thingGroupName="d0")["things"] == []
    execution = iot.describe_job_execution(jobId="c", thingName="t0")["execution"]
    assert execution["status"] == "REMOVED"
