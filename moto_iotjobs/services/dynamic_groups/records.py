"""A dynamic thing group's own state; the group itself (name, ARN, id, properties, version,
members) lives in moto's registry like any thing group."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto_iotjobs.services.dynamic_groups.query import Predicate, compile_query

#: DescribeThingGroup `status`. The mock evaluates synchronously: a group is ACTIVE as soon as
#: Create or Update returns (AWS: BUILDING / REBUILDING while it backfills).
ACTIVE = "ACTIVE"


@dataclass
class DynamicGroup:
    name: str
    arn: str
    group_id: str
    query_string: str
    index_name: str
    query_version: str
    predicate: Predicate
    fields: frozenset[str]
    seq: int
    status: str = ACTIVE

    def __getstate__(self) -> dict[str, Any]:
        """Persistence pickles backends: the compiled query is a closure, so the query text
        is saved and compiled again on restore."""
        return {k: v for k, v in self.__dict__.items() if k != "predicate"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.predicate = compile_query(self.query_string)[0]

    def describe_fields(self) -> dict[str, str]:
        """What DescribeThingGroup adds for a dynamic group."""
        return {
            "indexName": self.index_name,
            "queryString": self.query_string,
            "queryVersion": self.query_version,
            "status": self.status,
        }
