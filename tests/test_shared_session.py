"""The `iotjobs` fixture shares botocore's parsed data across tests, and nothing else (#19).

Each test here runs the fixture's own generator twice in a row (two "tests"), so what one
leaves behind is checked in the next without depending on test order.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from moto_iotjobs.pytest_plugin import IoTJobsHandle, iotjobs
from moto_iotjobs.shared_session import ENV_SWITCH, new_boto3_session


def _fixture_function() -> Any:
    if hasattr(iotjobs, "_get_wrapped_function"):
        return iotjobs._get_wrapped_function()
    return iotjobs.__pytest_wrapped__.obj  # type: ignore[attr-defined]


@contextlib.contextmanager
def fixture_run() -> Iterator[tuple[IoTJobsHandle, pytest.MonkeyPatch]]:
    """One test's worth of the `iotjobs` fixture: setup, yield, teardown."""
    monkeypatch = pytest.MonkeyPatch()
    gen = _fixture_function()(monkeypatch)
    try:
        yield next(gen), monkeypatch
    finally:
        for _ in gen:
            pass
        monkeypatch.undo()


def _loader(handle: IoTJobsHandle) -> Any:
    return handle.session._session.get_component("data_loader")


def test_loaded_data_is_shared_but_sessions_are_new() -> None:
    with fixture_run() as (first, _):
        first.client("iot").list_jobs()
    with fixture_run() as (second, _):
        second.client("iot").list_jobs()
    assert first.session is not second.session
    assert first.session._session is not second.session._session
    assert _loader(first) is _loader(second)
    assert first.session.events is not second.session.events


def test_state_does_not_leak_into_the_next_test() -> None:
    with fixture_run() as (handle, _):
        iot = handle.client("iot")
        iot.create_thing(thingName="t1")
        iot.create_job(jobId="j1", targets=[iot.describe_thing(thingName="t1")["thingArn"]],
                       document="{}")
        assert [j["jobId"] for j in iot.list_jobs()["jobs"]] == ["j1"]
    with fixture_run() as (handle, _):
        iot = handle.client("iot")
        assert iot.list_jobs()["jobs"] == []
        assert iot.list_things()["things"] == []


def test_event_handlers_do_not_leak_into_the_next_test() -> None:
    seen: list[str] = []

    def on_client(**kwargs: Any) -> None:
        seen.append("client")

    def on_session(**kwargs: Any) -> None:
        seen.append("session")

    with fixture_run() as (handle, _):
        handle.session.events.register("before-call.iot.ListJobs", on_session)
        iot = handle.client("iot")
        iot.meta.events.register("before-call.iot.ListJobs", on_client)
        iot.list_jobs()
        assert sorted(seen) == ["client", "session"]
    seen.clear()
    with fixture_run() as (handle, _):
        handle.client("iot").list_jobs()
        boto3.client("iot").list_jobs()  # the default session of this test, too
    assert seen == []


def test_credentials_come_from_the_environment_of_each_test() -> None:
    with fixture_run() as (handle, monkeypatch):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "first-test-key")
        creds = handle.client("iot")._request_signer._credentials
        assert creds.access_key == "first-test-key"
    with fixture_run() as (handle, _):
        creds = handle.client("iot")._request_signer._credentials
        # moto's own fake key, as mock_aws puts it in the environment: not the last test's
        assert creds.access_key == os.environ["AWS_ACCESS_KEY_ID"] != "first-test-key"


def test_region_per_client() -> None:
    with fixture_run() as (handle, _):
        west = handle.client("iot", region_name="eu-west-1")
        east = handle.client("iot")
        assert (west.meta.region_name, east.meta.region_name) == ("eu-west-1", "us-east-1")
        west.create_thing(thingName="t-west")
        west.create_job(jobId="j-west", document="{}",
                        targets=[west.describe_thing(thingName="t-west")["thingArn"]])
        assert "j-west" in handle.backend("eu-west-1").jobs
        assert "j-west" not in handle.backend().jobs
        assert east.list_jobs()["jobs"] == []


def test_plain_boto3_client_uses_the_tests_session_and_the_default_is_restored() -> None:
    before = boto3.DEFAULT_SESSION
    with fixture_run() as (handle, _):
        assert boto3.DEFAULT_SESSION is handle.session
        assert boto3.client("iot").list_jobs()["jobs"] == []
    assert boto3.DEFAULT_SESSION is before


def test_search_path_does_not_grow_per_session() -> None:
    first = new_boto3_session("us-east-1")
    paths = list(first._loader.search_paths)
    for _ in range(3):
        new_boto3_session("us-east-1")
    assert first._loader.search_paths == paths
    assert len(set(paths)) == len(paths)


def test_opt_out_gives_plain_sessions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SWITCH, "0")
    with fixture_run() as (handle, _):
        assert handle.session is None
        assert handle.client("iot").list_jobs()["jobs"] == []
    shared = new_boto3_session("us-east-1")._loader
    monkeypatch.setenv(ENV_SWITCH, "1")
    assert new_boto3_session("us-east-1")._loader is not shared


def _shared_loader() -> Any:
    return new_boto3_session("us-east-1")._loader


def test_mock_iotjobs_context_manager_gives_a_fresh_shared_data_default_session() -> None:
    from moto_iotjobs import mock_iotjobs

    before = boto3.DEFAULT_SESSION
    seen: list[str] = []
    with mock_iotjobs():
        first = boto3.DEFAULT_SESSION
        assert first is not None and first._loader is _shared_loader()
        first.events.register("before-call.iot.ListJobs", lambda **kw: seen.append("x"))
        boto3.client("iot", region_name="us-east-1").list_jobs()
    assert boto3.DEFAULT_SESSION is before and seen == ["x"]
    with mock_iotjobs():
        assert boto3.DEFAULT_SESSION is not first
        boto3.client("iot", region_name="us-east-1").list_jobs()
    assert seen == ["x"]


def test_mock_iotjobs_decorator_and_nesting() -> None:
    from moto import mock_aws

    from moto_iotjobs import mock_iotjobs

    @mock_iotjobs
    def decorated() -> Any:
        assert boto3.client("iot", region_name="us-east-1").list_jobs()["jobs"] == []
        return boto3.DEFAULT_SESSION

    assert decorated()._loader is _shared_loader()
    with mock_aws():  # moto's own outer mock resets the default session the plain way
        outer = boto3.DEFAULT_SESSION
        with mock_iotjobs():
            assert boto3.DEFAULT_SESSION is outer  # the inner mock leaves it alone
        assert boto3.DEFAULT_SESSION is outer


def test_mock_iotjobs_opt_out(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto_iotjobs import mock_iotjobs

    monkeypatch.setenv(ENV_SWITCH, "off")
    with mock_iotjobs():
        assert boto3.DEFAULT_SESSION is None  # moto's own reset
