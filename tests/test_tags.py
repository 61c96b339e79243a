"""TagResource, UntagResource and ListTagsForResource: jobs, job templates, thing groups and
thing types (packages in test_packages.py), limits and every modelled error, every answer
checked against botocore's output shapes."""

from __future__ import annotations

import pytest

from .conftest import DOCUMENT
from .helpers import ACCOUNT, REGION, expect_error, thing_arn


def tags(iot, arn: str) -> dict[str, str]:
    answer = iot.list_tags_for_resource(resourceArn=arn)
    assert "nextToken" not in answer
    return {t["Key"]: t["Value"] for t in answer["tags"]}


@pytest.fixture
def job_arn(iot, thing):
    return iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT,
                          tags=[{"Key": "team", "Value": "ota"}])["jobArn"]


def test_job_tags_given_at_creation_are_listed(shapes, iot, job_arn):
    assert tags(iot, job_arn) == {"team": "ota"}


def test_tag_untag_and_overwrite(shapes, iot, job_arn):
    iot.tag_resource(resourceArn=job_arn, tags=[{"Key": "stage", "Value": "beta"},
                                                {"Key": "team", "Value": "fw"}])
    assert tags(iot, job_arn) == {"team": "fw", "stage": "beta"}
    iot.tag_resource(resourceArn=job_arn, tags=[{"Key": "empty", "Value": ""}])
    assert tags(iot, job_arn)["empty"] == ""
    iot.untag_resource(resourceArn=job_arn, tagKeys=["team", "not-there"])
    assert tags(iot, job_arn) == {"stage": "beta", "empty": ""}


def test_keys_are_case_sensitive(shapes, iot, job_arn):
    iot.tag_resource(resourceArn=job_arn, tags=[{"Key": "TEAM", "Value": "x"}])
    assert tags(iot, job_arn) == {"team": "ota", "TEAM": "x"}


def test_deleting_a_job_deletes_its_tags(shapes, iot, job_arn):
    iot.delete_job(jobId="j1", force=True)
    expect_error("ResourceNotFoundException", 404, iot.list_tags_for_resource, resourceArn=job_arn)
    iot.create_job(jobId="j1", targets=[thing_arn("dev1")], document=DOCUMENT)
    assert tags(iot, job_arn) == {}


def test_job_template_tags(shapes, iot):
    arn = iot.create_job_template(jobTemplateId="tpl", description="d", document=DOCUMENT,
                                  tags=[{"Key": "a", "Value": "1"}])["jobTemplateArn"]
    assert tags(iot, arn) == {"a": "1"}
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "b", "Value": "2"}])
    iot.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert tags(iot, arn) == {"b": "2"}
    iot.delete_job_template(jobTemplateId="tpl")
    expect_error("ResourceNotFoundException", 404, iot.tag_resource, resourceArn=arn,
                 tags=[{"Key": "b", "Value": "2"}])


def test_thing_group_tags_from_creation_and_tag_resource(shapes, iot):
    arn = iot.create_thing_group(thingGroupName="g", tags=[{"Key": "site", "Value": "paris"}])[
        "thingGroupArn"]
    assert tags(iot, arn) == {"site": "paris"}
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "floor", "Value": "2"}])
    assert tags(iot, arn) == {"site": "paris", "floor": "2"}
    iot.delete_thing_group(thingGroupName="g")
    expect_error("ResourceNotFoundException", 404, iot.list_tags_for_resource, resourceArn=arn)
    iot.create_thing_group(thingGroupName="g")
    assert tags(iot, arn) == {}  # a new group under the old name starts untagged


def test_thing_type_tags(shapes, iot):
    arn = iot.create_thing_type(thingTypeName="sensor")["thingTypeArn"]
    iot.tag_resource(resourceArn=arn, tags=[{"Key": "k", "Value": "v"}])
    assert tags(iot, arn) == {"k": "v"}


def test_at_most_50_tags(shapes, iot, job_arn):
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(49)]
    iot.tag_resource(resourceArn=job_arn, tags=many)  # 50 with "team"
    assert len(tags(iot, job_arn)) == 50
    iot.tag_resource(resourceArn=job_arn, tags=[{"Key": "k0", "Value": "again"}])  # overwrite
    message = expect_error("LimitExceededException", 410, iot.tag_resource, resourceArn=job_arn,
                           tags=[{"Key": "one-more", "Value": "v"}])
    assert "50" in message
    assert len(tags(iot, job_arn)) == 50 and "one-more" not in tags(iot, job_arn)


def test_create_job_with_more_than_50_tags_is_refused(shapes, iot, thing):
    expect_error("LimitExceededException", 410, iot.create_job, jobId="big", targets=[thing],
                 document=DOCUMENT, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    expect_error("ResourceNotFoundException", 404, iot.describe_job, jobId="big")


def test_reserved_aws_prefix_is_refused(shapes, iot, job_arn):
    message = expect_error("InvalidRequestException", 400, iot.tag_resource, resourceArn=job_arn,
                           tags=[{"Key": "aws:owner", "Value": "x"}])
    assert "aws:" in message
    assert tags(iot, job_arn) == {"team": "ota"}


@pytest.mark.parametrize("arn, code", [
    (f"arn:aws:iot:{REGION}:{ACCOUNT}:job/nope", "ResourceNotFoundException"),
    (f"arn:aws:iot:{REGION}:{ACCOUNT}:jobtemplate/nope", "ResourceNotFoundException"),
    (f"arn:aws:iot:{REGION}:{ACCOUNT}:thinggroup/nope", "ResourceNotFoundException"),
    (f"arn:aws:iot:eu-west-1:{ACCOUNT}:job/j1", "ResourceNotFoundException"),
    (f"arn:aws:iot:{REGION}:999999999999:job/j1", "ResourceNotFoundException"),
    (f"arn:aws:iot:{REGION}:{ACCOUNT}:cert/abc", "InvalidRequestException"),
    ("not-an-arn", "InvalidRequestException"),
    (f"arn:aws:s3:::bucket/{ACCOUNT}", "InvalidRequestException"),
])
def test_unknown_and_untaggable_arns(shapes, iot, job_arn, arn, code):
    status = 404 if code == "ResourceNotFoundException" else 400
    expect_error(code, status, iot.list_tags_for_resource, resourceArn=arn)
    expect_error(code, status, iot.tag_resource, resourceArn=arn, tags=[{"Key": "k", "Value": "v"}])
    expect_error(code, status, iot.untag_resource, resourceArn=arn, tagKeys=["k"])


def test_model_constraints(shapes, iot_unchecked, iot, job_arn):
    message = expect_error("InvalidRequestException", 400, iot_unchecked.tag_resource,
                           resourceArn=job_arn, tags=[{"Key": "k" * 129, "Value": "v"}])
    assert "tags" in message
    expect_error("InvalidRequestException", 400, iot_unchecked.tag_resource,
                 resourceArn=job_arn, tags=[{"Key": "k", "Value": "v" * 257}])
    expect_error("InvalidRequestException", 400, iot_unchecked.tag_resource,
                 resourceArn=job_arn, tags=[{"Key": "bad\u0001key", "Value": "v"}])
    assert tags(iot, job_arn) == {"team": "ota"}


def test_a_page_token_the_service_never_issued_is_refused(shapes, iot, job_arn):
    expect_error("InvalidRequestException", 400, iot.list_tags_for_resource,
                 resourceArn=job_arn, nextToken="garbage")


def test_paginator_lists_every_tag(shapes, iot, job_arn):
    iot.tag_resource(resourceArn=job_arn, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(20)])
    pages = list(iot.get_paginator("list_tags_for_resource").paginate(resourceArn=job_arn))
    assert sum(len(p["tags"]) for p in pages) == 21


def test_thing_type_tags_given_at_creation(shapes, iot):
    arn = iot.create_thing_type(thingTypeName="meter", tags=[{"Key": "k", "Value": "v"}])["thingTypeArn"]
    assert tags(iot, arn) == {"k": "v"}
