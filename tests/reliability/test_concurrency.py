"""Threads updating the same job executions with expectedVersion, in-process and against moto's
server: every accepted update raises versionNumber by exactly one, every rejected one changes
nothing, and no update is lost (accepted updates counted == final versionNumber - start).

IOTJOBS_CONCURRENCY_ROUNDS (default 25) sets the rounds per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, Callable

import boto3
import pytest
from botocore.exceptions import ClientError

from moto_iotjobs import mock_iotjobs

from .helpers import FAKE_ENV, env_int, error_code, make_clients, moto_server, thing_arn
from .summary import record

THREADS = 8
ROUNDS = env_int("IOTJOBS_CONCURRENCY_ROUNDS", 25)
THINGS = ("c0", "c1")


@pytest.fixture(params=["in-process", "server"])
def channel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], tuple[Any, Any]]]:
    """A factory of fresh (iot, iot-jobs-data) client pairs, each pair for one thread."""
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    session = boto3.session.Session()  # one session: its clients are built fast, used by one thread each
    if request.param == "in-process":
        with mock_iotjobs():
            yield lambda: make_clients(session=session)
    else:
        with moto_server() as endpoint:
            yield lambda: make_clients(endpoint=endpoint, session=session)


def run_threads(work: Callable[[int, Any, Any], None], factory: Callable[[], tuple[Any, Any]]) -> None:
    clients = [factory() for _ in range(THREADS)]  # built up front: client creation is not thread-safe
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index, *clients[index])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors


def start_job(iot: Any, jobs_data: Any, job_id: str) -> None:
    for thing in THINGS:
        iot.create_thing(thingName=thing)
    iot.create_job(jobId=job_id, targets=[thing_arn(t) for t in THINGS], document="{}")
    for thing in THINGS:
        assert jobs_data.start_next_pending_job_execution(thingName=thing)["execution"]["versionNumber"] == 2


def test_concurrent_device_updates_lose_nothing(channel: Callable[[], tuple[Any, Any]]) -> None:
    iot, jobs_data = channel()
    start_job(iot, jobs_data, "race")
    accepted: list[tuple[str, int, str]] = []
    rejected: list[tuple[str, int, bool]] = []
    lock = threading.Lock()

    def work(index: int, _iot: Any, device: Any) -> None:
        for round_ in range(ROUNDS):
            thing = THINGS[(index + round_) % len(THINGS)]
            current = device.describe_job_execution(thingName=thing, jobId="race", includeJobDocument=False)
            version = current["execution"]["versionNumber"]
            stale = round_ % 4 == 3
            expected = version - 1 if stale else version
            tag = f"{index}-{round_}"
            try:
                answer = device.update_job_execution(
                    thingName=thing, jobId="race", status="IN_PROGRESS", expectedVersion=expected,
                    statusDetails={"by": tag}, includeJobExecutionState=True,
                )
            except ClientError as error:
                assert error_code(error) == "InvalidStateTransitionException", error
                with lock:
                    rejected.append((thing, expected, stale))
                continue
            assert not stale, f"a stale expectedVersion {expected} was accepted"
            state = answer["executionState"]
            assert state["versionNumber"] == expected + 1, (expected, state)
            with lock:
                accepted.append((thing, state["versionNumber"], tag))

    run_threads(work, channel)
    for thing in THINGS:
        mine = sorted((v, tag) for t, v, tag in accepted if t == thing)
        final = iot.describe_job_execution(jobId="race", thingName=thing)["execution"]
        # Each accepted update took the version one step further, none was lost or doubled.
        assert [v for v, _ in mine] == list(range(3, final["versionNumber"] + 1)), (thing, mine, final)
        assert final["versionNumber"] == 2 + len(mine)
        if mine:
            assert final["statusDetails"]["detailsMap"] == {"by": mine[-1][1]}
    assert len(accepted) + len(rejected) == THREADS * ROUNDS
    assert sum(1 for *_, stale in rejected if stale) == THREADS * (ROUNDS // 4)
    record("concurrency", "device updates", len(accepted) + len(rejected))
    record("concurrency", "accepted", len(accepted))


def test_concurrent_finish_exactly_one_wins(channel: Callable[[], tuple[Any, Any]]) -> None:
    """Every thread tries to finish the same execution at the same version: one wins."""
    iot, jobs_data = channel()
    start_job(iot, jobs_data, "finish")
    winners: list[str] = []
    codes: list[str] = []
    lock = threading.Lock()

    def work(index: int, _iot: Any, device: Any) -> None:
        status = ("SUCCEEDED", "FAILED", "REJECTED")[index % 3]
        try:
            device.update_job_execution(thingName="c0", jobId="finish", status=status, expectedVersion=2)
        except ClientError as error:
            with lock:
                codes.append(error_code(error))
            return
        with lock:
            winners.append(status)

    run_threads(work, channel)
    assert len(winners) == 1, winners
    assert set(codes) == {"InvalidStateTransitionException"}, codes
    final = iot.describe_job_execution(jobId="finish", thingName="c0")["execution"]
    assert (final["status"], final["versionNumber"]) == (winners[0], 3)


def test_concurrent_planes_cancel_and_update(channel: Callable[[], tuple[Any, Any]]) -> None:
    """Half the threads update from the device, half cancel (force) from the control plane,
    all with the version they read: the version still counts every accepted change once."""
    iot, jobs_data = channel()
    start_job(iot, jobs_data, "mixed")
    accepted: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(index: int, control: Any, device: Any) -> None:
        for round_ in range(ROUNDS // 5 + 1):
            version = control.describe_job_execution(jobId="mixed", thingName="c1")["execution"]["versionNumber"]
            try:
                if index % 2:
                    control.cancel_job_execution(jobId="mixed", thingName="c1", force=True, expectedVersion=version)
                    kind = "cancel"
                else:
                    device.update_job_execution(thingName="c1", jobId="mixed", status="IN_PROGRESS",
                                                expectedVersion=version, statusDetails={"r": str(round_)})
                    kind = "update"
            except ClientError as error:
                assert error_code(error) in (
                    "InvalidStateTransitionException", "VersionConflictException"
                ), error
                continue
            with lock:
                accepted.append((kind, version))

    run_threads(work, channel)
    final = iot.describe_job_execution(jobId="mixed", thingName="c1")["execution"]
    assert final["versionNumber"] == 2 + len(accepted), (final, accepted)
    assert sorted(v for _, v in accepted) == list(range(2, final["versionNumber"])), accepted
    cancels = [a for a in accepted if a[0] == "cancel"]
    assert len(cancels) <= 1 and (final["status"] == "CANCELED") == bool(cancels), (final, accepted)
    if cancels:  # nothing after the cancel
        assert max(v for _, v in accepted) == cancels[0][1], accepted
    details = iot.describe_job(jobId="mixed")["job"]["jobProcessDetails"]
    assert details["numberOfCanceledThings"] == len(cancels)
    assert details["numberOfInProgressThings"] == 2 - len(cancels)


def test_concurrent_start_next_starts_once(channel: Callable[[], tuple[Any, Any]]) -> None:
    iot, jobs_data = channel()
    iot.create_thing(thingName="solo")
    iot.create_job(jobId="once", targets=[thing_arn("solo")], document="{}")
    seen: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(index: int, _iot: Any, device: Any) -> None:
        execution = device.start_next_pending_job_execution(thingName="solo")["execution"]
        with lock:
            seen.append((execution["status"], execution["versionNumber"]))

    run_threads(work, channel)
    assert set(seen) == {("IN_PROGRESS", 2)}, seen
    final = iot.describe_job_execution(jobId="once", thingName="solo")["execution"]
    assert final["versionNumber"] == 2


def test_concurrent_command_starts_and_updates(channel: Callable[[], tuple[Any, Any]]) -> None:
    """Threads start executions (half of them reusing one clientToken) while others
    deprecate/undeprecate and rename the command: every start that succeeds is listed once,
    the shared token yields one execution, and a start is refused only while deprecated."""
    iot, _ = channel()
    iot.create_thing(thingName="c0")
    command_arn = iot.create_command(commandId="cc", payload={"content": b"x"})["commandArn"]
    started: list[str] = []
    shared: list[str] = []
    refused: list[str] = []
    lock = threading.Lock()

    def work(index: int, control: Any, device: Any) -> None:
        for round_number in range(ROUNDS):
            if index == 0:
                control.update_command(commandId="cc", deprecated=round_number % 2 == 0)
                continue
            if index == 1:
                control.update_command(commandId="cc", deprecated=False, displayName=f"n{round_number}")
                continue
            token = "shared-token" if index % 2 == 0 else f"t-{index}-{round_number}"
            try:
                execution_id = device.start_command_execution(
                    targetArn=thing_arn("c0"), commandArn=command_arn, clientToken=token, executionTimeoutSeconds=3600
                )["executionId"]
            except ClientError as error:
                assert error_code(error) == "ValidationException", error
                assert "deprecated" in str(error)
                with lock:
                    refused.append(token)
                continue
            with lock:
                (shared if token == "shared-token" else started).append(execution_id)

    run_threads(work, channel)
    listed = [
        e["executionId"]
        for page in iot.get_paginator("list_command_executions").paginate(commandArn=command_arn)
        for e in page["commandExecutions"]
    ]
    assert len(set(shared)) <= 1
    assert sorted(listed) == sorted(set(started) | set(shared))
    assert len(started) == len(set(started))
    assert len(started) + len(shared) + len(refused) == (THREADS - 2) * ROUNDS
    record("commands concurrency (starts accepted / refused while deprecated)", "accepted", len(started) + len(shared))
    record("commands concurrency (starts accepted / refused while deprecated)", "refused", len(refused))
