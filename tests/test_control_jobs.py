"""CreateJob, DescribeJob, UpdateJob, CancelJob, DeleteJob, GetJobDocument and
AssociateTargetsWithJob on the `iot` control plane."""

from __future__ import annotations

import json

import pytest

from .conftest import DOCUMENT
from .helpers import (
    COUNTERS,
    counts,
    execution,
    expect_error,
    group_arn,
    make_group,
    make_things,
    nonzero,
    status_of,
    thing_arn,
)

# --- CreateJob ------------------------------------------------------------------------------


def test_create_job_returns_arn_id_and_description(iot, thing):
    out = iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="first")
    assert out["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/j1"
    assert out["jobId"] == "j1"
    assert out["description"] == "first"


def test_create_job_without_description_omits_it(iot, thing):
    out = iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert "description" not in out


def test_new_job_is_in_progress_and_snapshot_by_default(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "IN_PROGRESS"
    assert job["targetSelection"] == "SNAPSHOT"
    assert job["targets"] == [thing]
    assert job["isConcurrent"] is False


def test_new_execution_is_queued_with_version_and_execution_number_one(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    ex = execution(iot, "j1", "dev1")
    assert ex["status"] == "QUEUED"
    assert ex["versionNumber"] == 1
    assert ex["executionNumber"] == 1
    assert "startedAt" not in ex


def test_job_process_details_has_all_eight_counters(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    details = iot.describe_job(jobId="j1")["job"]["jobProcessDetails"]
    assert set(details) == set(COUNTERS.values())
    assert details["numberOfQueuedThings"] == 3
    assert sum(details.values()) == 3


def test_create_continuous_job(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT, targetSelection="CONTINUOUS")
    assert iot.describe_job(jobId="j1")["job"]["targetSelection"] == "CONTINUOUS"


def test_unset_configs_come_back_as_empty_objects(iot, thing):
    """Live capture (docs/live-service.md, DescribeJob shape): timeoutConfig and
    schedulingConfig are {} when unset; abortConfig is omitted."""
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    job = iot.describe_job(jobId="j1")["job"]
    assert job["presignedUrlConfig"] == {}
    assert job["jobExecutionsRolloutConfig"] == {}
    assert job["timeoutConfig"] == {}
    assert job["schedulingConfig"] == {}
    for absent in ("abortConfig", "jobExecutionsRetryConfig", "description", "completedAt",
                   "forceCanceled", "reasonCode", "comment", "namespaceId"):
        assert absent not in job


def test_create_job_keeps_every_configuration(iot, thing):
    rollout = {"maximumPerMinute": 50}
    abort = {"criteriaList": [{"failureType": "FAILED", "action": "CANCEL",
                               "thresholdPercentage": 50.0, "minNumberOfExecutedThings": 2}]}
    timeout = {"inProgressTimeoutInMinutes": 30}
    retry = {"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]}
    presigned = {"roleArn": "arn:aws:iam::123456789012:role/s3-access", "expiresInSec": 600}
    iot.create_job(
        jobId="j1", targets=[thing], document=DOCUMENT, description="d",
        jobExecutionsRolloutConfig=rollout, abortConfig=abort, timeoutConfig=timeout,
        jobExecutionsRetryConfig=retry, presignedUrlConfig=presigned, namespaceId="ns1",
        tags=[{"Key": "k", "Value": "v"}],
    )
    job = iot.describe_job(jobId="j1")["job"]
    assert job["jobExecutionsRolloutConfig"] == rollout
    assert job["abortConfig"] == abort
    assert job["timeoutConfig"] == timeout
    assert job["jobExecutionsRetryConfig"] == retry
    assert job["presignedUrlConfig"] == presigned
    assert job["namespaceId"] == "ns1"
    assert job["description"] == "d"


def test_duplicate_job_id_is_rejected_with_409(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    with pytest.raises(iot.exceptions.ResourceAlreadyExistsException) as info:
        iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert response["resourceId"] == "j1"
    assert response["resourceArn"] == "arn:aws:iot:us-east-1:123456789012:job/j1"


def test_target_thing_that_does_not_exist_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.create_job,
                 jobId="j1", targets=[thing_arn("ghost")], document=DOCUMENT)


def test_target_group_that_does_not_exist_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.create_job,
                 jobId="j1", targets=[group_arn("ghosts")], document=DOCUMENT)


@pytest.mark.parametrize(
    "target",
    [
        "not-an-arn",
        "arn:aws:iot:us-east-1:123456789012:job/other",
        "arn:aws:s3:::bucket/thing/dev1",
        "arn:aws:iot:us-east-1:123456789012:thing/",
    ],
)
def test_malformed_target_arn_is_400(iot, thing, target):
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[target], document=DOCUMENT)


def test_target_of_another_account_is_400(iot, thing):
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[thing_arn("dev1", account="210987654321")], document=DOCUMENT)


def test_target_of_another_region_is_400(iot, thing):
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[thing_arn("dev1", region="eu-west-1")], document=DOCUMENT)


def test_rejected_create_job_creates_nothing(iot, thing):
    expect_error("ResourceNotFoundException", 404, iot.create_job,
                 jobId="j1", targets=[thing, thing_arn("ghost")], document=DOCUMENT)
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="j1")
    assert iot.list_job_executions_for_thing(thingName="dev1")["executionSummaries"] == []
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)


@pytest.mark.parametrize("document", ["not json", "[1, 2]", '"a string"', "42", "{"])
def test_document_must_be_a_json_object(iot, thing, document):
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[thing], document=document)


def test_document_of_32_kb_is_accepted(iot, thing):
    document = json.dumps({"pad": "x" * (32 * 1024 - 11)})
    assert len(document.encode()) == 32 * 1024
    iot.create_job(jobId="j1", targets=[thing], document=document)
    assert iot.get_job_document(jobId="j1")["document"] == document


def test_document_over_32_kb_of_utf8_is_400(iot, thing):
    # under the model's 32768-character limit, but more than 32 KB once encoded
    document = json.dumps({"pad": "é" * 16400}, ensure_ascii=False)
    assert len(document) <= 32768 < len(document.encode())
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[thing], document=document)


def test_document_and_document_source_together_is_400(iot, thing):
    expect_error("InvalidRequestException", 400, iot.create_job,
                 jobId="j1", targets=[thing], document=DOCUMENT,
                 documentSource="https://s3.amazonaws.com/bucket/job.json")


def test_job_without_any_document_is_400(iot, thing):
    expect_error("InvalidRequestException", 400, iot.create_job, jobId="j1", targets=[thing])


def test_document_source_is_read_from_s3(iotjobs, iot, thing):
    s3 = iotjobs.client("s3")
    s3.create_bucket(Bucket="jobs-bucket")
    s3.put_object(Bucket="jobs-bucket", Key="job.json", Body=DOCUMENT.encode())
    source = "https://s3.amazonaws.com/jobs-bucket/job.json"
    iot.create_job(jobId="j1", targets=[thing], documentSource=source)
    assert iot.get_job_document(jobId="j1")["document"] == DOCUMENT
    described = iot.describe_job(jobId="j1")
    assert described["documentSource"] == source


def test_inline_document_job_has_no_document_source(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert "documentSource" not in iot.describe_job(jobId="j1")


def test_snapshot_job_reaching_no_thing_completes_at_once(iot):
    empty = make_group(iot, "empty")
    iot.create_job(jobId="j1", targets=[empty], document=DOCUMENT)
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "COMPLETED"
    assert "completedAt" in job


def test_continuous_job_reaching_no_thing_stays_in_progress(iot):
    empty = make_group(iot, "empty")
    iot.create_job(jobId="j1", targets=[empty], document=DOCUMENT, targetSelection="CONTINUOUS")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "IN_PROGRESS"
    assert "completedAt" not in job


# --- DescribeJob ----------------------------------------------------------------------------


def test_describe_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="nope")


def test_describe_job_has_arn_and_timestamps(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    job = iot.describe_job(jobId="j1")["job"]
    assert job["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/j1"
    assert job["createdAt"] <= job["lastUpdatedAt"]
    assert "completedAt" not in job


def test_describe_job_before_substitution_is_accepted(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert iot.describe_job(jobId="j1", beforeSubstitution=True)["job"]["jobId"] == "j1"


def test_completed_job_has_completed_at(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["completedAt"] >= job["createdAt"]


# --- UpdateJob ------------------------------------------------------------------------------


def test_update_job_changes_description_and_configs(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="old")
    before = iot.describe_job(jobId="j1")["job"]
    out = iot.update_job(
        jobId="j1", description="new",
        jobExecutionsRolloutConfig={"maximumPerMinute": 10},
        timeoutConfig={"inProgressTimeoutInMinutes": 60},
        presignedUrlConfig={"roleArn": "arn:aws:iam::123456789012:role/r", "expiresInSec": 120},
        abortConfig={"criteriaList": [{"failureType": "ALL", "action": "CANCEL",
                                       "thresholdPercentage": 10.0, "minNumberOfExecutedThings": 1}]},
        # after creation retries can only be set to 0 (docs/live-service.md, "UpdateJob retries")
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 0}]},
    )
    assert set(out) == {"ResponseMetadata"}
    job = iot.describe_job(jobId="j1")["job"]
    assert job["description"] == "new"
    assert job["jobExecutionsRolloutConfig"] == {"maximumPerMinute": 10}
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 60}
    assert job["presignedUrlConfig"]["expiresInSec"] == 120
    assert job["abortConfig"]["criteriaList"][0]["failureType"] == "ALL"
    assert job["jobExecutionsRetryConfig"]["criteriaList"][0]["numberOfRetries"] == 0
    assert job["lastUpdatedAt"] >= before["lastUpdatedAt"]


def test_update_job_leaves_omitted_members_alone(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="keep",
                   timeoutConfig={"inProgressTimeoutInMinutes": 5})
    iot.update_job(jobId="j1", jobExecutionsRolloutConfig={"maximumPerMinute": 3})
    job = iot.describe_job(jobId="j1")["job"]
    assert job["description"] == "keep"
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 5}


def test_update_job_in_its_namespace(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, namespaceId="ns1")
    iot.update_job(jobId="j1", description="x", namespaceId="ns1")
    assert iot.describe_job(jobId="j1")["job"]["description"] == "x"


def test_update_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.update_job, jobId="nope", description="x")


# --- CancelJob ------------------------------------------------------------------------------


def test_cancel_job_returns_arn_id_and_description(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="d")
    out = iot.cancel_job(jobId="j1")
    assert (out["jobArn"], out["jobId"], out["description"]) == (
        "arn:aws:iot:us-east-1:123456789012:job/j1", "j1", "d")


def test_cancel_job_cancels_queued_and_leaves_in_progress(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.cancel_job(jobId="j1")
    assert iot.describe_job(jobId="j1")["job"]["status"] == "CANCELED"
    assert status_of(iot, "j1", "t0") == "IN_PROGRESS"
    assert status_of(iot, "j1", "t1") == "CANCELED"
    assert nonzero(iot, "j1") == {"IN_PROGRESS": 1, "CANCELED": 2}


def test_cancel_job_keeps_reason_code_and_comment(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job(jobId="j1", reasonCode="BAD_BUILD_7", comment="rolled back")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["reasonCode"] == "BAD_BUILD_7"
    assert job["comment"] == "rolled back"
    assert job["forceCanceled"] is False
    assert "completedAt" not in job


def test_force_cancel_job_cancels_in_progress_executions(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.cancel_job(jobId="j1", force=True)
    assert iot.describe_job(jobId="j1")["job"]["forceCanceled"] is True
    ex = execution(iot, "j1", "t0")
    assert ex["status"] == "CANCELED"
    assert ex["forceCanceled"] is True
    assert nonzero(iot, "j1") == {"CANCELED": 3}


def test_cancel_job_leaves_terminal_executions_alone(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="t0", status="SUCCEEDED")
    jobs_data.update_job_execution(jobId="j1", thingName="t1", status="FAILED")
    iot.cancel_job(jobId="j1", force=True)
    assert nonzero(iot, "j1") == {"SUCCEEDED": 1, "FAILED": 1, "CANCELED": 1}


def test_cancel_completed_job_is_400(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    expect_error("InvalidRequestException", 400, iot.cancel_job, jobId="j1")
    expect_error("InvalidRequestException", 400, iot.cancel_job, jobId="j1", force=True)
    assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"


def test_cancel_canceled_job_again_without_force_is_400(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job(jobId="j1")
    expect_error("InvalidRequestException", 400, iot.cancel_job, jobId="j1")


def test_force_cancel_of_canceled_job_cancels_remaining_in_progress(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    iot.cancel_job(jobId="j1")
    assert status_of(iot, "j1", "t0") == "IN_PROGRESS"
    iot.cancel_job(jobId="j1", force=True)
    ex = execution(iot, "j1", "t0")
    assert (ex["status"], ex["forceCanceled"]) == ("CANCELED", True)
    job = iot.describe_job(jobId="j1")["job"]
    assert (job["status"], job["forceCanceled"]) == ("CANCELED", True)


def test_canceled_job_stays_canceled_when_last_execution_finishes(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    iot.cancel_job(jobId="j1")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "CANCELED"
    assert "completedAt" not in job
    assert nonzero(iot, "j1") == {"SUCCEEDED": 1}


def test_cancel_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.cancel_job, jobId="nope")


# --- DeleteJob ------------------------------------------------------------------------------


def test_delete_in_progress_job_without_force_is_409(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("InvalidStateTransitionException", 409, iot.delete_job, jobId="j1")
    assert iot.describe_job(jobId="j1")["job"]["status"] == "IN_PROGRESS"
    assert status_of(iot, "j1", "dev1") == "QUEUED"


def test_force_delete_removes_job_and_its_executions(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    assert iot.delete_job(jobId="j1", force=True)["ResponseMetadata"]["HTTPStatusCode"] == 200
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="j1")
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="j1", thingName="t0")
    assert iot.list_job_executions_for_thing(thingName="t0")["executionSummaries"] == []
    assert jobs_data.get_pending_job_executions(thingName="t0")["inProgressJobs"] == []
    assert iot.list_jobs()["jobs"] == []


def test_completed_job_deletes_without_force(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="SUCCEEDED")
    iot.delete_job(jobId="j1")
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="j1")


def test_canceled_job_deletes_without_force(iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    iot.cancel_job(jobId="j1")
    iot.delete_job(jobId="j1")
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="j1")


def test_job_id_can_be_reused_after_delete(iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT, description="old")
    jobs_data.update_job_execution(jobId="j1", thingName="dev1", status="FAILED")
    iot.delete_job(jobId="j1")
    iot.create_job(jobId="j1", targets=[thing], document='{"v": 2}', description="new")
    job = iot.describe_job(jobId="j1")["job"]
    assert (job["status"], job["description"]) == ("IN_PROGRESS", "new")
    ex = execution(iot, "j1", "dev1")
    assert (ex["status"], ex["executionNumber"], ex["versionNumber"]) == ("QUEUED", 1, 1)
    assert iot.get_job_document(jobId="j1")["document"] == '{"v": 2}'


def test_delete_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.delete_job, jobId="nope")


# --- GetJobDocument -------------------------------------------------------------------------


def test_get_job_document_returns_document_as_given(iot, thing):
    document = '\n{\n    "operation":"customJob",\n    "otherInfo":"someValue"\n}\n'
    iot.create_job(jobId="j1", targets=[thing], document=document)
    assert iot.get_job_document(jobId="j1")["document"] == document


def test_get_job_document_of_unknown_job_is_404(iot):
    expect_error("ResourceNotFoundException", 404, iot.get_job_document, jobId="nope")


# --- AssociateTargetsWithJob ----------------------------------------------------------------


@pytest.fixture
def continuous(iot):
    """A CONTINUOUS job `cj` on group `g1` (thing a1); a second group `g2` (things b1, b2)."""
    make_things(iot, "a1", "b1", "b2")
    g1 = make_group(iot, "g1", ("a1",))
    make_group(iot, "g2", ("b1", "b2"))
    iot.create_job(jobId="cj", targets=[g1], document=DOCUMENT, targetSelection="CONTINUOUS",
                   description="continuous")
    return "cj"


def test_associate_group_queues_its_things(iot, continuous):
    out = iot.associate_targets_with_job(jobId="cj", targets=[group_arn("g2")])
    assert (out["jobArn"], out["jobId"], out["description"]) == (
        "arn:aws:iot:us-east-1:123456789012:job/cj", "cj", "continuous")
    assert iot.describe_job(jobId="cj")["job"]["targets"] == [group_arn("g1"), group_arn("g2")]
    assert status_of(iot, "cj", "b1") == "QUEUED"
    assert status_of(iot, "cj", "b2") == "QUEUED"
    assert nonzero(iot, "cj") == {"QUEUED": 3}


def test_associate_does_not_duplicate_an_existing_execution(iot, jobs_data, continuous):
    iot.add_thing_to_thing_group(thingGroupName="g2", thingName="a1")
    jobs_data.start_next_pending_job_execution(thingName="a1")
    iot.associate_targets_with_job(jobId="cj", targets=[group_arn("g2")])
    ex = execution(iot, "cj", "a1")
    assert (ex["status"], ex["executionNumber"]) == ("IN_PROGRESS", 1)
    assert nonzero(iot, "cj") == {"IN_PROGRESS": 1, "QUEUED": 2}


def test_associate_with_snapshot_job_is_400(iot, fleet):
    make_group(iot, "other")
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    expect_error("InvalidRequestException", 400, iot.associate_targets_with_job,
                 jobId="j1", targets=[group_arn("other")])


def test_associate_with_canceled_continuous_job_is_400(iot, continuous):
    iot.cancel_job(jobId="cj")
    expect_error("InvalidRequestException", 400, iot.associate_targets_with_job,
                 jobId="cj", targets=[group_arn("g2")])
    assert iot.describe_job(jobId="cj")["job"]["targets"] == [group_arn("g1")]


def test_associate_thing_target_is_400(iot, continuous):
    expect_error("InvalidRequestException", 400, iot.associate_targets_with_job,
                 jobId="cj", targets=[thing_arn("b1")])
    expect_error("ResourceNotFoundException", 404, iot.describe_job_execution,
                 jobId="cj", thingName="b1")


def test_associate_unknown_group_is_404(iot, continuous):
    expect_error("ResourceNotFoundException", 404, iot.associate_targets_with_job,
                 jobId="cj", targets=[group_arn("ghosts")])


def test_associate_with_unknown_job_is_404(iot, continuous):
    expect_error("ResourceNotFoundException", 404, iot.associate_targets_with_job,
                 jobId="nope", targets=[group_arn("g2")])


def test_more_than_100_targets_in_total_is_410(iot, continuous):
    groups = [make_group(iot, f"many{i}") for i in range(100)]
    iot.associate_targets_with_job(jobId="cj", targets=groups[:99])
    assert len(iot.describe_job(jobId="cj")["job"]["targets"]) == 100
    expect_error("LimitExceededException", 410, iot.associate_targets_with_job,
                 jobId="cj", targets=groups[99:])
    assert len(iot.describe_job(jobId="cj")["job"]["targets"]) == 100


def test_job_process_details_agree_with_execution_list(iot, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    listed = iot.list_job_executions_for_job(jobId="j1")["executionSummaries"]
    assert counts(iot, "j1")["QUEUED"] == len(listed) == 3
