"""ListJobs: every filter alone and combined, ordering, and paging."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Optional

import pytest

from .conftest import DOCUMENT
from .helpers import expect_error, make_group, make_things


@pytest.fixture
def catalogue(iot, jobs_data):
    """Seven jobs, oldest first, with known status, selection, group and namespace.

    | job  | status      | selection  | targets   | namespace |
    | s-ip | IN_PROGRESS | SNAPSHOT   | g1        |           |
    | s-ok | COMPLETED   | SNAPSHOT   | g1        |           |
    | s-x  | CANCELED    | SNAPSHOT   | g2        |           |
    | c-ip | IN_PROGRESS | CONTINUOUS | g1        |           |
    | c-x  | CANCELED    | CONTINUOUS | g2        | ns1       |
    | n-ip | IN_PROGRESS | CONTINUOUS | g1, g2    | ns1       |
    | thg  | IN_PROGRESS | SNAPSHOT   | thing a1  | ns2       |
    """
    make_things(iot, "a1", "b1")
    g1 = make_group(iot, "g1", ("a1",))
    g2 = make_group(iot, "g2", ("b1",))
    a1 = iot.describe_thing(thingName="a1")["thingArn"]
    spec = [
        ("s-ip", [g1], "SNAPSHOT", None),
        ("s-ok", [g1], "SNAPSHOT", None),
        ("s-x", [g2], "SNAPSHOT", None),
        ("c-ip", [g1], "CONTINUOUS", None),
        ("c-x", [g2], "CONTINUOUS", "ns1"),
        ("n-ip", [g1, g2], "CONTINUOUS", "ns1"),
        ("thg", [a1], "SNAPSHOT", "ns2"),
    ]
    for job_id, targets, selection, namespace in spec:
        kwargs = {"namespaceId": namespace} if namespace else {}
        iot.create_job(jobId=job_id, targets=targets, document=DOCUMENT,
                       targetSelection=selection, **kwargs)
    jobs_data.update_job_execution(jobId="s-ok", thingName="a1", status="SUCCEEDED")
    iot.cancel_job(jobId="s-x")
    iot.cancel_job(jobId="c-x")
    ids = {name: iot.describe_thing_group(thingGroupName=name)["thingGroupId"] for name in ("g1", "g2")}
    return Catalogue(
        rows={
            "s-ip": ("IN_PROGRESS", "SNAPSHOT", {"g1"}, None),
            "s-ok": ("COMPLETED", "SNAPSHOT", {"g1"}, None),
            "s-x": ("CANCELED", "SNAPSHOT", {"g2"}, None),
            "c-ip": ("IN_PROGRESS", "CONTINUOUS", {"g1"}, None),
            "c-x": ("CANCELED", "CONTINUOUS", {"g2"}, "ns1"),
            "n-ip": ("IN_PROGRESS", "CONTINUOUS", {"g1", "g2"}, "ns1"),
            "thg": ("IN_PROGRESS", "SNAPSHOT", set(), "ns2"),
        },
        group_ids=ids,
    )


@dataclass
class Catalogue:
    rows: dict[str, tuple[str, str, set[str], Optional[str]]]
    group_ids: dict[str, str]

    def expected(self, **filters: str) -> list[str]:
        """Job ids the filters should select, newest first, computed from the table."""
        chosen = []
        for job_id in NEWEST_FIRST:
            status, selection, groups, namespace = self.rows[job_id]
            if filters.get("status", status) != status:
                continue
            if filters.get("targetSelection", selection) != selection:
                continue
            if "thingGroupName" in filters and filters["thingGroupName"] not in groups:
                continue
            group_ids = {self.group_ids[g] for g in groups}
            if "thingGroupId" in filters and filters["thingGroupId"] not in group_ids:
                continue
            if filters.get("namespaceId", namespace) != namespace:
                continue
            chosen.append(job_id)
        return chosen


NEWEST_FIRST = ["thg", "n-ip", "c-x", "c-ip", "s-x", "s-ok", "s-ip"]


def listed(iot, **filters):
    out = iot.list_jobs(**filters)
    assert "nextToken" not in out
    return [job["jobId"] for job in out["jobs"]]


def test_list_jobs_newest_first(iot, catalogue):
    assert listed(iot) == NEWEST_FIRST


def test_list_jobs_empty_account(iot):
    out = iot.list_jobs()
    assert out["jobs"] == []
    assert "nextToken" not in out


@pytest.mark.parametrize("status", ["IN_PROGRESS", "COMPLETED", "CANCELED", "SCHEDULED"])
def test_filter_by_status(iot, catalogue, status):
    got = listed(iot, status=status)
    assert got == catalogue.expected(status=status)
    assert all(j["status"] == status for j in iot.list_jobs(status=status)["jobs"])


@pytest.mark.parametrize("selection", ["SNAPSHOT", "CONTINUOUS"])
def test_filter_by_target_selection(iot, catalogue, selection):
    assert listed(iot, targetSelection=selection) == catalogue.expected(targetSelection=selection)


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_filter_by_thing_group_name(iot, catalogue, group):
    assert listed(iot, thingGroupName=group) == catalogue.expected(thingGroupName=group)


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_filter_by_thing_group_id(iot, catalogue, group):
    group_id = catalogue.group_ids[group]
    assert listed(iot, thingGroupId=group_id) == catalogue.expected(thingGroupId=group_id)


@pytest.mark.parametrize("namespace", ["ns1", "ns2"])
def test_filter_by_namespace(iot, catalogue, namespace):
    assert listed(iot, namespaceId=namespace) == catalogue.expected(namespaceId=namespace)


def test_filter_by_unknown_values_is_empty(iot, catalogue):
    assert listed(iot, thingGroupName="nogroup") == []
    assert listed(iot, thingGroupId="0000-0000") == []
    assert listed(iot, namespaceId="nons") == []


FILTER_VALUES = {
    "status": ["IN_PROGRESS", "CANCELED", "COMPLETED"],
    "targetSelection": ["SNAPSHOT", "CONTINUOUS"],
    "thingGroupName": ["g1", "g2"],
    "thingGroupId": ["g1", "g2"],  # group names, turned into ids in the test
    "namespaceId": ["ns1", "ns2"],
}


@pytest.mark.parametrize(
    "names",
    [combo for size in (2, 3, 5) for combo in itertools.combinations(sorted(FILTER_VALUES), size)],
    ids=lambda names: "+".join(names),
)
def test_filters_combine(iot, catalogue, names):
    for values in itertools.product(*(FILTER_VALUES[n] for n in names)):
        filters = dict(zip(names, values))
        if "thingGroupId" in filters:
            filters["thingGroupId"] = catalogue.group_ids[filters["thingGroupId"]]
        assert listed(iot, **filters) == catalogue.expected(**filters), filters


def test_combined_filters_select_exactly_one_job(iot, catalogue):
    got = listed(iot, status="CANCELED", targetSelection="CONTINUOUS", thingGroupName="g2",
                 namespaceId="ns1")
    assert got == ["c-x"]


def test_summary_fields(iot, catalogue):
    by_id = {j["jobId"]: j for j in iot.list_jobs()["jobs"]}
    done = by_id["s-ok"]
    assert done["jobArn"] == "arn:aws:iot:us-east-1:123456789012:job/s-ok"
    assert (done["status"], done["targetSelection"]) == ("COMPLETED", "SNAPSHOT")
    assert done["completedAt"] >= done["createdAt"]
    assert "completedAt" not in by_id["s-ip"]
    assert "completedAt" not in by_id["s-x"]
    assert all("thingGroupId" not in j for j in by_id.values())


def test_thing_group_id_shown_when_filtering_by_group_name(iot, catalogue):
    group_id = iot.describe_thing_group(thingGroupName="g2")["thingGroupId"]
    jobs = iot.list_jobs(thingGroupName="g2")["jobs"]
    assert jobs and all(j["thingGroupId"] == group_id for j in jobs)


def test_thing_group_id_shown_when_filtering_by_group_id(iot, catalogue):
    group_id = iot.describe_thing_group(thingGroupName="g1")["thingGroupId"]
    jobs = iot.list_jobs(thingGroupId=group_id)["jobs"]
    assert jobs and all(j["thingGroupId"] == group_id for j in jobs)


def test_thing_group_id_absent_with_other_filters(iot, catalogue):
    jobs = iot.list_jobs(status="IN_PROGRESS", namespaceId="ns1")["jobs"]
    assert jobs and all("thingGroupId" not in j for j in jobs)


def test_deleted_job_is_not_listed(iot, catalogue):
    iot.delete_job(jobId="s-ok")
    assert "s-ok" not in listed(iot)
    assert "s-ok" not in listed(iot, thingGroupName="g1")
    assert "s-ok" not in listed(iot, status="COMPLETED")


def test_status_filter_follows_job_status_changes(iot, catalogue):
    iot.cancel_job(jobId="s-ip")
    assert "s-ip" in listed(iot, status="CANCELED")
    assert "s-ip" not in listed(iot, status="IN_PROGRESS")


# --- paging ---------------------------------------------------------------------------------


@pytest.fixture
def many_jobs(iot, thing):
    """260 SNAPSHOT jobs on thing dev1; their ids, oldest first."""
    job_ids = [f"job{i:03d}" for i in range(260)]
    for job_id in job_ids:
        iot.create_job(jobId=job_id, targets=[thing], document=DOCUMENT)
    return job_ids


def test_default_page_is_250_jobs(iot, many_jobs):
    first = iot.list_jobs()
    assert len(first["jobs"]) == 250
    assert [j["jobId"] for j in first["jobs"]] == list(reversed(many_jobs))[:250]
    second = iot.list_jobs(nextToken=first["nextToken"])
    assert [j["jobId"] for j in second["jobs"]] == list(reversed(many_jobs))[250:]
    assert "nextToken" not in second


def test_paginator_returns_every_job_once_in_order(iot, many_jobs):
    pages = list(iot.get_paginator("list_jobs").paginate())
    assert [len(p["jobs"]) for p in pages] == [250, 10]
    assert [j["jobId"] for p in pages for j in p["jobs"]] == list(reversed(many_jobs))


def test_paginator_with_page_size(iot, many_jobs):
    pages = list(iot.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 70}))
    assert [len(p["jobs"]) for p in pages] == [70, 70, 70, 50]
    assert [j["jobId"] for p in pages for j in p["jobs"]] == list(reversed(many_jobs))


def test_paginator_build_full_result(iot, many_jobs):
    result = iot.get_paginator("list_jobs").paginate().build_full_result()
    assert [j["jobId"] for j in result["jobs"]] == list(reversed(many_jobs))


def test_paginator_with_filter(iot, many_jobs):
    for job_id in many_jobs[::2]:
        iot.cancel_job(jobId=job_id)
    pages = iot.get_paginator("list_jobs").paginate(
        status="CANCELED", PaginationConfig={"PageSize": 50}
    )
    got = [j["jobId"] for p in pages for j in p["jobs"]]
    assert got == list(reversed(many_jobs[::2]))


def test_paging_by_hand_with_max_results(iot, many_jobs):
    seen: list[str] = []
    token = None
    calls = 0
    while True:
        kwargs = {"maxResults": 100}
        if token:
            kwargs["nextToken"] = token
        page = iot.list_jobs(**kwargs)
        calls += 1
        seen += [j["jobId"] for j in page["jobs"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert calls == 3
    assert seen == list(reversed(many_jobs))


def test_page_size_may_change_between_pages(iot, many_jobs):
    first = iot.list_jobs(maxResults=5)
    second = iot.list_jobs(maxResults=200, nextToken=first["nextToken"])
    ids = [j["jobId"] for j in first["jobs"] + second["jobs"]]
    assert ids == list(reversed(many_jobs))[:205]


def test_exact_page_has_no_next_token(iot, thing):
    for i in range(4):
        iot.create_job(jobId=f"j{i}", targets=[thing], document=DOCUMENT)
    first = iot.list_jobs(maxResults=2)
    second = iot.list_jobs(maxResults=2, nextToken=first["nextToken"])
    assert len(second["jobs"]) == 2
    assert "nextToken" not in second


def test_job_created_while_paging_is_not_repeated(iot, thing):
    for i in range(4):
        iot.create_job(jobId=f"j{i}", targets=[thing], document=DOCUMENT)
    first = iot.list_jobs(maxResults=2)
    iot.create_job(jobId="late", targets=[thing], document=DOCUMENT)
    second = iot.list_jobs(maxResults=2, nextToken=first["nextToken"])
    assert [j["jobId"] for j in first["jobs"] + second["jobs"]] == ["j3", "j2", "j1", "j0"]


@pytest.mark.parametrize("token", ["garbled", "AAAA", "!!!", "djE6MTI6YWJjZGVmMDE", "é"])
def test_garbled_token_is_400(iot, thing, token):
    iot.create_job(jobId="j1", targets=[thing], document=DOCUMENT)
    expect_error("InvalidRequestException", 400, iot.list_jobs, nextToken=token)


@pytest.mark.parametrize(
    "other",
    [
        {"status": "IN_PROGRESS"},
        {"targetSelection": "SNAPSHOT"},
        {"namespaceId": "ns"},
        {"thingGroupName": "g"},
        {"thingGroupId": "abc-123"},
    ],
)
def test_token_reused_with_other_filters_is_400(iot, many_jobs, other):
    token = iot.list_jobs(maxResults=10)["nextToken"]
    expect_error("InvalidRequestException", 400, iot.list_jobs, nextToken=token, **other)


def test_token_of_filtered_listing_is_400_without_the_filter(iot, many_jobs):
    token = iot.list_jobs(maxResults=10, status="IN_PROGRESS")["nextToken"]
    expect_error("InvalidRequestException", 400, iot.list_jobs, nextToken=token)
    page = iot.list_jobs(maxResults=10, status="IN_PROGRESS", nextToken=token)
    assert len(page["jobs"]) == 10


def test_token_of_list_jobs_is_rejected_by_execution_listing(iot, many_jobs):
    token = iot.list_jobs(maxResults=10)["nextToken"]
    expect_error("InvalidRequestException", 400, iot.list_job_executions_for_thing,
                 thingName="dev1", nextToken=token)
