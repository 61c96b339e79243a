"""Behaviour measured on the live service, each test naming its source in docs/live-service.md."""

from __future__ import annotations

import pytest
import requests

from .conftest import DOCUMENT


@pytest.mark.parametrize(
    ("endpoint_type", "message"),
    [
        (
            "iot:Jobs",
            "IoT Jobs and Commands APIs are now available through iot:Data-ATS endpoints "
            "instead of iot:Jobs endpoints. Please use iot:Data-ATS.",
        ),
        ("iot:Data", "iot:Data is not supported. Please use iot:Data-ATS instead."),
    ],
)
def test_retired_endpoint_types_are_refused(iot, endpoint_type, message):
    """docs/live-service.md, "Endpoints" (captured eu-north-1 / eu-central-1)."""
    with pytest.raises(iot.exceptions.InvalidRequestException) as caught:
        iot.describe_endpoint(endpointType=endpoint_type)
    assert caught.value.response["Error"]["Message"] == message
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_endpoint_type_is_refused(iot):
    with pytest.raises(iot.exceptions.InvalidRequestException, match="iot:Abc"):
        iot.describe_endpoint(endpointType="iot:Abc")


def test_data_ats_host_serves_jobs_beside_moto_iot_data(iotjobs, iot, thing):
    """docs/live-service.md, "Endpoints": the device plane answers on the Data-ATS host, and
    moto's iot-data operations (shadows, publish) keep working there."""
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    address = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    device = iotjobs.client("iot-jobs-data", endpoint_url=f"https://{address}")
    assert [q["jobId"] for q in device.get_pending_job_executions(thingName="dev1")["queuedJobs"]] == ["j1"]
    data = iotjobs.client("iot-data", endpoint_url=f"https://{address}")
    data.update_thing_shadow(thingName="dev1", payload=b'{"state": {"reported": {"fw": "1"}}}')
    shadow = data.get_thing_shadow(thingName="dev1")["payload"].read()
    assert b'"fw": "1"' in shadow or b'"fw":"1"' in shadow
    # botocore's default iot-data host is Data-ATS too
    default = iotjobs.client("iot-data")
    assert default.get_thing_shadow(thingName="dev1")["payload"].read() == shadow
    # and an unknown path there is still moto's to answer, not a jobs error
    response = requests.get(f"https://{address}/no-such-api")
    assert "iot-jobs-data operation" not in response.text


def test_every_error_carries_a_request_id(iot, jobs_data):
    """docs/live-service.md, "Request ids": AWS sends x-amzn-RequestId on errors too (the JS
    SDK's $metadata.requestId is read from it)."""
    seen = set()
    for call in (
        lambda: iot.describe_job(jobId="missing"),
        lambda: jobs_data.describe_job_execution(jobId="missing", thingName="dev1"),
        lambda: iot.list_jobs(maxResults=251),
    ):
        with pytest.raises(iot.exceptions.ClientError) as caught:
            call()
        request_id = caught.value.response["ResponseMetadata"].get("RequestId")
        assert request_id and len(request_id) == 36
        seen.add(request_id)
    assert len(seen) == 3


def test_success_request_ids_are_unique(iot):
    ids = {iot.list_jobs()["ResponseMetadata"]["RequestId"] for _ in range(3)}
    assert len(ids) == 3


def test_raw_error_response_has_the_header():
    with __import__("moto_iotjobs").mock_iotjobs():
        response = requests.get("https://iot.us-east-1.amazonaws.com/jobs/missing")
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert response.headers["x-amzn-RequestId"]


