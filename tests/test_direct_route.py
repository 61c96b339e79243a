"""The direct route (#19): our operations straight from moto's stubber, moto's router for the
rest, and the same answers either way."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError
from moto import mock_aws

import moto_iotjobs
from moto_iotjobs.moto_integration import compat_router
from moto_iotjobs.moto_integration.compat import MotoCompatibilityError

REGION = "us-east-1"


@pytest.fixture
def route():
    """The installed direct route, with a count of the requests it left to moto's router."""
    installed = compat_router._installed
    assert installed is not None, "the direct route is installed at import"
    original = installed.original
    calls: list[str] = []

    def counting(request):
        calls.append(request.url)
        return original(request)

    installed.original = counting
    try:
        yield calls
    finally:
        installed.original = original


def _clients():
    return boto3.client("iot", region_name=REGION), boto3.client("iot-jobs-data", region_name=REGION)


def _answers(iot, jobs_data) -> list:
    """Read calls and refused calls of both planes, as boto3 returns them (no request ids)."""
    calls = [
        lambda: iot.describe_job(jobId="j1"),
        lambda: iot.describe_job_execution(jobId="j1", thingName="t1"),
        lambda: iot.list_jobs(maxResults=1),
        lambda: iot.list_job_executions_for_thing(thingName="t1"),
        lambda: jobs_data.describe_job_execution(jobId="j1", thingName="t1"),
        lambda: jobs_data.get_pending_job_executions(thingName="t1"),
        lambda: iot.describe_job(jobId="missing"),
        lambda: jobs_data.update_job_execution(jobId="j1", thingName="t1", status="IN_PROGRESS",
                                               expectedVersion=99),
        lambda: iot.describe_job(jobId="x" * 65),  # refused by the model's constraints
        lambda: iot.describe_thing(thingName="t1"),  # not ours: moto's IoT
    ]
    answers = []
    for call in calls:
        try:
            answer = call()
        except ClientError as error:
            answer = {"error": error.response["Error"], "status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
        answer.pop("ResponseMetadata", None)
        answers.append(answer)
    return answers


def test_our_operations_skip_moto_router_and_answer_as_through_it(route):
    with moto_iotjobs.mock_iotjobs():
        iot, jobs_data = _clients()
        arn = iot.create_thing(thingName="t1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document="{}")
        route.clear()
        direct = _answers(iot, jobs_data)
        assert len(route) == 1 and "/things/t1" in route[0], route  # only DescribeThing went to moto
        compat_router.uninstall_direct_route()
        try:
            through_moto = _answers(iot, jobs_data)
        finally:
            assert compat_router.install_direct_route(compat_router.registered_planes)
    assert direct == through_moto
    assert direct[6]["error"]["Code"] == "ResourceNotFoundException"
    assert direct[7]["status"] == 409
    assert direct[8]["error"]["Code"] == "InvalidRequestException"


def test_other_requests_take_moto_router(route):
    """CreateThing on the iot host, shadows on the iot-data host, and requests not from
    botocore (moto hands those over from `responses`) are left to moto."""
    with moto_iotjobs.mock_iotjobs():
        iot, _ = _clients()
        iot.create_thing(thingName="t1")
        data = boto3.client("iot-data", region_name=REGION)
        data.update_thing_shadow(thingName="t1", payload=b'{"state": {"reported": {"a": 1}}}')
        assert len(route) == 2


def test_a_streamed_body_that_is_not_ours_reaches_moto_unread():
    """A Publish on the Data-ATS host (a device-plane host) is not a jobs operation: its
    streamed payload must still reach moto's iot-data whole."""
    with moto_iotjobs.mock_iotjobs():
        iot, _ = _clients()
        host = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        data = boto3.client("iot-data", region_name=REGION, endpoint_url=f"https://{host}")
        data.publish(topic="a/b", payload=io.BytesIO(b"streamed payload"))
        from moto.iotdata.models import iotdata_backends

        published = iotdata_backends["123456789012"][REGION].published_payloads
        assert ("a/b", b"streamed payload") in [(t, p) for t, p in published]


def test_bytes_header_values_are_read_as_text():
    """botocore may hold bytes header values (moto decoded them in place before 5.2.5)."""
    with moto_iotjobs.mock_iotjobs():
        iot, _ = _clients()
        iot.meta.events.register_first(
            "before-send.iot.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", b"111122223333"))
        arn = iot.create_thing(thingName="t1")["thingArn"]
        job = iot.create_job(jobId="j1", targets=[arn], document="{}")
    assert job["jobArn"].startswith(f"arn:aws:iot:{REGION}:111122223333:job/")


def test_a_service_not_allowed_by_moto_is_refused_as_before():
    with mock_aws(config={"core": {"service_whitelist": ["iot"]}}):
        iot, _ = _clients()
        with pytest.raises(Exception, match="iotjobs"):
            iot.describe_job(jobId="j1")


def test_passthrough_urls_are_passed_through_as_moto_does():
    request = AWSPreparedRequest("GET", "https://iot.us-east-1.amazonaws.com/jobs/j1", {}, b"", False)
    from moto.core.models import botocore_stubber

    with mock_aws(config={"core": {"passthrough": {"urls": [r"https://iot\.us-east-1\..*"]}}}):
        assert botocore_stubber.process_request(request) is None


def test_recorded_requests_take_moto_router(route, tmp_path, monkeypatch):
    from moto.moto_api import recorder

    monkeypatch.setattr(recorder, "_location", str(tmp_path / "recording"))
    with moto_iotjobs.mock_iotjobs():
        iot, _ = _clients()
        arn = iot.create_thing(thingName="t1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document="{}")
        recorder.start_recording()
        try:
            route.clear()
            assert iot.describe_job(jobId="j1")["job"]["jobId"] == "j1"
        finally:
            recorder.stop_recording()
    assert len(route) == 1
    assert "/jobs/j1" in (tmp_path / "recording").read_text()


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("MOTO_IOTJOBS_DIRECT_ROUTE", "0")
    assert compat_router.install_direct_route(compat_router.registered_planes) is False


def test_a_stubber_that_no_longer_routes_through_process_request_is_named(monkeypatch):
    from moto.core.botocore_stubber import BotocoreStubber

    def call(self, event_name, request, **kwargs):
        return None

    monkeypatch.setattr(BotocoreStubber, "__call__", call)
    with pytest.raises(MotoCompatibilityError, match=r"moto \S+: moto's BotocoreStubber.__call__ no longer"):
        compat_router.check_direct_route()


def test_a_remembered_url_still_follows_moto_settings_changed_between_calls(route, monkeypatch):
    """The direct route remembers how a URL routes (#19); moto's settings are read per call."""
    from moto.core.models import botocore_stubber

    url = "https://iot.us-east-1.amazonaws.com/jobs/j1"

    def request() -> AWSPreparedRequest:
        return AWSPreparedRequest("GET", url, {}, b"", False)

    with moto_iotjobs.mock_iotjobs():
        for _ in range(2):  # the second call reads the remembered routing
            status, _, _ = botocore_stubber.process_request(request())
            assert status == 404
        assert route == []
        with mock_aws(config={"core": {"passthrough": {"urls": [r"https://iot\.us-east-1\..*"]}}}):
            assert botocore_stubber.process_request(request()) is None
        with mock_aws(config={"core": {"passthrough": {"urls": []}}}):
            assert botocore_stubber.process_request(request())[0] == 404
        assert route == []
        # moto reads an S3-compatible endpoint from the environment: this host becomes S3's
        monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "https://iot.us-east-1.amazonaws.com")
        botocore_stubber.process_request(request())
        assert route == [url]
        monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS")
        assert botocore_stubber.process_request(request())[0] == 404
        assert route == [url]
