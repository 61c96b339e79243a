"""moto's `published_payloads` under a bound: a long-running server keeps the newest N
messages per account and region; in-process it stays unbounded unless asked (tests read it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.server import DEFAULT_MAX_RECORDED, parse_args
from moto_iotjobs.services.jobs import notifications
from moto_iotjobs.services.jobs.notifications import deliver, set_max_recorded_messages

from .helpers import ACCOUNT, REGION, thing_arn
from .summary import record

LIFECYCLES = 300


@pytest.fixture
def bound() -> Iterator[Any]:
    before = notifications.max_recorded_messages()
    yield set_max_recorded_messages
    set_max_recorded_messages(before)


def run_lifecycles(iotjobs: Any, count: int) -> None:
    """`count` jobs, each queued on t1 and run to SUCCEEDED by the device."""
    iot = iotjobs.client("iot")
    jobs_data = iotjobs.client("iot-jobs-data")
    iot.create_thing(thingName="t1")
    for index in range(count):
        iot.create_job(jobId=f"j{index}", targets=[thing_arn("t1")], document="{}")
        jobs_data.update_job_execution(jobId=f"j{index}", thingName="t1", status="SUCCEEDED")


def recorded() -> list[tuple[str, bytes]]:
    return list(moto_compat.iotdata_backend(ACCOUNT, REGION).published_payloads)


def test_in_process_default_is_unbounded(iotjobs: Any, bound: Any) -> None:
    bound(None)
    run_lifecycles(iotjobs, LIFECYCLES)
    count = len(recorded())
    assert count >= 2 * LIFECYCLES  # notify and notify-next at least, every one kept
    record("memory", f"published_payloads after {LIFECYCLES} lifecycles, unbounded", count)


def test_bound_keeps_the_newest_messages_in_the_same_list(iotjobs: Any, bound: Any) -> None:
    bound(100)
    held = moto_compat.iotdata_backend(ACCOUNT, REGION).published_payloads
    run_lifecycles(iotjobs, LIFECYCLES)
    kept = recorded()
    assert len(kept) == 100
    assert moto_compat.iotdata_backend(ACCOUNT, REGION).published_payloads is held
    last_job = f"j{LIFECYCLES - 1}".encode()
    assert any(last_job in payload for _, payload in kept[-5:])  # the newest are kept
    assert not any(b'"jobId":"j0"' in payload for _, payload in kept)  # the oldest went
    record("memory", f"published_payloads after {LIFECYCLES} lifecycles, bound 100", len(kept))


def test_bound_applies_to_other_services_publishing(iotjobs: Any, bound: Any) -> None:
    """Commands publish through `deliver`, the same single place."""
    bound(3)
    for index in range(10):
        deliver(ACCOUNT, REGION, f"$aws/commands/things/t1/executions/{index}/request", b"{}")
    assert [topic.rsplit("/", 2)[1] for topic, _ in recorded()] == ["7", "8", "9"]


def test_server_bound_flag_and_environment(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.delenv("MOTO_IOTJOBS_MAX_RECORDED_MESSAGES", raising=False)
    assert parse_args([]).max_recorded_messages == DEFAULT_MAX_RECORDED == 100_000
    assert parse_args(["--max-recorded-messages", "50"]).max_recorded_messages == 50
    monkeypatch.setenv("MOTO_IOTJOBS_MAX_RECORDED_MESSAGES", "7")
    assert parse_args([]).max_recorded_messages == 7
    monkeypatch.setenv("MOTO_IOTJOBS_MAX_RECORDED_MESSAGES", "lots")
    with pytest.raises(SystemExit) as exit_info:
        parse_args([])
    assert exit_info.value.code == 2
    assert "max-recorded-messages" in capsys.readouterr().err


def test_set_bound_zero_means_unbounded(bound: Any) -> None:
    bound(0)
    assert notifications.max_recorded_messages() is None
    bound(5)
    assert notifications.max_recorded_messages() == 5
