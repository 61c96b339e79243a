"""A clock moved backwards (freezegun, time-machine): every record's timestamps stay ordered
and approximateSecondsBeforeTimedOut stays within [0, timeout]."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

from freezegun import freeze_time

from .helpers import thing_arn
from .summary import record

START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
TIMEOUT_MINUTES = 10


def check_ordered(iot: Any, jobs_data: Any, job_id: str, things: list[str]) -> int:
    """Assert the order of every timestamp of the job and its executions; returns how many
    records were checked."""
    job = iot.describe_job(jobId=job_id)["job"]
    assert job["createdAt"] <= job["lastUpdatedAt"], job
    if "completedAt" in job:
        assert job["createdAt"] <= job["completedAt"] <= job["lastUpdatedAt"], job
    checked = 1
    for thing in things:
        execution = iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]
        queued, updated = execution["queuedAt"], execution["lastUpdatedAt"]
        assert queued <= updated, execution
        if "startedAt" in execution:
            assert queued <= execution["startedAt"] <= updated, execution
        views = [execution]
        if execution["status"] in ("QUEUED", "IN_PROGRESS"):  # the device plane answers 410 once terminal
            views.append(jobs_data.describe_job_execution(jobId=job_id, thingName=thing)["execution"])
        for view in views:
            remaining = view.get("approximateSecondsBeforeTimedOut")
            if remaining is not None:
                assert 0 <= remaining <= TIMEOUT_MINUTES * 60, view
        checked += 1
    return checked


def test_completed_job_after_the_clock_went_back_a_day(iotjobs: Any) -> None:
    iot = iotjobs.client("iot")
    jobs_data = iotjobs.client("iot-jobs-data")
    with freeze_time(START) as clock:
        iot.create_thing(thingName="t1")
        iot.create_job(
            jobId="j1", targets=[thing_arn("t1")], document="{}",
            timeoutConfig={"inProgressTimeoutInMinutes": TIMEOUT_MINUTES},
        )
        jobs_data.start_next_pending_job_execution(thingName="t1")
        clock.move_to(START - timedelta(days=1))
        remaining = jobs_data.describe_job_execution(jobId="j1", thingName="t1")["execution"][
            "approximateSecondsBeforeTimedOut"
        ]
        assert remaining == TIMEOUT_MINUTES * 60  # was 87,000 for a 600 s timeout
        jobs_data.update_job_execution(jobId="j1", thingName="t1", status="SUCCEEDED")
        job = iot.describe_job(jobId="j1")["job"]
        assert job["status"] == "COMPLETED"
        assert job["completedAt"] >= job["createdAt"]  # was a day before it
        check_ordered(iot, jobs_data, "j1", ["t1"])


def test_random_clock_jumps_keep_every_record_ordered(iotjobs: Any) -> None:
    """Random operations at random times, back and forth by up to two days."""
    rng = random.Random(14)
    iot = iotjobs.client("iot")
    jobs_data = iotjobs.client("iot-jobs-data")
    things = [f"t{i}" for i in range(3)]
    checked = 0
    with freeze_time(START) as clock:
        for thing in things:
            iot.create_thing(thingName=thing)
        for round_ in range(12):
            job_id = f"j{round_}"
            iot.create_job(
                jobId=job_id, targets=[thing_arn(t) for t in things], document="{}",
                timeoutConfig={"inProgressTimeoutInMinutes": TIMEOUT_MINUTES},
            )
            for _ in range(6):
                clock.move_to(START + timedelta(seconds=rng.randint(-2 * 86400, 2 * 86400)))
                thing = rng.choice(things)
                action = rng.choice(["start", "progress", "succeed", "fail", "cancel", "update"])
                try:
                    if action == "start":
                        jobs_data.start_next_pending_job_execution(
                            thingName=thing, stepTimeoutInMinutes=rng.choice([1, 5, 10])
                        )
                    elif action in ("progress", "succeed", "fail"):
                        status = {"progress": "IN_PROGRESS", "succeed": "SUCCEEDED", "fail": "FAILED"}[action]
                        jobs_data.update_job_execution(jobId=job_id, thingName=thing, status=status)
                    elif action == "cancel":
                        iot.cancel_job(jobId=job_id, force=True)
                    else:
                        iot.update_job(jobId=job_id, description=f"d{rng.random()}")
                except iot.exceptions.ClientError:
                    pass  # a transition the table refuses: fine, nothing changed
                except jobs_data.exceptions.ClientError:
                    pass
                checked += check_ordered(iot, jobs_data, job_id, things)
    record("clock backwards", "records checked after random clock jumps", checked)
