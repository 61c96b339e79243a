"""Fault injection in-process: counts, probabilities with a seed, planes, and no state change."""

from __future__ import annotations

import pytest
from botocore.config import Config

from moto_iotjobs import clear_faults, inject_fault
from moto_iotjobs.faults.api import list_faults

from .conftest import DOCUMENT

ONCE = Config(retries={"mode": "standard", "total_max_attempts": 1})


def test_next_n_calls_fail_then_succeed(iotjobs):
    iot = iotjobs.client("iot", config=ONCE)
    inject_fault("ListJobs", "ThrottlingException", count=2)
    for _ in range(2):
        with pytest.raises(iot.exceptions.ThrottlingException) as error:
            iot.list_jobs()
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert iot.list_jobs()["jobs"] == []
    assert list_faults() == []


def test_boto3_standard_retries_ride_through_throttling(iotjobs):
    device = iotjobs.client("iot-jobs-data", config=Config(retries={"mode": "standard", "total_max_attempts": 4}))
    inject_fault("GetPendingJobExecutions", "ThrottlingException", count=3)
    answer = device.get_pending_job_executions(thingName="t0")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 3


def test_device_plane_throttling_is_429(iotjobs):
    device = iotjobs.client("iot-jobs-data", config=ONCE)
    inject_fault("*", "ThrottlingException", plane="iot-jobs-data")
    with pytest.raises(device.exceptions.ThrottlingException) as error:
        device.get_pending_job_executions(thingName="t0")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert iotjobs.client("iot", config=ONCE).list_jobs()["jobs"] == []  # other plane untouched


def test_failed_call_changes_nothing(iotjobs, fleet):
    iot = iotjobs.client("iot", config=ONCE)
    inject_fault("CreateJob", "InternalFailureException")
    with pytest.raises(iot.exceptions.InternalFailureException) as error:
        iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert iot.list_jobs()["jobs"] == []
    assert iotjobs.notifications() == []


def test_probability_with_seed_is_reproducible(iotjobs):
    iot = iotjobs.client("iot", config=ONCE)

    def outcomes():
        clear_faults()
        inject_fault("ListJobs", "ServiceUnavailableException", probability=0.5, seed=42)
        seen = []
        for _ in range(20):
            try:
                iot.list_jobs()
                seen.append("ok")
            except iot.exceptions.ServiceUnavailableException:
                seen.append("503")
        return seen

    first, second = outcomes(), outcomes()
    assert first == second
    assert 3 < first.count("503") < 17


def test_other_operations_unaffected(iotjobs, fleet):
    iot = iotjobs.client("iot", config=ONCE)
    inject_fault("DeleteJob", "ThrottlingException")
    iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
    assert iot.describe_job(jobId="j")["job"]["jobId"] == "j"
    assert len(list_faults()) == 1


def test_unknown_error_rejected():
    with pytest.raises(ValueError, match="unknown error"):
        inject_fault("ListJobs", "NoSuchException")


def test_rules_do_not_outlive_the_mock(iotjobs):
    inject_fault("ListJobs", count=5)
    assert list_faults()


def test_a_new_mock_starts_without_rules(iotjobs):
    assert list_faults() == []


def test_unknown_operation_rejected_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown operation 'ListJob'") as error:
        inject_fault("ListJob")
    message = str(error.value)
    assert "ListJobs" in message and "UpdateJobExecution" in message
    assert list_faults() == []


def test_valid_names_depend_on_the_plane(iotjobs):
    # UpdateJobExecution exists only on the device plane, CreateJob only on the control plane
    with pytest.raises(ValueError, match="on plane 'iot'") as error:
        inject_fault("UpdateJobExecution", plane="iot")
    assert "CreateJob" in str(error.value)
    assert "UpdateJobExecution" not in str(error.value).split(";", 1)[1]
    with pytest.raises(ValueError, match="unknown operation 'CreateJob' on plane 'iot-jobs-data'"):
        inject_fault("CreateJob", plane="iot-jobs-data")
    # DescribeJobExecution is served on both planes
    assert inject_fault("DescribeJobExecution", plane="iot-jobs-data").operation == "DescribeJobExecution"
    assert inject_fault("DescribeJobExecution", plane="iot").operation == "DescribeJobExecution"


def test_a_moto_iot_operation_the_plugin_does_not_serve_is_rejected():
    # CreateThing is a real `iot` operation, but moto answers it, so a rule would never fire
    with pytest.raises(ValueError, match="unknown operation 'CreateThing'"):
        inject_fault("CreateThing", plane="iot")


def test_boto3_snake_case_names_are_aliases(iotjobs):
    iot = iotjobs.client("iot", config=ONCE)
    device = iotjobs.client("iot-jobs-data", config=ONCE)
    assert inject_fault("list_jobs").operation == "ListJobs"
    rule = inject_fault("get_pending_job_executions", plane="iot-jobs-data")
    assert rule.operation == "GetPendingJobExecutions"
    with pytest.raises(iot.exceptions.ThrottlingException):
        iot.list_jobs()
    with pytest.raises(device.exceptions.ThrottlingException):
        device.get_pending_job_executions(thingName="t0")
    assert list_faults() == []
    with pytest.raises(ValueError, match="unknown operation 'list_job'"):
        inject_fault("list_job")


def test_a_rule_is_scoped_to_one_account_and_region(iotjobs, monkeypatch):
    """A shared server's tenants: one tenant's fault must not hit another account or region."""
    inject_fault("ListJobs", "ThrottlingException", count=5, region_name="eu-west-1")
    inject_fault("ListJobs", "ThrottlingException", count=5, account_id="111111111111")
    assert iotjobs.client("iot", config=ONCE).list_jobs()["jobs"] == []  # us-east-1, default account
    with pytest.raises(iotjobs.client("iot", config=ONCE).exceptions.ThrottlingException):
        iotjobs.client("iot", region_name="eu-west-1", config=ONCE).list_jobs()
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111111111111")
    iot_other = iotjobs.client("iot", config=ONCE)
    with pytest.raises(iot_other.exceptions.ThrottlingException):
        iot_other.list_jobs()
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "222222222222")
    assert iotjobs.client("iot", config=ONCE).list_jobs()["jobs"] == []


def test_a_rule_for_every_account_and_region_only_when_asked(iotjobs):
    rule = inject_fault("ListJobs", "ThrottlingException", count=2, all_accounts_and_regions=True)
    assert (rule.account_id, rule.region_name) == (None, None)
    for region in ("us-east-1", "ap-south-1"):
        client = iotjobs.client("iot", region_name=region, config=ONCE)
        with pytest.raises(client.exceptions.ThrottlingException):
            client.list_jobs()
    with pytest.raises(ValueError, match="names no account or region"):
        inject_fault("ListJobs", all_accounts_and_regions=True, region_name="us-east-1")


def test_default_scope_follows_the_environment(iotjobs, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "333333333333")
    rule = inject_fault("ListJobs")
    assert (rule.account_id, rule.region_name) == ("333333333333", "eu-central-1")
