"""TagResource, UntagResource, ListTagsForResource: ARN checks, limits and semantics.

Keys are case-sensitive, a re-tag overwrites, empty values are allowed; at most 50 tags per
resource; the `aws:` prefix is AWS's own
(https://docs.aws.amazon.com/iot/latest/developerguide/tagging-iot.html).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from moto_iotjobs.protocol.errors import (
    InvalidRequestException,
    LimitExceededException,
    ResourceNotFoundException,
)
from moto_iotjobs.protocol.pagination import decode_token
from moto_iotjobs.services.tagging.owners import TAG_OWNERS, TagBinding, tag_list, tag_map

#: At most 50 user tags per resource (tagging-iot.html, "Tag restrictions and limitations").
MAX_TAGS_PER_RESOURCE = 50
RESERVED_PREFIX = "aws:"

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iot:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"(?P<type>[a-z]+)/(?P<resource>.+)$"
)


def resolve(account_id: str, region_name: str, arn: str) -> TagBinding:
    """The tags of the resource `arn` names: IR for what is not a taggable ARN, NF for a
    resource that does not exist (in the caller's account and region)."""
    match = _ARN.match(arn)
    if match is None:
        raise InvalidRequestException(f"{arn} is not a valid AWS IoT resource ARN")
    lookup = TAG_OWNERS.lookup(match.group("type"))
    if lookup is None:
        raise InvalidRequestException(
            f"Resource type {match.group('type')} of {arn} does not support tagging here; "
            f"taggable types: {', '.join(TAG_OWNERS.types())}"
        )
    binding = None
    if match.group("account") == account_id and match.group("region") == region_name:
        binding = lookup(account_id, region_name, arn, match.group("resource"))
    if binding is None:
        raise ResourceNotFoundException(f"Resource {arn} does not exist")
    return binding


def check_new_tags(tags: dict[str, str]) -> None:
    """User tags may not use the reserved `aws:` prefix."""
    for key in tags:
        if key.lower().startswith(RESERVED_PREFIX):
            raise InvalidRequestException(
                f"Tag key {key} uses the prefix {RESERVED_PREFIX}, which is reserved for AWS use"
            )


def merged(current: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """`current` with `new` applied; LimitExceededException beyond 50 tags."""
    check_new_tags(new)
    result = dict(current)
    result.update(new)
    if len(result) > MAX_TAGS_PER_RESOURCE:
        raise LimitExceededException(
            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; this request would "
            f"leave it with {len(result)}"
        )
    return result


def tags_at_creation(tags: Optional[dict[str, str]]) -> dict[str, str]:
    """Tags given to a Create call, checked as TagResource checks them."""
    return merged({}, tags or {})


def tag_resource(account_id: str, region_name: str, params: dict[str, Any]) -> None:
    binding = resolve(account_id, region_name, params["resourceArn"])
    with binding.lock:
        binding.write(merged(binding.read(), tag_map(params["tags"])))


def untag_resource(account_id: str, region_name: str, params: dict[str, Any]) -> None:
    binding = resolve(account_id, region_name, params["resourceArn"])
    keys = set(params["tagKeys"])
    with binding.lock:
        binding.write({k: v for k, v in binding.read().items() if k not in keys})


def list_tags_for_resource(account_id: str, region_name: str, params: dict[str, Any]) -> dict[str, Any]:
    """All tags on one page: a resource holds at most 50, and the operation has no
    maxResults (its nextToken is accepted and checked)."""
    arn = params["resourceArn"]
    decode_token(params.get("nextToken"), f"ListTagsForResource:{arn}")
    binding = resolve(account_id, region_name, arn)
    with binding.lock:
        return {"tags": tag_list(binding.read())}
