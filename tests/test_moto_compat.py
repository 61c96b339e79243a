"""The one module that touches moto's internals: request lines in every moto mode, and the
self-checks that fail loudly (naming moto's version) instead of answering wrongly."""

from __future__ import annotations

from types import SimpleNamespace

import moto
import pytest

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.compat import MotoCompatibilityError, request_target

URL = "https://iot.us-east-1.amazonaws.com/jobs?status=CANCELED&maxResults=2"


def _wsgi(**environ: str) -> SimpleNamespace:
    return SimpleNamespace(environ=environ)


@pytest.mark.parametrize(
    "environ",
    [
        # moto >= 5.2.4 in-process: RAW_URI is the bare path, the query is only in QUERY_STRING
        {"RAW_URI": "/jobs", "QUERY_STRING": "status=CANCELED&maxResults=2"},
        # werkzeug's server: RAW_URI is the path with its query
        {"RAW_URI": "/jobs?status=CANCELED&maxResults=2", "QUERY_STRING": "status=CANCELED&maxResults=2"},
        # a proxy that puts the whole URL there
        {"RAW_URI": URL, "QUERY_STRING": "status=CANCELED&maxResults=2"},
        # no raw URI at all: the path comes from the URL moto passed
        {"QUERY_STRING": "status=CANCELED&maxResults=2"},
    ],
    ids=["bare-path", "path-and-query", "whole-url", "no-raw-uri"],
)
def test_request_target_finds_path_and_query_in_every_form(environ):
    assert request_target(_wsgi(**environ), URL) == (
        "iot.us-east-1.amazonaws.com",
        "/jobs",
        "status=CANCELED&maxResults=2",
    )


def test_request_target_keeps_the_path_percent_encoded():
    url = "https://data.jobs.iot.us-east-1.amazonaws.com/things/t1/jobs/%24next"
    request = _wsgi(RAW_URI="/things/t1/jobs/%24next", QUERY_STRING="")
    assert request_target(request, url)[1] == "/things/t1/jobs/%24next"
    # botocore's prepared request (no environ): the URL as sent
    assert request_target(SimpleNamespace(), url)[1] == "/things/t1/jobs/%24next"


def test_a_query_that_disagrees_with_the_url_fails_loudly(monkeypatch):
    monkeypatch.setattr(moto_compat, "_query_checked", False)
    with pytest.raises(MotoCompatibilityError) as caught:
        request_target(_wsgi(RAW_URI="/jobs", QUERY_STRING=""), URL)
    message = str(caught.value)
    assert f"moto {moto.__version__}" in message
    assert "QUERY_STRING" in message
    # nothing was marked as checked: the next request is checked again
    assert moto_compat._query_checked is False


def test_service_check_names_the_missing_assumption(monkeypatch):
    class Stripped:
        dispatch = _get_param = None

    monkeypatch.setattr(moto_compat, "_services_checked", False)
    monkeypatch.setattr(moto_compat, "iot_response_class", lambda: Stripped)
    with pytest.raises(MotoCompatibilityError, match="IoTResponse has no add_thing_to_thing_group"):
        moto_compat.check_services()
    assert moto_compat._services_checked is False


def test_router_check_rejects_a_changed_router_list(monkeypatch):
    monkeypatch.setattr(moto_compat, "router_patterns", lambda: {"iot": "not a list"})
    with pytest.raises(MotoCompatibilityError, match="backend_url_patterns is not a list"):
        moto_compat.check_router()


def test_the_installed_moto_passes_every_check():
    moto_compat.check_router()
    moto_compat.check_services()


def test_query_parameters_reach_the_operation_in_process(iot, fleet):
    """The regression of moto 5.2.4: every query-string parameter was lost in-process."""
    for i in range(3):
        iot.create_job(jobId=f"job-{i}", targets=[fleet], document="{}")
    iot.cancel_job(jobId="job-0")
    assert [j["jobId"] for j in iot.list_jobs(status="CANCELED")["jobs"]] == ["job-0"]
    page = iot.list_jobs(maxResults=1)
    assert len(page["jobs"]) == 1 and "nextToken" in page
    ids = [j["jobId"] for p in iot.get_paginator("list_jobs").paginate(PaginationConfig={"PageSize": 1}) for j in p["jobs"]]
    assert sorted(ids) == ["job-0", "job-1", "job-2"]


def test_no_module_but_the_compat_layer_imports_moto_internals():
    """One place for moto's internals: other modules import only what moto documents."""
    import pathlib
    import re

    package = pathlib.Path(moto_compat.__file__).parents[1]
    allowed = re.compile(r"from moto import mock_aws|from moto\.server import main|from moto\.core\.(models|config) import")
    offenders = []
    for path in package.rglob("*.py"):
        if path.name in ("compat.py", "compat_state.py", "compat_router.py") and path.parent.name == "moto_integration":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if re.match(r"(from moto[. ]|import moto\b)", stripped) and not allowed.match(stripped):
                offenders.append(f"{path.relative_to(package)}:{number}: {stripped}")
    assert offenders == []
