"""How users switch the mock on: decorator, unittest class, context manager, nesting with
moto's `mock_aws`, the `iotjobs` pytest fixture; and moto's own IoT still working."""

from __future__ import annotations

import os
import unittest

import boto3
import pytest
from moto import mock_aws

from moto_iotjobs import jobs_backend, mock_iotjobs

from .conftest import DOCUMENT
from .helpers import expect_error

REGION = "us-east-1"


@pytest.fixture
def aws_env(monkeypatch):
    """Fake credentials for tests that switch the mock on themselves."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def create_job(job_id: str = "j1") -> None:
    iot = boto3.client("iot", region_name=REGION)
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document=DOCUMENT)


def job_ids() -> list[str]:
    return [j["jobId"] for j in boto3.client("iot", region_name=REGION).list_jobs()["jobs"]]


# --- decorator and context manager ----------------------------------------------------------


def test_decorator_on_a_function(aws_env):
    @mock_iotjobs
    def rollout() -> str:
        create_job()
        jobs = boto3.client("iot-jobs-data", region_name=REGION)
        return str(jobs.start_next_pending_job_execution(thingName="dev1")["execution"]["status"])

    assert rollout() == "IN_PROGRESS"


def test_decorated_function_keeps_its_name_and_arguments(aws_env):
    @mock_iotjobs
    def make(job_id: str) -> list[str]:
        create_job(job_id)
        return job_ids()

    assert make.__name__ == "make"
    assert make("named") == ["named"]


def test_context_manager(aws_env):
    with mock_iotjobs():
        create_job()
        assert job_ids() == ["j1"]


def test_state_is_reset_between_mocks(aws_env):
    with mock_iotjobs():
        create_job()
    with mock_iotjobs():
        assert job_ids() == []
        create_job()  # the same ids are free again
        assert job_ids() == ["j1"]


def test_decorated_functions_do_not_share_state(aws_env):
    @mock_iotjobs
    def run() -> list[str]:
        create_job()
        return job_ids()

    assert run() == ["j1"]
    assert run() == ["j1"]


@mock_iotjobs
class TestDecoratedTestCase(unittest.TestCase):
    """A unittest class under the decorator: each test starts from a clean state."""

    def setUp(self) -> None:
        self.iot = boto3.client("iot", region_name=REGION)
        self.thing = self.iot.create_thing(thingName="dev1")["thingArn"]

    def test_first(self) -> None:
        self.iot.create_job(jobId="shared", targets=[self.thing], document=DOCUMENT)
        self.assertEqual(job_ids(), ["shared"])

    def test_second(self) -> None:
        self.iot.create_job(jobId="shared", targets=[self.thing], document=DOCUMENT)
        self.assertEqual(job_ids(), ["shared"])

    def test_device_plane(self) -> None:
        self.iot.create_job(jobId="j1", targets=[self.thing], document=DOCUMENT)
        jobs = boto3.client("iot-jobs-data", region_name=REGION)
        queued = jobs.get_pending_job_executions(thingName="dev1")["queuedJobs"]
        self.assertEqual([q["jobId"] for q in queued], ["j1"])


# --- nesting with moto's mock_aws -----------------------------------------------------------


def test_mock_iotjobs_inside_mock_aws(aws_env):
    with mock_aws():
        create_job("outer")
        with mock_iotjobs():
            create_job_in_existing_registry("inner")
            assert job_ids() == ["inner", "outer"]
        # leaving the inner mock neither resets state nor switches mocking off
        assert job_ids() == ["inner", "outer"]
        iot = boto3.client("iot", region_name=REGION)
        assert iot.describe_job(jobId="outer")["job"]["status"] == "IN_PROGRESS"
        assert iot.describe_thing(thingName="dev1")["thingName"] == "dev1"


def test_mock_aws_inside_mock_iotjobs(aws_env):
    with mock_iotjobs():
        create_job("outer")
        with mock_aws():
            create_job_in_existing_registry("inner")
        assert job_ids() == ["inner", "outer"]
        jobs = boto3.client("iot-jobs-data", region_name=REGION)
        pending = jobs.get_pending_job_executions(thingName="dev1")["queuedJobs"]
        assert [q["jobId"] for q in pending] == ["outer", "inner"]


def test_mock_aws_inside_the_fixture(iotjobs, iot, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    with mock_aws():
        assert job_ids() == ["j1"]
    assert job_ids() == ["j1"]
    assert "j1" in iotjobs.backend().jobs


def test_plain_mock_aws_serves_jobs_once_the_plugin_is_imported(aws_env):
    with mock_aws():
        create_job()
        iot = boto3.client("iot", region_name=REGION)
        assert iot.describe_job(jobId="j1")["job"]["status"] == "IN_PROGRESS"
        jobs = boto3.client("iot-jobs-data", region_name=REGION)
        assert "execution" in jobs.start_next_pending_job_execution(thingName="dev1")


def create_job_in_existing_registry(job_id: str) -> None:
    iot = boto3.client("iot", region_name=REGION)
    arn = iot.describe_thing(thingName="dev1")["thingArn"]
    iot.create_job(jobId=job_id, targets=[arn], document=DOCUMENT)


# --- the iotjobs fixture --------------------------------------------------------------------


def test_fixture_sets_credentials_and_region(iotjobs):
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert os.environ["AWS_ACCESS_KEY_ID"]
    assert boto3.client("iot").list_jobs()["jobs"] == []


def test_fixture_backend_shows_job_state(iotjobs, iot, jobs_data, thing):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    backend = iotjobs.backend()
    job = backend.jobs["j1"]
    assert job.status == "IN_PROGRESS"
    assert backend.get_execution("dev1", "j1").status == "IN_PROGRESS"
    assert backend is jobs_backend("us-east-1", "123456789012")


def test_fixture_backend_by_region(iotjobs, thing):
    iotjobs.client("iot").create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    assert "j1" in iotjobs.backend(region_name="us-east-1").jobs
    assert iotjobs.backend(region_name="eu-west-1").jobs == {}


def test_fixture_backend_by_account(iotjobs, monkeypatch):
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    assert ":111122223333:" in arn
    iot.create_job(jobId="j1", targets=[arn], document=DOCUMENT)
    assert "j1" in iotjobs.backend(account_id="111122223333").jobs
    assert "j1" not in iotjobs.backend().jobs


def test_fixture_client_in_another_region(iotjobs):
    iot = iotjobs.client("iot", region_name="eu-west-1")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    assert arn.startswith("arn:aws:iot:eu-west-1:")
    iot.create_job(jobId="j1", targets=[arn], document=DOCUMENT)
    assert "j1" in iotjobs.backend(region_name="eu-west-1").jobs
    expect_error("ResourceNotFoundException", 404, iotjobs.client("iot").describe_job, jobId="j1")


# --- moto's own IoT keeps working -----------------------------------------------------------


def test_things_and_thing_types_still_served_by_moto(iot):
    iot.create_thing_type(thingTypeName="bulb")
    iot.create_thing(thingName="dev1", thingTypeName="bulb", attributePayload={"attributes": {"a": "1"}})
    iot.update_thing(thingName="dev1", attributePayload={"attributes": {"a": "2"}})
    thing = iot.describe_thing(thingName="dev1")
    assert (thing["thingTypeName"], thing["attributes"]) == ("bulb", {"a": "2"})
    assert [t["thingName"] for t in iot.list_things()["things"]] == ["dev1"]
    assert [t["thingTypeName"] for t in iot.list_thing_types()["thingTypes"]] == ["bulb"]
    iot.delete_thing(thingName="dev1")
    assert iot.list_things()["things"] == []


def test_thing_groups_still_served_by_moto(iot, fleet):
    groups = iot.list_thing_groups()["thingGroups"]
    assert [g["groupName"] for g in groups] == ["fleet"]
    members = iot.list_things_in_thing_group(thingGroupName="fleet")["things"]
    assert sorted(members) == ["t0", "t1", "t2"]
    iot.remove_thing_from_thing_group(thingGroupName="fleet", thingName="t0")
    assert sorted(iot.list_things_in_thing_group(thingGroupName="fleet")["things"]) == ["t1", "t2"]
    listed = iot.list_thing_groups_for_thing(thingName="t1")["thingGroups"]
    assert [g["groupName"] for g in listed] == ["fleet"]


def test_certificates_and_policies_still_served_by_moto(iot, thing):
    cert = iot.create_keys_and_certificate(setAsActive=True)
    iot.attach_thing_principal(thingName="dev1", principal=cert["certificateArn"])
    assert iot.list_thing_principals(thingName="dev1")["principals"] == [cert["certificateArn"]]
    iot.create_policy(policyName="p", policyDocument='{"Version": "2012-10-17", "Statement": []}')
    assert [p["policyName"] for p in iot.list_policies()["policies"]] == ["p"]


def test_describe_endpoint_is_stable_per_account(iot):
    """One address per account, as AWS gives (moto drew a random one on every call)."""
    address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert address.endswith("-ats.iot.us-east-1.amazonaws.com")
    assert iot.describe_endpoint()["endpointAddress"] == address  # the default type
    credentials = iot.describe_endpoint(endpointType="iot:CredentialProvider")["endpointAddress"]
    assert credentials == address.replace("-ats.iot.", ".credentials.iot.")


def test_account_follows_moto_account_id_set_and_unset_between_calls(iotjobs, monkeypatch):
    """The account comes from the environment as it is at each call (read without a copy)."""
    from unittest import mock

    iot = iotjobs.client("iot")

    def job_arn(job_id: str) -> str:
        arn = iot.create_thing(thingName=f"d-{job_id}")["thingArn"]
        return str(iot.create_job(jobId=job_id, targets=[arn], document=DOCUMENT)["jobArn"])

    assert ":123456789012:" in job_arn("j0")
    monkeypatch.setenv("MOTO_ACCOUNT_ID", "111122223333")
    assert ":111122223333:" in job_arn("j1")
    with mock.patch.dict("os.environ", {"MOTO_ACCOUNT_ID": "444455556666"}):
        assert ":444455556666:" in job_arn("j2")
    monkeypatch.delenv("MOTO_ACCOUNT_ID")
    assert ":123456789012:" in job_arn("j3")
