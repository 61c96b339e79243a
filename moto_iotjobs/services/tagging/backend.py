"""The tagging backend: the tags of resources that moto's own IoT registry keeps (thing
groups, thing types), which moto stores no tags for. Tags of resources that this plugin
keeps (jobs, templates, packages, commands) live on their records, through `owners`.
"""

from __future__ import annotations

import threading
from typing import Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.services.tagging.owners import TagBinding, tag_map


class TaggingBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        BaseBackend.__init__(self, region_name, account_id)
        self.lock = threading.RLock()
        #: Guards `registry_tags` only, and is taken last: a dynamic group created with tags
        #: stores them while it holds the jobs and dynamic-groups locks, and TagResource holds
        #: `lock` while it takes a job's lock (docs/ARCHITECTURE.md, "Lock order").
        self.registry_lock = threading.RLock()
        #: ARN -> (the resource's id when tagged, its tags): a group deleted and created
        #: again under the same name has a new id, and starts without tags.
        self.registry_tags: dict[str, tuple[str, dict[str, str]]] = {}

    def advance(self, now: float) -> None:
        """Tags have no time-driven behaviour."""

    def binding(self, arn: str, identity: str) -> TagBinding:
        def read() -> dict[str, str]:
            entry = self.registry_tags.get(arn)
            return dict(entry[1]) if entry is not None and entry[0] == identity else {}

        def write(tags: dict[str, str]) -> None:
            self.registry_tags[arn] = (identity, dict(tags))

        return TagBinding(read, write, self.registry_lock)


#: `tagging_backends[account_id][region_name]`, reset with every other moto backend.
tagging_backends: BackendDict[TaggingBackend] = BackendDict(TaggingBackend, "iot")


def thing_group_tags(account_id: str, region_name: str, arn: str, name: str) -> Optional[TagBinding]:
    """Tags of a thing group of moto's registry (static or dynamic: one ARN type)."""
    registry = moto_compat.iot_registry(account_id, region_name)
    group = registry.thing_groups.get(arn)
    if group is None:
        return None
    return tagging_backends[account_id][region_name].binding(arn, group.thing_group_id)


def thing_type_tags(account_id: str, region_name: str, arn: str, name: str) -> Optional[TagBinding]:
    """Tags of a thing type of moto's registry."""
    registry = moto_compat.iot_registry(account_id, region_name)
    thing_type = registry.thing_types.get(arn)
    if thing_type is None:
        return None
    return tagging_backends[account_id][region_name].binding(arn, thing_type.thing_type_id)


def store_registry_tags(account_id: str, region_name: str, kind: str, name: str, tags: list) -> None:
    """Tags given when moto's registry created a resource (CreateThingGroup's `tags`)."""
    lookups = {"thinggroup": thing_group_tags, "thingtype": thing_type_tags}
    registry = moto_compat.iot_registry(account_id, region_name)
    resources = registry.thing_groups if kind == "thinggroup" else registry.thing_types
    for arn in list(resources):
        if arn.endswith(f":{kind}/{name}"):
            binding = lookups[kind](account_id, region_name, arn, name)
            if binding is not None:
                with binding.lock:
                    binding.write({**binding.read(), **tag_map(tags)})
