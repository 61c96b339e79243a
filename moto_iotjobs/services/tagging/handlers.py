"""The tagging operations as named handler functions (see `protocol.dispatch`)."""

from __future__ import annotations

from typing import Any, Callable

from moto_iotjobs.services.tagging import operations
from moto_iotjobs.services.tagging.backend import TaggingBackend

Handler = Callable[[TaggingBackend, dict[str, Any], float], Any]


def tag_resource(b: TaggingBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    operations.tag_resource(b.account_id, b.region_name, p)
    return {}


def untag_resource(b: TaggingBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    operations.untag_resource(b.account_id, b.region_name, p)
    return {}


def list_tags_for_resource(b: TaggingBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return operations.list_tags_for_resource(b.account_id, b.region_name, p)


TAGGING_HANDLERS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
