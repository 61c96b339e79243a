"""Who keeps the tags of each taggable ARN type: the registration hook.

A service that owns a resource type (`job`, `jobtemplate`, `package`, `command`, ...)
registers a lookup for it; the tagging operations resolve an ARN through it and never learn
how the service stores its records. Tags then live on the records themselves, so deleting a
resource deletes its tags (AWS: "When you delete a resource, its tags are deleted too").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass
class TagBinding:
    """The live tags of one existing resource: read them, replace them, under `lock`
    (the owning backend's lock, taken around every read and write)."""

    read: Callable[[], dict[str, str]]
    write: Callable[[dict[str, str]], None]
    lock: Any


#: lookup(account_id, region_name, arn, resource) -> the binding, or None when no such
#: resource exists. `resource` is the ARN's part after `<type>/` (`my-job`, `pkg/version/1.0`).
TagLookup = Callable[[str, str, str, str], Optional[TagBinding]]


class TagOwners:
    """ARN resource type -> the lookup of the service that owns it."""

    def __init__(self) -> None:
        self._lookups: dict[str, TagLookup] = {}
        self._lock = threading.Lock()

    def register(self, resource_type: str, lookup: TagLookup) -> None:
        """Declare `arn:...:<resource_type>/...` ARNs yours (once per type)."""
        with self._lock:
            if self._lookups.get(resource_type, lookup) is not lookup:
                raise ValueError(f"tags of {resource_type} ARNs are already owned")
            self._lookups[resource_type] = lookup

    def lookup(self, resource_type: str) -> Optional[TagLookup]:
        return self._lookups.get(resource_type)

    def types(self) -> list[str]:
        return sorted(self._lookups)


#: The one registry, filled in `moto_integration.planes` beside the operation tables.
TAG_OWNERS = TagOwners()


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    """A tag map as the `[{Key, Value}]` list the `iot` API uses."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tag_map(tags: Optional[list[dict[str, Any]]]) -> dict[str, str]:
    """A `[{Key, Value}]` list as a map (a later Key wins, as a re-tag overwrites)."""
    return {str(t["Key"]): str(t.get("Value") or "") for t in tags or ()}
