"""The `iot-jobs-data` device plane: GetPendingJobExecutions, StartNextPendingJobExecution,
DescribeJobExecution and UpdateJobExecution, the execution lifecycle they drive, and the
fleet end to end."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from freezegun import freeze_time

from .conftest import DOCUMENT
from .helpers import (
    execution,
    expect_error,
    make_group,
    make_things,
    nonzero,
    status_of,
)

JOBS_HOST = "https://data.jobs.iot.us-east-1.amazonaws.com"


@pytest.fixture
def three_jobs(iot, thing):
    """Jobs ja, jb, jc (created in that order) on thing dev1."""
    for job_id in ("ja", "jb", "jc"):
        iot.create_job(jobId=job_id, targets=[thing], document=json.dumps({"job": job_id}))
    return ["ja", "jb", "jc"]


@pytest.fixture
def one_job(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    return "j1"


# --- GetPendingJobExecutions ----------------------------------------------------------------


def test_pending_of_unknown_thing_is_empty(jobs_data):
    out = jobs_data.get_pending_job_executions(thingName="nobody")
    assert (out["inProgressJobs"], out["queuedJobs"]) == ([], [])


def test_pending_lists_queued_oldest_first(jobs_data, three_jobs):
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    assert out["inProgressJobs"] == []
    assert [q["jobId"] for q in out["queuedJobs"]] == ["ja", "jb", "jc"]


def test_pending_splits_in_progress_and_queued(jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="jc", thingName="dev1", status="IN_PROGRESS")
    jobs_data.update_job_execution(jobId="jb", thingName="dev1", status="IN_PROGRESS")
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    assert [q["jobId"] for q in out["inProgressJobs"]] == ["jb", "jc"]
    assert [q["jobId"] for q in out["queuedJobs"]] == ["ja"]


def test_pending_leaves_out_terminal_executions(jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="ja", thingName="dev1", status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="jb", thingName="dev1", status="REJECTED")
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    assert [q["jobId"] for q in out["queuedJobs"]] == ["jc"]


def test_pending_summary_fields(jobs_data, three_jobs):
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    started, queued = out["inProgressJobs"][0], out["queuedJobs"][0]
    assert set(started) == {"jobId", "queuedAt", "startedAt", "lastUpdatedAt", "versionNumber",
                            "executionNumber"}
    assert set(queued) == {"jobId", "queuedAt", "lastUpdatedAt", "versionNumber", "executionNumber"}
    assert (started["versionNumber"], started["executionNumber"]) == (2, 1)
    assert (queued["versionNumber"], queued["executionNumber"]) == (1, 1)
    for summary in (started, queued):
        assert all(isinstance(summary[k], int) for k in summary if k.endswith("At"))


def test_pending_returns_at_most_ten_in_progress_first(iot, jobs_data, thing):
    job_ids = [f"j{i:02d}" for i in range(12)]
    for job_id in job_ids:
        iot.create_job(jobId=job_id, targets=[thing], document=DOCUMENT)
    for job_id in ("j11", "j09", "j10"):
        jobs_data.update_job_execution(jobId=job_id, thingName="dev1", status="IN_PROGRESS")
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    assert [q["jobId"] for q in out["inProgressJobs"]] == ["j09", "j10", "j11"]
    assert [q["jobId"] for q in out["queuedJobs"]] == job_ids[:7]


def test_pending_of_canceled_job_are_gone(iot, jobs_data, three_jobs):
    iot.cancel_job(jobId="jb")
    out = jobs_data.get_pending_job_executions(thingName="dev1")
    assert [q["jobId"] for q in out["queuedJobs"]] == ["ja", "jc"]


# --- StartNextPendingJobExecution -----------------------------------------------------------


def test_start_next_starts_the_oldest_queued(iot, jobs_data, three_jobs):
    out = jobs_data.start_next_pending_job_execution(thingName="dev1")["execution"]
    assert (out["jobId"], out["thingName"], out["status"]) == ("ja", "dev1", "IN_PROGRESS")
    assert (out["versionNumber"], out["executionNumber"]) == (2, 1)
    assert out["startedAt"] >= out["queuedAt"]
    assert json.loads(out["jobDocument"]) == {"job": "ja"}
    assert status_of(iot, "ja", "dev1") == "IN_PROGRESS"
    assert status_of(iot, "jb", "dev1") == "QUEUED"


def test_start_next_sets_status_details(iot, jobs_data, one_job):
    out = jobs_data.start_next_pending_job_execution(thingName="dev1",
                                                     statusDetails={"step": "download"})
    assert out["execution"]["statusDetails"] == {"step": "download"}
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"step": "download"}}


def test_start_next_returns_in_progress_execution_unchanged(jobs_data, three_jobs):
    first = jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"a": "1"})
    again = jobs_data.start_next_pending_job_execution(thingName="dev1", statusDetails={"b": "2"})
    assert again["execution"]["jobId"] == "ja"
    assert again["execution"]["versionNumber"] == first["execution"]["versionNumber"]
    assert again["execution"]["statusDetails"] == {"a": "1"}


def test_start_next_prefers_in_progress_over_older_queued(jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="jc", thingName="dev1", status="IN_PROGRESS")
    out = jobs_data.start_next_pending_job_execution(thingName="dev1")["execution"]
    assert (out["jobId"], out["status"]) == ("jc", "IN_PROGRESS")


def test_start_next_with_nothing_pending_has_no_execution(jobs_data, one_job):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    out = jobs_data.start_next_pending_job_execution(thingName="dev1")
    assert "execution" not in out
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_start_next_for_unknown_thing_has_no_execution(jobs_data):
    assert "execution" not in jobs_data.start_next_pending_job_execution(thingName="nobody")


def test_start_next_with_step_timeout_reports_time_left(jobs_data, one_job):
    out = jobs_data.start_next_pending_job_execution(thingName="dev1", stepTimeoutInMinutes=5)
    assert 0 < out["execution"]["approximateSecondsBeforeTimedOut"] <= 300


def test_start_next_without_timer_has_no_time_left(jobs_data, one_job):
    out = jobs_data.start_next_pending_job_execution(thingName="dev1")
    assert "approximateSecondsBeforeTimedOut" not in out["execution"]


def test_start_next_walks_the_queue(jobs_data, three_jobs):
    order = []
    while True:
        out = jobs_data.start_next_pending_job_execution(thingName="dev1")
        if "execution" not in out:
            break
        order.append(out["execution"]["jobId"])
        jobs_data.update_job_execution(jobId=order[-1], thingName="dev1", status="SUCCEEDED")
    assert order == ["ja", "jb", "jc"]


# --- DescribeJobExecution -------------------------------------------------------------------


def test_describe_includes_document_by_default(jobs_data, one_job):
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]
    assert out["jobDocument"] == DOCUMENT
    assert (out["status"], out["versionNumber"], out["executionNumber"]) == ("QUEUED", 1, 1)
    assert "startedAt" not in out
    assert "statusDetails" not in out


def test_describe_without_document(jobs_data, one_job):
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1", includeJobDocument=False)
    assert "jobDocument" not in out["execution"]


def test_describe_with_document_explicitly(jobs_data, one_job):
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1", includeJobDocument=True)
    assert out["execution"]["jobDocument"] == DOCUMENT


def test_describe_next_returns_next_pending_without_starting_it(iot, jobs_data, three_jobs):
    out = jobs_data.describe_job_execution(jobId="$next", thingName="dev1")["execution"]
    assert (out["jobId"], out["status"]) == ("ja", "QUEUED")
    assert json.loads(out["jobDocument"]) == {"job": "ja"}
    assert status_of(iot, "ja", "dev1") == "QUEUED"


def test_describe_next_prefers_in_progress(jobs_data, three_jobs):
    jobs_data.update_job_execution(jobId="jb", thingName="dev1", status="IN_PROGRESS")
    out = jobs_data.describe_job_execution(jobId="$next", thingName="dev1")
    assert out["execution"]["jobId"] == "jb"


def test_describe_next_with_nothing_pending_has_no_execution(jobs_data, thing):
    out = jobs_data.describe_job_execution(jobId="$next", thingName="dev1")
    assert "execution" not in out


def test_describe_next_sent_literally_over_http(iotjobs, three_jobs):
    # botocore sends %24next; other clients send $next as it is
    for path in ("/things/dev1/jobs/$next", "/things/dev1/jobs/%24next"):
        response = requests.get(JOBS_HOST + path)
        assert response.status_code == 200
        assert response.json()["execution"]["jobId"] == "ja"


@pytest.mark.parametrize("next_label", ["$next", "%24next"])
def test_start_next_accepts_next_literal_or_encoded(iot, iotjobs, one_job, next_label):
    response = requests.put(f"{JOBS_HOST}/things/dev1/jobs/{next_label}", data=b"{}")
    assert response.status_code == 200
    assert response.json()["execution"]["status"] == "IN_PROGRESS"
    assert status_of(iot, "j1", "dev1") == "IN_PROGRESS"


def test_describe_by_execution_number(jobs_data, one_job):
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1", executionNumber=1)
    assert out["execution"]["executionNumber"] == 1


def test_describe_unknown_execution_number_is_404(jobs_data, one_job):
    expect_error("ResourceNotFoundException", 404, jobs_data.describe_job_execution,
                 jobId="j1", thingName="dev1", executionNumber=3)


def test_describe_unknown_job_is_404(jobs_data, thing):
    expect_error("ResourceNotFoundException", 404, jobs_data.describe_job_execution,
                 jobId="nope", thingName="dev1")


def test_describe_terminal_execution(iot, jobs_data, one_job):
    """The device plane answers 410 for a terminal execution (docs/live-service.md,
    "Device-plane DescribeJobExecution of a terminal execution"); the control plane still
    shows it."""
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED",
                                   statusDetails={"result": "ok"})
    expect_error("TerminalStateException", 410, jobs_data.describe_job_execution,
                 jobId="j1", thingName="dev1")
    out = execution(iot, "j1", "dev1")
    assert (out["status"], out["statusDetails"]) == ("SUCCEEDED", {"detailsMap": {"result": "ok"}})


# --- UpdateJobExecution ---------------------------------------------------------------------


def test_update_reports_progress(iot, jobs_data, one_job):
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         statusDetails={"progress": "50%"})
    assert set(out) == {"ResponseMetadata"}
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 3)
    assert ex["statusDetails"] == {"detailsMap": {"progress": "50%"}}


def test_update_returns_execution_state_when_asked(jobs_data, one_job):
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         statusDetails={"k": "v"}, includeJobExecutionState=True)
    assert out["executionState"] == {"status": "IN_PROGRESS", "statusDetails": {"k": "v"},
                                     "versionNumber": 2}
    assert "jobDocument" not in out


def test_update_returns_document_when_asked(jobs_data, one_job):
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         includeJobDocument=True)
    assert out["jobDocument"] == DOCUMENT
    assert "executionState" not in out


def test_update_with_both_flags_false_returns_nothing(jobs_data, one_job):
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         includeJobExecutionState=False, includeJobDocument=False)
    assert set(out) == {"ResponseMetadata"}


def test_update_replaces_status_details(iot, jobs_data, one_job):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails={"a": "1", "b": "2"})
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails={"c": "3"})
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"c": "3"}}


def test_update_without_status_details_keeps_them(iot, jobs_data, one_job):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails={"a": "1"})
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    assert execution(iot, "j1", "dev1")["statusDetails"] == {"detailsMap": {"a": "1"}}


def test_update_with_current_expected_version(jobs_data, one_job):
    out = jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                         expectedVersion=1, includeJobExecutionState=True)
    assert out["executionState"]["versionNumber"] == 2


def test_update_with_stale_expected_version_is_rejected_and_changes_nothing(iot, jobs_data, one_job):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   statusDetails={"a": "1"})
    before = execution(iot, "j1", "dev1")
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status="SUCCEEDED", expectedVersion=1,
                 statusDetails={"b": "2"})
    assert execution(iot, "j1", "dev1") == before


def test_version_rises_by_one_on_every_accepted_change(iot, jobs_data, one_job):
    versions = [execution(iot, "j1", "dev1")["versionNumber"]]
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    versions.append(execution(iot, "j1", "dev1")["versionNumber"])
    for _ in range(2):
        jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS")
        versions.append(execution(iot, "j1", "dev1")["versionNumber"])
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    versions.append(execution(iot, "j1", "dev1")["versionNumber"])
    assert versions == [1, 2, 3, 4, 5]


def test_service_side_cancel_raises_the_version(iot, jobs_data, one_job):
    iot.cancel_job(jobId="j1")
    out = execution(iot, "j1", "dev1")
    assert (out["status"], out["versionNumber"]) == ("CANCELED", 2)


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_queued_execution_may_finish_directly(iot, jobs_data, one_job, final):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status=final)
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == (final, 2)
    assert "startedAt" not in ex


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
def test_in_progress_execution_finishes(iot, jobs_data, one_job, final):
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status=final)
    assert status_of(iot, "j1", "dev1") == final


@pytest.mark.parametrize("status", ["QUEUED", "CANCELED", "TIMED_OUT", "REMOVED"])
def test_device_may_not_set_service_statuses(iot, jobs_data, one_job, status):
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status=status)
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == ("IN_PROGRESS", 2)


@pytest.mark.parametrize("final", ["SUCCEEDED", "FAILED", "REJECTED"])
@pytest.mark.parametrize("then", ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"])
def test_terminal_execution_never_moves_again(iot, jobs_data, one_job, final, then):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status=final)
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status=then)
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["versionNumber"]) == (final, 2)


def test_canceled_execution_cannot_be_updated(iot, jobs_data, one_job):
    iot.cancel_job_execution(jobId="j1", thingName="dev1")
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status="IN_PROGRESS")


def test_update_unknown_job_is_404(jobs_data, thing):
    expect_error("ResourceNotFoundException", 404, jobs_data.update_job_execution,
                 jobId="nope", thingName="dev1", status="IN_PROGRESS")


def test_update_on_thing_without_execution_is_404(jobs_data, one_job):
    expect_error("ResourceNotFoundException", 404, jobs_data.update_job_execution,
                 jobId="j1", thingName="stranger", status="IN_PROGRESS")


def test_update_with_unknown_execution_number_is_404(iot, jobs_data, one_job):
    expect_error("ResourceNotFoundException", 404, jobs_data.update_job_execution,
                 jobId="j1", thingName="dev1", status="IN_PROGRESS", executionNumber=2)
    assert status_of(iot, "j1", "dev1") == "QUEUED"


def test_update_with_matching_execution_number(iot, jobs_data, one_job):
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   executionNumber=1)
    assert status_of(iot, "j1", "dev1") == "IN_PROGRESS"


def test_step_timeout_on_update_reports_time_left(jobs_data, one_job):
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   stepTimeoutInMinutes=2)
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]
    assert 0 < out["approximateSecondsBeforeTimedOut"] <= 120


def test_step_timeout_of_minus_one_cancels_the_timer(jobs_data, one_job):
    jobs_data.start_next_pending_job_execution(thingName="dev1", stepTimeoutInMinutes=5)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS",
                                   stepTimeoutInMinutes=-1)
    out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]
    assert "approximateSecondsBeforeTimedOut" not in out


def test_started_and_last_updated_times_follow_the_clock(iot, jobs_data, one_job):
    with freeze_time("2030-01-01 00:00:00") as clock:
        clock.tick(10)
        jobs_data.start_next_pending_job_execution(thingName="dev1")
        clock.tick(20)
        jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="IN_PROGRESS")
        out = jobs_data.describe_job_execution(jobId="j1", thingName="dev1")["execution"]
    start = 1893456000  # 2030-01-01T00:00:00Z
    assert (out["startedAt"], out["lastUpdatedAt"]) == (start + 10, start + 30)


# --- the control plane sees every device change ---------------------------------------------


def test_control_plane_sees_device_changes(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0", statusDetails={"s": "1"})
    jobs_data.update_job_execution(jobId="j1", thingName="t1", status="FAILED")
    assert nonzero(iot, "j1") == {"IN_PROGRESS": 1, "FAILED": 1, "QUEUED": 1}
    for_job = {
        s["thingArn"].rsplit("/", 1)[1]: s["jobExecutionSummary"]["status"]
        for s in iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
    }
    assert for_job == {"t0": "IN_PROGRESS", "t1": "FAILED", "t2": "QUEUED"}
    for_thing = iot.list_job_executions_for_thing(thingName="t0")["executionSummaries"]
    assert for_thing[0]["jobExecutionSummary"]["status"] == "IN_PROGRESS"
    assert execution(iot, "j1", "t0")["statusDetails"] == {"detailsMap": {"s": "1"}}


# --- the fleet, end to end ------------------------------------------------------------------


def test_fleet_runs_a_job_to_completion(iot, jobs_data):
    names = [f"bulb{i}" for i in range(5)]
    make_things(iot, *names)
    group = make_group(iot, "bulbs", tuple(names))
    iot.create_job(jobId="ota", targets=[group], document=DOCUMENT, description="firmware")

    versions = {}
    for name in names:
        pending = jobs_data.get_pending_job_executions(thingName=name)
        assert [q["jobId"] for q in pending["queuedJobs"]] == ["ota"]
        started = jobs_data.start_next_pending_job_execution(
            thingName=name, statusDetails={"step": "downloading"})["execution"]
        assert json.loads(started["jobDocument"]) == json.loads(DOCUMENT)
        state = jobs_data.update_job_execution(
            jobId="ota", thingName=name, status="IN_PROGRESS",
            statusDetails={"step": "installing", "progress": "50"},
            expectedVersion=started["versionNumber"], includeJobExecutionState=True,
        )["executionState"]
        versions[name] = state["versionNumber"]
    assert nonzero(iot, "ota") == {"IN_PROGRESS": 5}

    # a stale writer loses and changes nothing
    expect_error("InvalidStateTransitionException", 409, jobs_data.update_job_execution,
                 jobId="ota", thingName="bulb0", status="FAILED", expectedVersion=2)
    assert status_of(iot, "ota", "bulb0") == "IN_PROGRESS"

    outcome = {name: "SUCCEEDED" for name in names}
    outcome["bulb3"] = "FAILED"
    for name in names:
        assert iot.describe_job(jobId="ota")["job"]["status"] == "IN_PROGRESS"
        jobs_data.update_job_execution(jobId="ota", thingName=name, status=outcome[name],
                                       statusDetails={"step": "done"},
                                       expectedVersion=versions[name])

    job = iot.describe_job(jobId="ota")["job"]
    assert job["status"] == "COMPLETED"
    assert "completedAt" in job
    assert nonzero(iot, "ota") == {"SUCCEEDED": 4, "FAILED": 1}
    for name in names:
        assert jobs_data.get_pending_job_executions(thingName=name)["queuedJobs"] == []
        assert "execution" not in jobs_data.start_next_pending_job_execution(thingName=name)
        ex = execution(iot, "ota", name)
        assert (ex["status"], ex["statusDetails"]) == (outcome[name], {"detailsMap": {"step": "done"}})


# --- endpoints ------------------------------------------------------------------------------


def test_device_code_using_the_data_ats_endpoint_works(iot, one_job):
    """The live service hands devices the Data-ATS endpoint for jobs (docs/live-service.md)."""
    address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert address.endswith("-ats.iot.us-east-1.amazonaws.com")
    device = boto3.client("iot-jobs-data", region_name="us-east-1",
                          endpoint_url=f"https://{address}")
    assert [q["jobId"] for q in device.get_pending_job_executions(thingName="dev1")["queuedJobs"]] == ["j1"]
    assert device.describe_job_execution(jobId="$next", thingName="dev1")["execution"]["jobId"] == "j1"
    assert device.start_next_pending_job_execution(thingName="dev1")["execution"]["status"] == "IN_PROGRESS"
    device.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"


def test_server_mode_host_is_the_device_plane(iotjobs, one_job):
    response = requests.get("https://iot-jobs-data.us-east-1.amazonaws.com/things/dev1/jobs")
    assert response.status_code == 200
    assert [q["jobId"] for q in response.json()["queuedJobs"]] == ["j1"]


def test_shared_paths_are_told_apart_by_host(iotjobs, one_job):
    control = requests.get("https://iot.us-east-1.amazonaws.com/things/dev1/jobs").json()
    device = requests.get(f"{JOBS_HOST}/things/dev1/jobs").json()
    assert [s["jobId"] for s in control["executionSummaries"]] == ["j1"]
    assert [q["jobId"] for q in device["queuedJobs"]] == ["j1"]


def test_regions_are_separate(iotjobs, one_job):
    device = iotjobs.client("iot-jobs-data", region_name="eu-west-1")
    pending = device.get_pending_job_executions(thingName="dev1")
    assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
    expect_error("ResourceNotFoundException", 404, device.update_job_execution,
                 jobId="j1", thingName="dev1", status="IN_PROGRESS")

