"""The jobs lock and the dynamic groups' lock are taken in one order (docs/ARCHITECTURE.md,
"Lock order"): threads racing the dispatcher's path (Create/DeleteDynamicThingGroup: the
dynamic groups then tell the jobs) against the registry watch's path (AddThingToThingGroup:
the jobs lock held while the thing is re-evaluated against the dynamic groups) and
TagResource (the tagging dispatch, then a job's lock) all finish.

With the old order (dynamic groups, then jobs, in the dispatcher; jobs, then dynamic groups,
in the watch) this deadlocked within a few rounds; the threads are joined with a timeout so
a deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

import boto3
import pytest

from moto_iotjobs import mock_iotjobs

from .helpers import FAKE_ENV, env_int, make_clients

ROUNDS = env_int("IOTJOBS_LOCK_ORDER_ROUNDS", 60)
JOIN_TIMEOUT = 60.0  # all threads together; a healthy run takes a few seconds


@pytest.fixture
def iot(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Any]]:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    session = boto3.session.Session()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: the race shows in few rounds
    try:
        with mock_iotjobs():
            yield lambda: make_clients(session=session)[0]
    finally:
        sys.setswitchinterval(interval)


def race(*works: Callable[[Any], None], factory: Callable[[], Any]) -> None:
    clients = [factory() for _ in works]  # built up front: client creation is not thread-safe
    barrier = threading.Barrier(len(works))
    errors: list[BaseException] = []

    def run(work: Callable[[Any], None], client: Any) -> None:
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                work(client)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(w, c), daemon=True) for w, c in zip(works, clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"deadlock: {stuck} still running after {JOIN_TIMEOUT} s"
    assert errors == [], errors


@pytest.mark.timeout(300)
def test_dispatcher_and_registry_watch_never_deadlock(iot: Callable[[], Any]) -> None:
    setup = iot()
    setup.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
    setup.create_thing(thingName="t", attributePayload={"attributes": {"fw": "1"}})
    setup.create_thing_group(thingGroupName="static")
    setup.create_job(jobId="follow", targets=[setup.describe_thing_group(thingGroupName="static")["thingGroupArn"]],
                     document="{}", targetSelection="CONTINUOUS")
    job_arn = setup.describe_job(jobId="follow")["job"]["jobArn"]

    def dynamic_groups(client: Any) -> None:
        client.create_dynamic_thing_group(thingGroupName="dyn", queryString="attributes.fw:1",
                                          tags=[{"Key": "k", "Value": "v"}])
        client.delete_dynamic_thing_group(thingGroupName="dyn")

    def registry(client: Any) -> None:
        client.add_thing_to_thing_group(thingGroupName="static", thingName="t")
        client.remove_thing_from_thing_group(thingGroupName="static", thingName="t")

    def tags(client: Any) -> None:
        client.tag_resource(resourceArn=job_arn, tags=[{"Key": "k", "Value": "v"}])
        client.untag_resource(resourceArn=job_arn, tagKeys=["k"])

    race(dynamic_groups, registry, tags, factory=iot)
    assert setup.list_things_in_thing_group(thingGroupName="static")["things"] == []
    assert "dyn" not in [g["groupName"] for g in setup.list_thing_groups()["thingGroups"]]
