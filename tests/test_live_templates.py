"""Issue #13, point 6: job templates as the live service behaves (docs/live-service.md,
"Job templates")."""

from __future__ import annotations

import json

import pytest

from .conftest import DOCUMENT
from .helpers import expect_error

PRESIGNED = json.dumps({"url": "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/firmware/fw.bin}"})
ROLE = {"roleArn": "arn:aws:iam::123456789012:role/S3Download", "expiresInSec": 600}


def test_job_arn_with_document_takes_the_given_document(iot, thing):
    job = iot.create_job(jobId="j", targets=[thing], document=DOCUMENT,
                         timeoutConfig={"inProgressTimeoutInMinutes": 9})
    replacement = json.dumps({"operation": "reboot"})
    iot.create_job_template(jobTemplateId="t", description="d", jobArn=job["jobArn"], document=replacement)
    template = iot.describe_job_template(jobTemplateId="t")
    assert template["document"] == replacement
    assert template["timeoutConfig"] == {"inProgressTimeoutInMinutes": 9}  # still the job's config
    assert "documentSource" not in template


def test_document_and_document_source_together_are_refused(iot):
    expect_error("InvalidRequestException", 400, iot.create_job_template, jobTemplateId="t",
                 description="d", document=DOCUMENT, documentSource="https://s3.amazonaws.com/b/k")
    expect_error("ResourceNotFoundException", 404, iot.describe_job_template, jobTemplateId="t")


def test_document_source_is_read_once_at_creation(iotjobs, iot):
    s3 = iotjobs.client("s3")
    s3.create_bucket(Bucket="firmware")
    s3.put_object(Bucket="firmware", Key="doc.json", Body=DOCUMENT.encode())
    source = "https://s3.amazonaws.com/firmware/doc.json"
    iot.create_job_template(jobTemplateId="t", description="d", documentSource=source)
    s3.put_object(Bucket="firmware", Key="doc.json", Body=b'{"changed": true}')
    template = iot.describe_job_template(jobTemplateId="t")
    assert (template["document"], template["documentSource"]) == (DOCUMENT, source)


def test_presigned_placeholder_without_role_refuses_a_template(iot):
    message = expect_error("InvalidRequestException", 400, iot.create_job_template,
                           jobTemplateId="t", description="d", document=PRESIGNED)
    assert message == "Role must be provided for pre-sign S3 urls in job document of job template t."
    expect_error("ResourceNotFoundException", 404, iot.describe_job_template, jobTemplateId="t")
    iot.create_job_template(jobTemplateId="t", description="d", document=PRESIGNED, presignedUrlConfig=ROLE)
    assert iot.describe_job_template(jobTemplateId="t")["presignedUrlConfig"] == ROLE


def test_presigned_placeholder_without_role_refuses_a_job(iot, thing):
    message = expect_error("InvalidRequestException", 400, iot.create_job,
                           jobId="p", targets=[thing], document=PRESIGNED,
                           presignedUrlConfig={"expiresInSec": 600})
    assert message == "Role must be provided for pre-sign S3 urls in job document of job p."
    iot.create_job(jobId="p", targets=[thing], document=PRESIGNED, presignedUrlConfig=ROLE)


@pytest.mark.parametrize("call", ["describe", "delete"])
def test_template_not_found_text(iot, call):
    operation = iot.describe_job_template if call == "describe" else iot.delete_job_template
    message = expect_error("ResourceNotFoundException", 404, operation, jobTemplateId="nope")
    assert message == "Job Template nope cannot be found."


def test_template_already_exists_text(iot):
    iot.create_job_template(jobTemplateId="t", description="d", document=DOCUMENT)
    message = expect_error("ConflictException", 409, iot.create_job_template,
                           jobTemplateId="t", description="again", document=DOCUMENT)
    assert message == "Job Template t already exists."
