"""Jobs that deploy package versions: destinationPackageVersions checks, package
placeholders substituted in the document a device receives, and the `$package` shadow a
SUCCEEDED execution writes when version updates by jobs are enabled (a package-driven OTA)."""

from __future__ import annotations

import json

import pytest

from .helpers import ACCOUNT, REGION, expect_error, thing_arn

ROLE = f"arn:aws:iam::{ACCOUNT}:role/package-updates"


def version_arn(package: str, version: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:iot:{region}:{account}:package/{package}/version/{version}"


@pytest.fixture
def iot_data(iotjobs):
    return iotjobs.client("iot-data")


@pytest.fixture
def catalog(iot):
    """Package fw: 1.0 (PUBLISHED, the default), 2.0 (PUBLISHED), 3.0 (DRAFT)."""
    iot.create_package(packageName="fw")
    for name, checksum in (("1.0", "aaa"), ("2.0", "bbb"), ("3.0", "ccc")):
        iot.create_package_version(
            packageName="fw", versionName=name,
            attributes={"checksum": checksum, "channel": "stable"},
            artifact={"s3Location": {"bucket": "firmware", "key": f"fw-{name}.bin", "version": "1"}},
        )
    for name in ("1.0", "2.0"):
        iot.update_package_version(packageName="fw", versionName=name, action="PUBLISH")
    iot.update_package(packageName="fw", defaultVersionName="1.0")
    iot.create_package(packageName="agent")
    iot.create_package_version(packageName="agent", versionName="7")
    iot.update_package_version(packageName="agent", versionName="7", action="PUBLISH")


def enable_version_updates(iot) -> None:
    iot.update_package_configuration(versionUpdateByJobsConfig={"enabled": True, "roleArn": ROLE})


DOCUMENT = json.dumps({
    "operation": "install",
    "checksum": "${aws:iot:package:fw:version:2.0:attributes:checksum}",
    "all": "${aws:iot:package:fw:version:2.0:attributes}",
    "url": "${aws:iot:package:fw:version:2.0:artifact-location:s3-presigned-url}",
})


def test_package_driven_ota(iot, jobs_data, iot_data, thing, catalog):
    enable_version_updates(iot)
    iot.create_job(jobId="ota", targets=[thing], document=DOCUMENT,
                   destinationPackageVersions=[version_arn("fw", "2.0")],
                   presignedUrlConfig={"expiresInSec": 600})
    assert iot.describe_job(jobId="ota")["job"]["destinationPackageVersions"] == [version_arn("fw", "2.0")]
    assert iot.get_job_document(jobId="ota", beforeSubstitution=True)["document"] == DOCUMENT
    control = json.loads(iot.get_job_document(jobId="ota")["document"])
    assert control["checksum"] == "bbb"
    assert control["all"] == {"checksum": "bbb", "channel": "stable"}
    assert control["url"].startswith("${aws:iot:package:")  # never presigned for the control plane

    execution = jobs_data.start_next_pending_job_execution(thingName="dev1")["execution"]
    received = json.loads(execution["jobDocument"])
    assert received["checksum"] == "bbb" and received["all"]["channel"] == "stable"
    assert "firmware" in received["url"] and "fw-2.0.bin" in received["url"] and "Signature" in received["url"]
    expect_error("ResourceNotFoundException", 404, iot_data.get_thing_shadow, thingName="dev1",
                 shadowName="$package")  # nothing reported before success
    jobs_data.update_job_execution(jobId="ota", thingName="dev1", status="SUCCEEDED")
    shadow = json.loads(iot_data.get_thing_shadow(thingName="dev1", shadowName="$package")["payload"].read())
    assert shadow["state"]["reported"] == {"fw": {"version": "2.0"}}


def test_default_and_uninstall_destinations(iot, jobs_data, iot_data, thing, catalog):
    enable_version_updates(iot)
    iot.create_job(jobId="j", targets=[thing], document='{"a": "${aws:iot:package::version::attributes:checksum}"}'
                   .replace("package::version::attributes", "package:fw:version:$default:attributes"),
                   destinationPackageVersions=[version_arn("fw", "$default"), version_arn("agent", "$null")])
    assert json.loads(iot.get_job_document(jobId="j")["document"]) == {"a": "aaa"}
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j", thingName="dev1", status="SUCCEEDED")
    shadow = json.loads(iot_data.get_thing_shadow(thingName="dev1", shadowName="$package")["payload"].read())
    assert shadow["state"]["reported"] == {"fw": {"version": "1.0"}}  # null removes agent


def test_single_destination_shorthand(iot, thing, catalog):
    iot.create_job(jobId="j", targets=[thing],
                   document='{"c": "${aws:iot:package::version::attributes:checksum}"}',
                   destinationPackageVersions=[version_arn("fw", "2.0")])
    assert json.loads(iot.get_job_document(jobId="j")["document"]) == {"c": "bbb"}
    expect_error("InvalidRequestException", 400, iot.create_job, jobId="k", targets=[thing],
                 document='{"c": "${aws:iot:package::version::attributes:checksum}"}',
                 destinationPackageVersions=[version_arn("fw", "2.0"), version_arn("agent", "7")])


def test_no_shadow_write_when_version_updates_are_disabled(iot, jobs_data, iot_data, thing, catalog):
    iot.create_job(jobId="j", targets=[thing], document="{}",
                   destinationPackageVersions=[version_arn("fw", "2.0")])
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j", thingName="dev1", status="SUCCEEDED")
    expect_error("ResourceNotFoundException", 404, iot_data.get_thing_shadow, thingName="dev1",
                 shadowName="$package")


def test_failed_execution_writes_no_shadow(iot, jobs_data, iot_data, thing, catalog):
    enable_version_updates(iot)
    iot.create_job(jobId="j", targets=[thing], document="{}",
                   destinationPackageVersions=[version_arn("fw", "2.0")])
    jobs_data.start_next_pending_job_execution(thingName="dev1")
    jobs_data.update_job_execution(jobId="j", thingName="dev1", status="FAILED")
    expect_error("ResourceNotFoundException", 404, iot_data.get_thing_shadow, thingName="dev1",
                 shadowName="$package")


@pytest.mark.parametrize("destinations, document, fragment", [
    ([version_arn("fw", "3.0")], "{}", "DRAFT"),
    ([version_arn("fw", "9.9")], "{}", "does not exist"),
    ([version_arn("nope", "1.0")], "{}", "does not exist"),
    ([version_arn("agent", "$default")], "{}", "no default version"),
    ([version_arn("fw", "2.0", account="999999999999")], "{}", "account"),
    ([version_arn("fw", "2.0", region="eu-west-1")], "{}", "account"),
    ([f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/dev1"], "{}", "package version ARN"),
    ([version_arn("fw", "1.0"), version_arn("fw", "2.0")], "{}", "more than once"),
    ([version_arn("agent", "7")], '{"x": "${aws:iot:package:fw:version:2.0:attributes:checksum}"}',
     "not in destinationPackageVersions"),
    ([], '{"x": "${aws:iot:package:fw:version:2.0:attributes:checksum}"}', "destinationPackageVersions"),
    ([version_arn("fw", "2.0")] * 26, "{}", "at most 25"),
])
def test_create_job_refuses_bad_destinations(iot, thing, catalog, destinations, document, fragment):
    message = expect_error("InvalidRequestException", 400, iot.create_job, jobId="bad", targets=[thing],
                           document=document, destinationPackageVersions=destinations)
    assert fragment in message
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="bad")


def test_deprecated_versions_deploy(iot, thing, catalog):
    iot.update_package_version(packageName="fw", versionName="2.0", action="DEPRECATE")
    iot.create_job(jobId="j", targets=[thing], document="{}",
                   destinationPackageVersions=[version_arn("fw", "2.0")])


def test_job_template_destinations(iot, jobs_data, iot_data, catalog):
    enable_version_updates(iot)
    iot.create_thing(thingName="dev2")
    template = iot.create_job_template(
        jobTemplateId="ota-tpl", description="OTA", document=DOCUMENT,
        destinationPackageVersions=[version_arn("fw", "2.0")])
    described = iot.describe_job_template(jobTemplateId="ota-tpl")
    assert described["destinationPackageVersions"] == [version_arn("fw", "2.0")]
    iot.create_job(jobId="from-tpl", targets=[thing_arn("dev2")], jobTemplateArn=template["jobTemplateArn"])
    assert json.loads(iot.get_job_document(jobId="from-tpl")["document"])["checksum"] == "bbb"
    jobs_data.start_next_pending_job_execution(thingName="dev2")
    jobs_data.update_job_execution(jobId="from-tpl", thingName="dev2", status="SUCCEEDED")
    shadow = json.loads(iot_data.get_thing_shadow(thingName="dev2", shadowName="$package")["payload"].read())
    assert shadow["state"]["reported"]["fw"] == {"version": "2.0"}
    expect_error("InvalidRequestException", 400, iot.create_job_template, jobTemplateId="t2",
                 description="d", document="{}",
                 destinationPackageVersions=[version_arn("fw", "1.0")] * 26)
    expect_error("InvalidRequestException", 400, iot.create_job_template, jobTemplateId="t3",
                 description="d", document="{}", destinationPackageVersions=["arn:aws:iot:x"])


def test_job_template_refuses_undeployable_versions(iot, catalog):
    expect_error("InvalidRequestException", 400, iot.create_job_template, jobTemplateId="t4",
                 description="d", document="{}", destinationPackageVersions=[version_arn("fw", "3.0")])
    expect_error("ResourceNotFoundException", 404, iot.describe_job_template, jobTemplateId="t4")
