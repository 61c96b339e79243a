"""Job templates (custom and AWS-managed) and job documents (inline, S3, presigned URLs)."""

from __future__ import annotations

import json

import pytest

from .conftest import DOCUMENT


def test_job_from_custom_template_takes_document_and_config(iot, fleet):
    iot.create_job_template(
        jobTemplateId="tpl",
        description="firmware",
        document=DOCUMENT,
        timeoutConfig={"inProgressTimeoutInMinutes": 7},
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
    )
    arn = iot.describe_job_template(jobTemplateId="tpl")["jobTemplateArn"]
    iot.create_job(jobId="j", targets=[fleet], jobTemplateArn=arn, timeoutConfig={"inProgressTimeoutInMinutes": 3})
    job = iot.describe_job(jobId="j")["job"]
    assert job["jobTemplateArn"] == arn
    assert job["timeoutConfig"] == {"inProgressTimeoutInMinutes": 3}  # explicit wins
    assert job["jobExecutionsRetryConfig"]["criteriaList"][0]["numberOfRetries"] == 1
    assert iot.get_job_document(jobId="j")["document"] == DOCUMENT


def test_template_from_job_arn_and_duplicates(iot, fleet):
    created = iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT, timeoutConfig={"inProgressTimeoutInMinutes": 9})
    iot.create_job_template(jobTemplateId="from-job", description="copy", jobArn=created["jobArn"])
    template = iot.describe_job_template(jobTemplateId="from-job")
    assert template["document"] == DOCUMENT
    assert template["timeoutConfig"] == {"inProgressTimeoutInMinutes": 9}
    with pytest.raises(iot.exceptions.ConflictException) as error:
        iot.create_job_template(jobTemplateId="from-job", description="again", document=DOCUMENT)
    assert error.value.response["Error"]["Code"] == "ConflictException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_list_and_delete_job_templates_paged(iot):
    for i in range(5):
        iot.create_job_template(jobTemplateId=f"tpl-{i}", description=f"d{i}", document=DOCUMENT)
    pages = list(iot.get_paginator("list_job_templates").paginate(PaginationConfig={"PageSize": 2}))
    ids = [t["jobTemplateId"] for page in pages for t in page["jobTemplates"]]
    assert ids == [f"tpl-{i}" for i in reversed(range(5))]
    assert len(pages) == 3
    iot.delete_job_template(jobTemplateId="tpl-2")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job_template(jobTemplateId="tpl-2")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.delete_job_template(jobTemplateId="tpl-2")


def test_managed_templates_catalogue(iot):
    names = [t["templateName"] for t in iot.list_managed_job_templates()["managedJobTemplates"]]
    assert names == [
        "AWS-Download-File",
        "AWS-Install-Application",
        "AWS-Reboot",
        "AWS-Remove-Application",
        "AWS-Restart-Application",
        "AWS-Run-Command",
        "AWS-Start-Application",
        "AWS-Stop-Application",
    ]
    reboot = iot.describe_managed_job_template(templateName="AWS-Reboot")
    assert reboot["templateArn"] == "arn:aws:iot:us-east-1::jobtemplate/AWS-Reboot:1.0"
    assert {p["key"] for p in reboot["documentParameters"]} == {"runAsUser", "pathToHandler"}
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_managed_job_template(templateName="AWS-Nope")
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_managed_job_template(templateName="AWS-Reboot", templateVersion="9.9")


def test_job_from_managed_template_substitutes_parameters(iot, jobs_data, fleet):
    template = iot.describe_managed_job_template(templateName="AWS-Download-File")
    iot.create_job(
        jobId="dl",
        targets=[fleet],
        jobTemplateArn=template["templateArn"],
        documentParameters={"downloadUrl": "https://example.com/fw.bin", "filePath": "/tmp/fw.bin"},
    )
    document = json.loads(iot.get_job_document(jobId="dl")["document"])
    assert document["steps"][0]["action"]["input"]["args"] == ["https://example.com/fw.bin", "/tmp/fw.bin"]
    raw = iot.get_job_document(jobId="dl", beforeSubstitution=True)["document"]
    assert "${aws:iot:parameter:downloadUrl}" in raw
    assert iot.describe_job(jobId="dl")["job"]["documentParameters"]["filePath"] == "/tmp/fw.bin"
    device_document = jobs_data.start_next_pending_job_execution(thingName="t0")["execution"]["jobDocument"]
    assert "https://example.com/fw.bin" in device_document


def test_managed_template_parameters_validated(iot, fleet):
    arn = iot.describe_managed_job_template(templateName="AWS-Download-File")["templateArn"]
    with pytest.raises(iot.exceptions.InvalidRequestException) as missing:
        iot.create_job(jobId="a", targets=[fleet], jobTemplateArn=arn, documentParameters={"downloadUrl": "x"})
    assert "filePath" in str(missing.value)
    with pytest.raises(iot.exceptions.InvalidRequestException) as unknown:
        iot.create_job(
            jobId="b",
            targets=[fleet],
            jobTemplateArn=arn,
            documentParameters={"downloadUrl": "x", "filePath": "y", "bogus": "z"},
        )
    assert "bogus" in str(unknown.value)
    with pytest.raises(iot.exceptions.InvalidRequestException) as too_long:
        iot.create_job(
            jobId="c",
            targets=[fleet],
            jobTemplateArn=arn,
            documentParameters={"downloadUrl": "x", "filePath": "y", "runAsUser": "u" * 257},
        )
    assert "runAsUser" in str(too_long.value)
    with pytest.raises(iot.exceptions.InvalidRequestException):
        iot.create_job(jobId="d", targets=[fleet], document=DOCUMENT, documentParameters={"a": "b"})
    assert iot.list_jobs()["jobs"] == []


def test_document_source_read_from_moto_s3(iotjobs, iot, jobs_data, fleet):
    s3 = iotjobs.client("s3")
    s3.create_bucket(Bucket="firmware")
    s3.put_object(Bucket="firmware", Key="jobs/doc.json", Body=DOCUMENT.encode())
    source = "https://s3.amazonaws.com/firmware/jobs/doc.json"
    iot.create_job(jobId="j", targets=[fleet], documentSource=source)
    assert iot.get_job_document(jobId="j")["document"] == DOCUMENT
    assert iot.describe_job(jobId="j")["documentSource"] == source
    vhost = "https://firmware.s3.us-east-1.amazonaws.com/jobs/doc.json"
    iot.create_job(jobId="j2", targets=[fleet], documentSource=vhost)
    assert iot.get_job_document(jobId="j2")["document"] == DOCUMENT


def test_missing_document_source_is_invalid_request(iotjobs, iot, fleet):
    iotjobs.client("s3").create_bucket(Bucket="firmware")
    with pytest.raises(iot.exceptions.InvalidRequestException) as error:
        iot.create_job(jobId="j", targets=[fleet], documentSource="https://s3.amazonaws.com/firmware/none.json")
    assert "none.json" in str(error.value)
    assert iot.list_jobs()["jobs"] == []


def test_presigned_url_placeholders_replaced_for_devices_only(iot, jobs_data, fleet):
    document = json.dumps({"url": "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/firmware/fw.bin}"})
    iot.create_job(
        jobId="j",
        targets=[fleet],
        document=document,
        presignedUrlConfig={"roleArn": "arn:aws:iam::123456789012:role/S3Download", "expiresInSec": 600},
    )
    assert iot.get_job_document(jobId="j")["document"] == document
    received = json.loads(jobs_data.start_next_pending_job_execution(thingName="t0")["execution"]["jobDocument"])
    assert received["url"].startswith("https://firmware.s3.amazonaws.com/fw.bin?")
    assert "X-Amz-Expires=600" in received["url"]
    assert "X-Amz-Signature=" in received["url"]


def test_without_presigned_config_placeholders_are_refused(iot, jobs_data, fleet):
    """docs/live-service.md, "Job templates": the live service refuses such a job (it used
    to be accepted with the placeholder left as written)."""
    document = json.dumps({"url": "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/firmware/fw.bin}"})
    with pytest.raises(iot.exceptions.InvalidRequestException) as error:
        iot.create_job(jobId="j", targets=[fleet], document=document)
    assert error.value.response["Error"]["Message"] == (
        "Role must be provided for pre-sign S3 urls in job document of job j."
    )
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        iot.describe_job(jobId="j")
