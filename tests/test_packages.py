"""The Software Package Catalog: packages, versions and their lifecycle, the default
version, the package configuration, SBOMs (from moto's S3), paging, tags, and every modelled
error; every answer checked against botocore's output shapes."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from .helpers import ACCOUNT, REGION, expect_error


@pytest.fixture
def package(iot):
    iot.create_package(packageName="fw", description="firmware")
    iot.create_package_version(packageName="fw", versionName="1.0", attributes={"sig": "abc"},
                               artifact={"s3Location": {"bucket": "b", "key": "fw.bin", "version": "1"}},
                               recipe='{"steps": []}', description="first")
    return "fw"


def publish(iot, version: str, package: str = "fw") -> None:
    iot.update_package_version(packageName=package, versionName=version, action="PUBLISH")


def test_create_and_get_package(shapes, iot):
    created = iot.create_package(packageName="fw", description="firmware", tags={"team": "ota"})
    assert created["packageArn"] == f"arn:aws:iot:{REGION}:{ACCOUNT}:package/fw"
    assert created["description"] == "firmware"
    got = iot.get_package(packageName="fw")
    assert got["packageName"] == "fw" and got["description"] == "firmware"
    assert "defaultVersionName" not in got
    assert got["creationDate"] == got["lastModifiedDate"]
    assert iot.list_tags_for_resource(resourceArn=created["packageArn"])["tags"] == [
        {"Key": "team", "Value": "ota"}]


def test_duplicate_package_is_a_conflict(shapes, iot, package):
    expect_error("ConflictException", 409, iot.create_package, packageName="fw")


TOKEN = "client-token-0123456789-0123456789-01"


def _answer(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_create_package_client_token_replay(shapes, iot):
    first = _answer(iot.create_package(packageName="fw", description="firmware", clientToken=TOKEN))
    iot.update_package(packageName="fw", description="changed since")
    again = _answer(iot.create_package(packageName="fw", description="firmware", clientToken=TOKEN))
    assert again == first and len(iot.list_packages()["packageSummaries"]) == 1
    message = expect_error("ConflictException", 409, iot.create_package, packageName="fw",
                           description="other", clientToken=TOKEN)
    assert "clientToken" in message
    assert iot.get_package(packageName="fw")["description"] == "changed since"
    expect_error("ConflictException", 409, iot.create_package, packageName="fw")  # a new token
    iot.delete_package(packageName="fw")
    # The token goes with the package it created: after the delete it creates again.
    iot.create_package(packageName="fw", description="firmware", clientToken=TOKEN)
    assert [p["packageName"] for p in iot.list_packages()["packageSummaries"]] == ["fw"]


def test_create_package_version_client_token_replay(shapes, iot, package):
    kwargs = {"packageName": "fw", "versionName": "2.0", "attributes": {"a": "1"}, "clientToken": TOKEN}
    first = _answer(iot.create_package_version(**kwargs))
    assert _answer(iot.create_package_version(**kwargs)) == first
    versions = iot.list_package_versions(packageName="fw")["packageVersionSummaries"]
    assert [v["versionName"] for v in versions] == ["1.0", "2.0"]
    expect_error("ConflictException", 409, iot.create_package_version,
                 **{**kwargs, "attributes": {"a": "2"}})
    expect_error("ConflictException", 409, iot.create_package_version,
                 **{**kwargs, "versionName": "3.0"})
    assert iot.get_package_version(packageName="fw", versionName="2.0")["attributes"] == {"a": "1"}


def test_version_lifecycle(shapes, iot, package):
    version = iot.get_package_version(packageName="fw", versionName="1.0")
    assert version["status"] == "DRAFT"
    assert version["attributes"] == {"sig": "abc"} and version["recipe"] == '{"steps": []}'
    assert version["artifact"]["s3Location"]["key"] == "fw.bin"
    assert version["packageVersionArn"].endswith(":package/fw/version/1.0")
    assert "sbom" not in version and "errorReason" not in version
    expect_error("ConflictException", 409, iot.update_package_version, packageName="fw",
                 versionName="1.0", action="DEPRECATE")  # DRAFT cannot be deprecated
    publish(iot, "1.0")
    publish(iot, "1.0")  # publishing again is harmless
    assert iot.get_package_version(packageName="fw", versionName="1.0")["status"] == "PUBLISHED"
    iot.update_package_version(packageName="fw", versionName="1.0", action="DEPRECATE")
    assert iot.get_package_version(packageName="fw", versionName="1.0")["status"] == "DEPRECATED"
    publish(iot, "1.0")
    assert iot.get_package_version(packageName="fw", versionName="1.0")["status"] == "PUBLISHED"


def test_attributes_and_artifact_freeze_on_publish(shapes, iot, package):
    iot.update_package_version(packageName="fw", versionName="1.0", attributes={"sig": "def"})
    publish(iot, "1.0")
    for member in ({"attributes": {"x": "y"}},
                   {"artifact": {"s3Location": {"bucket": "b", "key": "k", "version": "2"}}}):
        expect_error("ConflictException", 409, iot.update_package_version, packageName="fw",
                     versionName="1.0", **member)
    iot.update_package_version(packageName="fw", versionName="1.0", description="new",
                               recipe='{"steps": [1]}')
    version = iot.get_package_version(packageName="fw", versionName="1.0")
    assert version["attributes"] == {"sig": "def"}
    assert version["description"] == "new" and version["recipe"] == '{"steps": [1]}'


def test_attribute_edit_and_publish_in_one_call(shapes, iot, package):
    iot.update_package_version(packageName="fw", versionName="1.0", attributes={"a": "1"},
                               action="PUBLISH")
    version = iot.get_package_version(packageName="fw", versionName="1.0")
    assert version["attributes"] == {"a": "1"} and version["status"] == "PUBLISHED"


def test_a_refused_update_changes_nothing(shapes, iot, package):
    expect_error("ConflictException", 409, iot.update_package_version, packageName="fw",
                 versionName="1.0", description="changed", action="DEPRECATE")
    assert iot.get_package_version(packageName="fw", versionName="1.0")["description"] == "first"


def test_attributes_are_limited_to_3_kb_combined(shapes, iot, package):
    big = {f"k{i}": "v" * 500 for i in range(7)}
    message = expect_error("ValidationException", 400, iot.create_package_version,
                           packageName="fw", versionName="2.0", attributes=big)
    assert "3072" in message
    expect_error("ResourceNotFoundException", 404, iot.get_package_version, packageName="fw",
                 versionName="2.0")


def test_version_without_its_package_is_refused(shapes, iot):
    expect_error("ValidationException", 400, iot.create_package_version, packageName="nope",
                 versionName="1.0")


def test_duplicate_version_is_a_conflict(shapes, iot, package):
    expect_error("ConflictException", 409, iot.create_package_version, packageName="fw",
                 versionName="1.0")


def test_default_version_rules(shapes, iot, package):
    expect_error("ConflictException", 409, iot.update_package, packageName="fw",
                 defaultVersionName="1.0")  # still DRAFT
    expect_error("ResourceNotFoundException", 404, iot.update_package, packageName="fw",
                 defaultVersionName="9.9")
    publish(iot, "1.0")
    iot.update_package(packageName="fw", defaultVersionName="1.0")
    assert iot.get_package(packageName="fw")["defaultVersionName"] == "1.0"
    assert iot.list_packages()["packageSummaries"][0]["defaultVersionName"] == "1.0"
    expect_error("ValidationException", 400, iot.update_package, packageName="fw",
                 defaultVersionName="1.0", unsetDefaultVersion=True)
    expect_error("ValidationException", 400, iot.delete_package_version, packageName="fw",
                 versionName="1.0")  # the default version
    iot.update_package(packageName="fw", unsetDefaultVersion=True, description="d2")
    package = iot.get_package(packageName="fw")
    assert "defaultVersionName" not in package and package["description"] == "d2"
    assert package["lastModifiedDate"] >= package["creationDate"]


def test_delete_rules(shapes, iot, package):
    expect_error("ValidationException", 400, iot.delete_package, packageName="fw")
    iot.delete_package_version(packageName="fw", versionName="1.0")
    iot.delete_package_version(packageName="fw", versionName="1.0")  # absent: succeeds
    iot.delete_package(packageName="fw")
    iot.delete_package(packageName="fw")  # absent: succeeds
    expect_error("ResourceNotFoundException", 404, iot.get_package, packageName="fw")
    expect_error("ResourceNotFoundException", 404, iot.update_package, packageName="fw",
                 description="x")
    expect_error("ResourceNotFoundException", 404, iot.update_package_version, packageName="fw",
                 versionName="1.0", description="x")


def test_list_packages_pages_in_creation_order(shapes, iot):
    names = [f"p{i:02d}" for i in range(7)]
    for name in names:
        iot.create_package(packageName=name)
    seen, token = [], None
    while True:
        page = iot.list_packages(maxResults=3, **({"nextToken": token} if token else {}))
        assert len(page["packageSummaries"]) <= 3
        seen += [p["packageName"] for p in page["packageSummaries"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names
    pages = list(iot.get_paginator("list_packages").paginate(PaginationConfig={"PageSize": 2}))
    assert [p["packageName"] for page in pages for p in page["packageSummaries"]] == names
    expect_error("ValidationException", 400, iot.list_packages, nextToken="garbage")


def test_list_package_versions_filters_and_pages(shapes, iot, package):
    for name in ("2.0", "3.0", "4.0"):
        iot.create_package_version(packageName="fw", versionName=name)
    publish(iot, "2.0")
    publish(iot, "4.0")
    first = iot.list_package_versions(packageName="fw", maxResults=2)
    assert [v["versionName"] for v in first["packageVersionSummaries"]] == ["1.0", "2.0"]
    rest = iot.list_package_versions(packageName="fw", nextToken=first["nextToken"], maxResults=2)
    assert [v["versionName"] for v in rest["packageVersionSummaries"]] == ["3.0", "4.0"]
    assert "nextToken" not in rest
    published = iot.list_package_versions(packageName="fw", status="PUBLISHED")
    assert [v["versionName"] for v in published["packageVersionSummaries"]] == ["2.0", "4.0"]
    expect_error("ValidationException", 400, iot.list_package_versions, packageName="fw",
                 status="DRAFT", nextToken=first["nextToken"])  # token of other filters
    assert iot.list_package_versions(packageName="nope")["packageVersionSummaries"] == []


def test_package_configuration(shapes, iot):
    assert iot.get_package_configuration()["versionUpdateByJobsConfig"] == {"enabled": False}
    expect_error("ValidationException", 400, iot.update_package_configuration,
                 versionUpdateByJobsConfig={"enabled": True})
    role = f"arn:aws:iam::{ACCOUNT}:role/package-updates"
    iot.update_package_configuration(versionUpdateByJobsConfig={"enabled": True, "roleArn": role})
    assert iot.get_package_configuration()["versionUpdateByJobsConfig"] == {
        "enabled": True, "roleArn": role}
    iot.update_package_configuration(versionUpdateByJobsConfig={"enabled": False})
    assert iot.get_package_configuration()["versionUpdateByJobsConfig"]["enabled"] is False


def test_package_and_version_tags(shapes, iot):
    package_arn = iot.create_package(packageName="fw", tags={"a": "1"})["packageArn"]
    version_arn = iot.create_package_version(packageName="fw", versionName="1.0",
                                             tags={"b": "2"})["packageVersionArn"]
    iot.tag_resource(resourceArn=version_arn, tags=[{"Key": "c", "Value": "3"}])
    assert iot.list_tags_for_resource(resourceArn=version_arn)["tags"] == [
        {"Key": "b", "Value": "2"}, {"Key": "c", "Value": "3"}]
    iot.untag_resource(resourceArn=package_arn, tagKeys=["a"])
    assert iot.list_tags_for_resource(resourceArn=package_arn)["tags"] == []
    iot.delete_package_version(packageName="fw", versionName="1.0")
    expect_error("ResourceNotFoundException", 404, iot.list_tags_for_resource, resourceArn=version_arn)
    expect_error("ValidationException", 400, iot.create_package, packageName="p2",
                 tags={"aws:x": "1"})


@pytest.mark.parametrize("call, kwargs, member", [
    ("create_package", {"packageName": "bad name"}, "packageName"),
    ("create_package", {"packageName": "p" * 129}, "packageName"),
    ("create_package", {"packageName": "ok", "description": "x" * 1025}, "description"),
    ("create_package_version", {"packageName": "fw", "versionName": "v" * 65}, "versionName"),
    ("create_package_version", {"packageName": "fw", "versionName": "2", "recipe": "r" * 3073}, "recipe"),
    ("create_package_version", {"packageName": "fw", "versionName": "2", "attributes": {"bad key": "v"}},
     "attributes"),
    ("update_package_version", {"packageName": "fw", "versionName": "1.0", "action": "RETIRE"}, "action"),
    ("list_packages", {"maxResults": 101}, "maxResults"),
    ("list_package_versions", {"packageName": "fw", "status": "GONE"}, "status"),
    ("update_package_configuration", {"versionUpdateByJobsConfig": {"enabled": True, "roleArn": "short"}},
     "roleArn"),
])
def test_model_constraints_answer_validation_exception(shapes, iot_unchecked, package, call, kwargs, member):
    message = expect_error("ValidationException", 400, getattr(iot_unchecked, call), **kwargs)
    assert member in message


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def bucket(iotjobs):
    s3 = iotjobs.client("s3")
    s3.create_bucket(Bucket="sboms")
    spdx = json.dumps({"spdxVersion": "SPDX-2.3", "name": "fw"}).encode()
    cyclone = json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}).encode()
    s3.put_object(Bucket="sboms", Key="good.zip", Body=_zip({"a.spdx.json": spdx, "b.cdx.json": cyclone}))
    s3.put_object(Bucket="sboms", Key="bad.zip", Body=_zip({"a.spdx.json": spdx, "notes.txt": b"hello"}))
    return s3


def sbom(key: str) -> dict:
    return {"s3Location": {"bucket": "sboms", "key": key, "version": "1"}}


def test_sbom_validation_succeeds(shapes, iot, package, bucket):
    answer = iot.associate_sbom_with_package_version(packageName="fw", versionName="1.0",
                                                     sbom=sbom("good.zip"))
    assert answer["sbomValidationStatus"] == "IN_PROGRESS"
    assert answer["sbom"] == sbom("good.zip")
    version = iot.get_package_version(packageName="fw", versionName="1.0")
    assert version["sbomValidationStatus"] == "SUCCEEDED" and version["sbom"] == sbom("good.zip")
    results = iot.list_sbom_validation_results(packageName="fw", versionName="1.0")
    assert sorted(r["fileName"] for r in results["validationResultSummaries"]) == [
        "a.spdx.json", "b.cdx.json"]
    assert {r["validationResult"] for r in results["validationResultSummaries"]} == {"SUCCEEDED"}


def test_sbom_validation_fails_and_results_filter_and_page(shapes, iot, package, bucket):
    iot.associate_sbom_with_package_version(packageName="fw", versionName="1.0", sbom=sbom("bad.zip"))
    assert iot.get_package_version(packageName="fw", versionName="1.0")["sbomValidationStatus"] == "FAILED"
    failed = iot.list_sbom_validation_results(packageName="fw", versionName="1.0",
                                              validationResult="FAILED")["validationResultSummaries"]
    assert failed == [{"fileName": "notes.txt", "validationResult": "FAILED",
                       "errorCode": "INCOMPATIBLE_FORMAT",
                       "errorMessage": "notes.txt is not a JSON document"}]
    first = iot.list_sbom_validation_results(packageName="fw", versionName="1.0", maxResults=1)
    assert len(first["validationResultSummaries"]) == 1 and first["nextToken"]
    second = iot.list_sbom_validation_results(packageName="fw", versionName="1.0", maxResults=1,
                                              nextToken=first["nextToken"])
    assert len(second["validationResultSummaries"]) == 1 and "nextToken" not in second
    iot.disassociate_sbom_from_package_version(packageName="fw", versionName="1.0")
    version = iot.get_package_version(packageName="fw", versionName="1.0")
    assert "sbom" not in version and "sbomValidationStatus" not in version


def test_sbom_errors(shapes, iot, package, bucket):
    expect_error("ValidationException", 400, iot.associate_sbom_with_package_version,
                 packageName="fw", versionName="1.0", sbom=sbom("missing.zip"))
    assert "sbom" not in iot.get_package_version(packageName="fw", versionName="1.0")
    for call in (iot.associate_sbom_with_package_version, iot.disassociate_sbom_from_package_version,
                 iot.list_sbom_validation_results):
        kwargs = {"sbom": sbom("good.zip")} if call == iot.associate_sbom_with_package_version else {}
        expect_error("ResourceNotFoundException", 404, call, packageName="fw", versionName="9", **kwargs)
