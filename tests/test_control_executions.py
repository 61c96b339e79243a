"""ListJobExecutionsForJob, ListJobExecutionsForThing, DescribeJobExecution,
CancelJobExecution and DeleteJobExecution on the `iot` control plane."""

from __future__ import annotations

import pytest

from .conftest import DOCUMENT
from .helpers import (
    execution,
    expect_error,
    make_group,
    make_things,
    nonzero,
    status_of,
    thing_arn,
)


@pytest.fixture
def three_jobs(iot, thing):
    """Jobs ja, jb, jc (created in that order) on thing dev1."""
    for job_id in ("ja", "jb", "jc"):
        iot.create_job(jobId=job_id, targets=[thing], document=DOCUMENT)
    return ["ja", "jb", "jc"]


# --- ListJobExecutionsForJob ----------------------------------------------------------------


def test_list_for_job_has_one_summary_per_thing_newest_first(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    summaries = iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
    assert [s["thingArn"] for s in summaries] == [thing_arn("t2"), thing_arn("t1"), thing_arn("t0")]


def test_list_for_job_summary_fields(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    by_thing = {
        s["thingArn"]: s["jobExecutionSummary"]
        for s in iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
    }
    queued, started = by_thing[thing_arn("t1")], by_thing[thing_arn("t0")]
    assert queued["status"] == "QUEUED"
    assert (queued["executionNumber"], queued["retryAttempt"]) == (1, 0)
    assert "startedAt" not in queued
    assert started["status"] == "IN_PROGRESS"
    assert started["startedAt"] >= started["queuedAt"]
    assert started["lastUpdatedAt"] >= started["startedAt"]


@pytest.mark.parametrize(
    "status, things",
    [("QUEUED", ["t2"]), ("IN_PROGRESS", ["t1"]), ("SUCCEEDED", ["t0"]), ("FAILED", [])],
)
def test_list_for_job_filters_by_status(iot, jobs_data, fleet, status, things):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="t0", status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="j1", thingName="t1", status="IN_PROGRESS")
    summaries = iot.list_job_executions_for_job(jobId="j1", status=status)["executionSummaries"]
    assert [s["thingArn"] for s in summaries] == [thing_arn(t) for t in things]
    assert all(s["jobExecutionSummary"]["status"] == status for s in summaries)


def test_list_for_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.list_job_executions_for_job, jobId="nope")


def test_list_for_job_pages_by_hand(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    first = iot.list_job_executions_for_job(jobId="j1", maxResults=2)
    assert len(first["executionSummaries"]) == 2
    second = iot.list_job_executions_for_job(jobId="j1", maxResults=2, nextToken=first["nextToken"])
    assert "nextToken" not in second
    arns = [s["thingArn"] for s in first["executionSummaries"] + second["executionSummaries"]]
    assert arns == [thing_arn("t2"), thing_arn("t1"), thing_arn("t0")]


def test_list_for_job_paginator_over_more_than_250_things(iot):
    names = [f"d{i:03d}" for i in range(260)]
    make_things(iot, *names)
    group = make_group(iot, "big", tuple(names))
    iot.create_job(jobId="j1", targets=[group], document=DOCUMENT)
    first = iot.list_job_executions_for_job(jobId="j1")
    assert len(first["executionSummaries"]) == 250
    assert "nextToken" in first
    pages = list(iot.get_paginator("list_job_executions_for_job").paginate(jobId="j1"))
    arns = [s["thingArn"] for page in pages for s in page["executionSummaries"]]
    assert [len(p["executionSummaries"]) for p in pages] == [250, 10]
    assert arns == [thing_arn(n) for n in reversed(names)]


# --- ListJobExecutionsForThing --------------------------------------------------------------


def test_list_for_thing_one_per_job_newest_first(iot, three_jobs):
    summaries = iot.list_job_executions_for_thing(thingName="dev1")["executionSummaries"]
    assert [s["jobId"] for s in summaries] == ["jc", "jb", "ja"]
    assert all(s["jobExecutionSummary"]["status"] == "QUEUED" for s in summaries)


def test_list_for_unknown_thing_is_empty(iot):
    out = iot.list_job_executions_for_thing(thingName="nobody")
    assert out["executionSummaries"] == []
    assert "nextToken" not in out


def test_list_for_thing_filters_by_status(iot, jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="jb", thingName="dev1", status="REJECTED")
    rejected = iot.list_job_executions_for_thing(thingName="dev1", status="REJECTED")
    assert [s["jobId"] for s in rejected["executionSummaries"]] == ["jb"]
    queued = iot.list_job_executions_for_thing(thingName="dev1", status="QUEUED")
    assert [s["jobId"] for s in queued["executionSummaries"]] == ["jc", "ja"]


def test_list_for_thing_filters_by_job_id(iot, three_jobs):
    out = iot.list_job_executions_for_thing(thingName="dev1", jobId="jb")
    assert [s["jobId"] for s in out["executionSummaries"]] == ["jb"]


def test_list_for_thing_filters_by_namespace(iot, thing):
    iot.create_job(jobId="plain", targets=[thing], document=DOCUMENT)
    iot.create_job(jobId="gg", targets=[thing], document=DOCUMENT, namespaceId="aws-gg-deployment")
    out = iot.list_job_executions_for_thing(thingName="dev1", namespaceId="aws-gg-deployment")
    assert [s["jobId"] for s in out["executionSummaries"]] == ["gg"]


def test_list_for_thing_combines_filters(iot, jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="jb", thingName="dev1", status="IN_PROGRESS")
    both = iot.list_job_executions_for_thing(thingName="dev1", jobId="jb", status="IN_PROGRESS")
    assert [s["jobId"] for s in both["executionSummaries"]] == ["jb"]
    none = iot.list_job_executions_for_thing(thingName="dev1", jobId="ja", status="IN_PROGRESS")
    assert none["executionSummaries"] == []


def test_list_for_thing_pages_by_hand(iot, three_jobs):
    seen = []
    kwargs = {"thingName": "dev1", "maxResults": 1}
    while True:
        page = iot.list_job_executions_for_thing(**kwargs)
        assert len(page["executionSummaries"]) == 1
        seen += [s["jobId"] for s in page["executionSummaries"]]
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    assert seen == ["jc", "jb", "ja"]


def test_list_for_thing_paginator_over_more_than_250_jobs(iot, thing):
    job_ids = [f"job{i:03d}" for i in range(260)]
    for job_id in job_ids:
        iot.create_job(jobId=job_id, targets=[thing], document=DOCUMENT)
    pages = list(
        iot.get_paginator("list_job_executions_for_thing").paginate(
            thingName="dev1", PaginationConfig={"PageSize": 100}
        )
    )
    assert [len(p["executionSummaries"]) for p in pages] == [100, 100, 60]
    listed = [s["jobId"] for page in pages for s in page["executionSummaries"]]
    assert listed == list(reversed(job_ids))


def test_list_for_thing_garbled_token_is_400(iot, three_jobs):
    expect_error("InvalidRequestException", 400, iot.list_job_executions_for_thing,
                 thingName="dev1", nextToken="garbled")


def test_list_for_job_token_of_other_status_filter_is_400(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    token = iot.list_job_executions_for_job(jobId="j1", maxResults=1)["nextToken"]
    expect_error("InvalidRequestException", 400, iot.list_job_executions_for_job,
                 jobId="j1", status="QUEUED", nextToken=token)


# --- DescribeJobExecution -------------------------------------------------------------------


def test_describe_queued_execution(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    ex = execution(iot, "j1", "dev1")
    assert ex["jobId"] == "j1"
    assert ex["thingArn"] == thing
    assert ex["statusDetails"] == {}
    assert ex["queuedAt"] == ex["lastUpdatedAt"]
    assert "startedAt" not in ex
    assert "forceCanceled" not in ex


def test_describe_shows_device_progress(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"step": "download"})
    ex = execution(iot, "j1", "dev1")
    assert ex["status"] == "IN_PROGRESS"
    assert ex["statusDetails"] == {"detailsMap": {"step": "download"}}
    assert ex["versionNumber"] == 2
    assert ex["startedAt"] >= ex["queuedAt"]


def test_describe_by_execution_number(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert execution(iot, "j1", "dev1", executionNumber=1)["executionNumber"] == 1


def test_describe_unknown_execution_number_is_404(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=2)


def test_describe_execution_of_unknown_job_is_404(iot, thing):
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="nope", thingName="dev1")


def test_describe_execution_on_thing_outside_job_is_404(iot, thing):
    make_things(iot, "other")
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="other")


# --- CancelJobExecution ---------------------------------------------------------------------


def test_cancel_queued_execution(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    out = iot.cancel_job_execution(jobId="j1", thingName="t0")
    assert set(out) == {"ResponseMetadata"}
    ex = execution(iot, "j1", "t0")
    assert (ex["status"], ex["versionNumber"], ex["forceCanceled"]) == ("CANCELED", 2, False)
    assert nonzero(iot, "j1") == {"QUEUED": 2, "CANCELED": 1}
    assert iot.describe_job(jobId="j1")["job"]["status"] == "IN_PROGRESS"


def test_cancel_in_progress_execution_without_force_is_409(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, iot.cancel_job_execution,
                 jobId="j1", thingName="dev1")
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 2)


def test_force_cancel_in_progress_execution(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    iot.cancel_job_execution(jobId="j1", thingName="dev1", force=True)
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["forceCanceled"], ex["versionNumber"]) == ("CANCELED", True, 3)


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_cancel_terminal_execution_is_409(iot, jobs_data, thing, final):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status=final)
    expect_error("InvalidStateTransitionException", 409, iot.cancel_job_execution,
                 jobId="j1", thingName="dev1", force=True)
    assert status_of(iot, "j1", "dev1") == final


def test_cancel_canceled_execution_is_409(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job_execution(jobId="j1", thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, iot.cancel_job_execution,
                 jobId="j1", thingName="dev1")


def test_cancel_with_stale_expected_version_is_version_conflict(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS")
    with pytest.raises(iot.exceptions.VersionConflictException) as info:
        iot.cancel_job_execution(jobId="j1", thingName="dev1", force=True, expectedVersion=1)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 2)


def test_cancel_with_current_expected_version(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job_execution(jobId="j1", thingName="dev1", expectedVersion=1)
    assert status_of(iot, "j1", "dev1") == "CANCELED"


def test_cancel_replaces_status_details(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"a": "1", "b": "2"})
    iot.cancel_job_execution(jobId="j1", thingName="dev1", force=True, statusDetails={"why": "ops"})
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"why": "ops"}}


def test_cancel_without_status_details_keeps_them(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"a": "1"})
    iot.cancel_job_execution(jobId="j1", thingName="dev1", force=True)
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"a": "1"}}


def test_canceling_last_pending_execution_completes_snapshot_job(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="t0", status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="j1", thingName="t1", status="SUCCEEDED")
    iot.cancel_job_execution(jobId="j1", thingName="t2")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "COMPLETED"
    assert nonzero(iot, "j1") == {"SUCCEEDED": 2, "CANCELED": 1}


def test_cancel_execution_of_unknown_job_is_404(iot, thing):
    expect_error("ResourceNotFoundException", 404, iot.cancel_job_execution,
                 jobId="nope", thingName="dev1")


def test_cancel_execution_on_thing_outside_job_is_404(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("ResourceNotFoundException", 404, iot.cancel_job_execution,
                 jobId="j1", thingName="stranger")


# --- DeleteJobExecution ---------------------------------------------------------------------


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_delete_terminal_execution(iot, jobs_data, fleet, final):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="t0", status=final)
    out = iot.delete_job_execution(jobId="j1", thingName="t0", executionNumber=1)
    assert set(out) == {"ResponseMetadata"}
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="t0")
    listed = iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
    assert [s["thingArn"] for s in listed] == [thing_arn("t2"), thing_arn("t1")]
    assert iot.list_job_executions_for_thing(thingName="t0")["executionSummaries"] == []
    assert nonzero(iot, "j1") == {"QUEUED": 2}


def test_delete_canceled_execution(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job_execution(jobId="j1", thingName="dev1")
    iot.delete_job_execution(jobId="j1", thingName="dev1", executionNumber=1)
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="dev1")


def test_delete_queued_execution_without_force_is_409(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("InvalidStateTransitionException", 409, iot.delete_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=1)
    assert status_of(iot, "j1", "dev1") == "QUEUED"


def test_delete_in_progress_execution_without_force_is_409(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, iot.delete_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=1)
    assert status_of(iot, "j1", "dev1") == "IN_PROGRESS"


def test_force_delete_in_progress_execution(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.delete_job_execution(jobId="j1", thingName="t0", executionNumber=1, force=True)
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="t0")
    assert jobs_data.get_pending_job_executions(thingName="t0")["inProgressJobs"] == []
    assert nonzero(iot, "j1") == {"QUEUED": 2}


def test_delete_unknown_execution_number_is_404(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    expect_error("ResourceNotFoundException", 404, iot.delete_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=7)
    assert status_of(iot, "j1", "dev1") == "SUCCEEDED"


def test_delete_execution_of_unknown_job_is_404(iot, thing):
    expect_error("ResourceNotFoundException", 404, iot.delete_job_execution,
                 jobId="nope", thingName="dev1", executionNumber=1)


def test_delete_earlier_execution_keeps_the_latest(iot, fleet):
    iot.create_job(jobId="cj", targets=[fleet], document=DOCUMENT, targetSelection="CONTINUOUS")
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="t0")
    iot.delete_job_execution(jobId="cj", thingName="t0", executionNumber=1)
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="cj", thingName="t0", executionNumber=1)
    latest = execution(iot, "cj", "t0")
    assert (latest["status"], latest["executionNumber"]) == ("QUEUED", 2)
    assert nonzero(iot, "cj") == {"QUEUED": 3}
