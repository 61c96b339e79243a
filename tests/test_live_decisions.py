"""Issue #13: UpdateJob retries (docs/live-service.md, "UpdateJob retries") and the points no
source settles (docs/live-service.md, "Decisions where nothing settles the point")."""

from __future__ import annotations

import json

import pytest
import requests

from .helpers import counts, execution, expect_error, make_things

RETRY = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]}


@pytest.fixture
def one_job(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document="{}", jobExecutionsRetryConfig=RETRY)
    return "j1"


# --- UpdateJob retries ----------------------------------------------------------------


@pytest.mark.parametrize("retries", [1, 2, 5])
def test_update_job_retries_other_than_zero_are_refused(iot, one_job, retries):
    """docs/live-service.md, "UpdateJob retries" (developer guide, job configurations)."""
    before = iot.describe_job(jobId="j1")["job"]
    config = {"criteriaList": [{"failureType": "ALL", "numberOfRetries": retries}]}
    message = expect_error("InvalidRequestException", 400, iot.update_job,
                           jobId="j1", jobExecutionsRetryConfig=config, description="changed")
    assert "can only be set to 0" in message
    assert iot.describe_job(jobId="j1")["job"] == before  # nothing changed


def test_update_job_retries_to_zero_is_accepted(iot, one_job):
    config = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 0}]}
    iot.update_job(jobId="j1", jobExecutionsRetryConfig=config)
    assert iot.describe_job(jobId="j1")["job"]["jobExecutionsRetryConfig"] == config


# --- Decisions where nothing settles the point --------------------------------------------


def test_device_receives_the_document_byte_for_byte(iot, jobs_data, thing):
    """Decision: the document as stored, not re-serialized."""
    document = '{ "b": 1.50,\n  "a": [1e3, "x"] }'
    iot.create_job(jobId="d", targets=[thing], document=document)
    started = jobs_data.start_next_pending_job_execution(thingName="dev1")["execution"]
    assert started["jobDocument"] == document
    assert iot.get_job_document(jobId="d")["document"] == document


@pytest.mark.parametrize("end", ["CANCELED", "COMPLETED"])
def test_update_job_of_a_finished_job_is_accepted(iot, jobs_data, thing, end):
    """Decision: UpdateJob of a CANCELED or COMPLETED job is accepted (it changes only the
    job's description and configuration, never its executions)."""
    iot.create_job(jobId="f", targets=[thing], document="{}")
    if end == "CANCELED":
        iot.cancel_job(jobId="f")
    else:
        jobs_data.update_job_execution(jobId="f", thingName="dev1", status="SUCCEEDED")
    iot.update_job(jobId="f", description="after the end")
    job = iot.describe_job(jobId="f")["job"]
    assert (job["status"], job["description"]) == (end, "after the end")


def test_empty_update_job_is_accepted_and_changes_only_last_updated(iot, thing):
    """Decision: an UpdateJob with nothing but jobId is accepted; it touches lastUpdatedAt."""
    iot.create_job(jobId="e", targets=[thing], document="{}", description="kept")
    before = iot.describe_job(jobId="e")["job"]
    iot.update_job(jobId="e")
    after = iot.describe_job(jobId="e")["job"]
    assert after["lastUpdatedAt"] >= before["lastUpdatedAt"]
    assert {k: v for k, v in after.items() if k != "lastUpdatedAt"} == {
        k: v for k, v in before.items() if k != "lastUpdatedAt"
    }


ABORT = {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                           "thresholdPercentage": 50, "minNumberOfExecutedThings": 2}]}


def test_canceled_and_removed_do_not_count_toward_abort(iot, jobs_data):
    """Decision: only SUCCEEDED, FAILED, REJECTED and TIMED_OUT executions are finished for
    abortConfig; a deletion does not re-run the abort check."""
    arns = make_things(iot, "a", "b", "c", "d")
    iot.create_job(jobId="ab", targets=arns, document="{}", abortConfig=ABORT)
    iot.cancel_job_execution(jobId="ab", thingName="a")
    iot.delete_thing(thingName="b")
    jobs_data.update_job_execution(jobId="ab", thingName="c", status="FAILED")
    # one finished execution (FAILED): under minNumberOfExecutedThings, so no abort
    assert iot.describe_job(jobId="ab")["job"]["status"] == "IN_PROGRESS"
    assert (counts(iot, "ab")["CANCELED"], counts(iot, "ab")["REMOVED"]) == (1, 1)
    jobs_data.update_job_execution(jobId="ab", thingName="d", status="SUCCEEDED")
    # two finished, one failed = 50%: the job is aborted
    assert iot.describe_job(jobId="ab")["job"]["status"] == "CANCELED"


def test_deleting_an_execution_does_not_rerun_the_abort_check(iot, jobs_data):
    arns = make_things(iot, "a", "b", "c")
    iot.create_job(jobId="ab", targets=arns, document="{}", abortConfig=ABORT)
    jobs_data.update_job_execution(jobId="ab", thingName="a", status="FAILED")
    jobs_data.update_job_execution(jobId="ab", thingName="b", status="SUCCEEDED")
    assert iot.describe_job(jobId="ab")["job"]["status"] == "CANCELED"  # 1 of 2 = 50%
    iot.create_job(jobId="ab2", targets=arns, document="{}", abortConfig={"criteriaList": [
        {**ABORT["criteriaList"][0], "thresholdPercentage": 60}]})
    jobs_data.update_job_execution(jobId="ab2", thingName="a", status="FAILED")
    jobs_data.update_job_execution(jobId="ab2", thingName="b", status="SUCCEEDED")
    iot.delete_job_execution(jobId="ab2", thingName="b", executionNumber=1)  # 1 of 1 now
    assert iot.describe_job(jobId="ab2")["job"]["status"] == "IN_PROGRESS"


def test_direct_queued_to_succeeded_has_no_started_at(iot, jobs_data, thing):
    """Decision: startedAt marks entering IN_PROGRESS; a QUEUED execution finished directly
    never started, so startedAt stays absent."""
    iot.create_job(jobId="s", targets=[thing], document="{}")
    jobs_data.update_job_execution(jobId="s", thingName="dev1", status="SUCCEEDED")
    ex = execution(iot, "s", "dev1")
    assert ex["status"] == "SUCCEEDED" and "startedAt" not in ex


def test_target_in_another_region_is_400(iot, thing):
    """Decision: a target ARN of another region is a malformed request (400), not 404."""
    other = thing.replace(":us-east-1:", ":eu-west-1:")
    message = expect_error("InvalidRequestException", 400, iot.create_job,
                           jobId="r", targets=[other], document="{}")
    assert "region us-east-1" in message
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="r")


def test_list_job_executions_for_job_is_newest_first(iot, jobs_data):
    """Decision: ListJobExecutionsForJob lists executions newest first (by creation)."""
    arns = make_things(iot, "a", "b", "c")
    iot.create_job(jobId="o", targets=arns, document="{}")
    listed = iot.list_job_executions_for_job(jobId="o")["executionSummaries"]
    assert [i["thingArn"].rsplit("/", 1)[1] for i in listed] == ["c", "b", "a"]
    jobs_data.update_job_execution(jobId="o", thingName="a", status="SUCCEEDED")  # no reorder
    listed = iot.list_job_executions_for_job(jobId="o")["executionSummaries"]
    assert [i["thingArn"].rsplit("/", 1)[1] for i in listed] == ["c", "b", "a"]


def test_error_body_has_no_type_member(iotjobs):
    """Decision: errors carry the code in the x-amzn-ErrorType header and the body holds only
    `message` (and modelled members); no `__type`."""
    response = requests.get("https://iot.us-east-1.amazonaws.com/jobs/missing")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    body = json.loads(response.text)
    assert "__type" not in body and body["message"]
