"""Timeouts, retries, abort, rollout pacing and schedules, driven by freezegun / time-machine
(templates and documents: `test_templates.py`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from freezegun import freeze_time

from .conftest import DOCUMENT

START = datetime(2030, 1, 7, 12, 0, tzinfo=timezone.utc)  # a Monday


def _things(iot, count, group="fleet"):
    arn = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    for i in range(count):
        iot.create_thing(thingName=f"{group}-{i}")
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=f"{group}-{i}")
    return arn


def _execution(iot, job_id, thing):
    return iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]


# --- timeouts -----------------------------------------------------------------------------


def test_in_progress_timeout_times_out_execution(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[fleet], document=DOCUMENT, timeoutConfig={"inProgressTimeoutInMinutes": 10}
        )
        jobs_data.start_next_pending_job_execution(thingName="t0")
        clock.tick(timedelta(minutes=4))
        assert _execution(iot, "j", "t0")["approximateSecondsBeforeTimedOut"] == 360
        clock.tick(timedelta(minutes=6))
        execution = _execution(iot, "j", "t0")
        assert execution["status"] == "TIMED_OUT"
        assert "approximateSecondsBeforeTimedOut" not in execution
        assert execution["versionNumber"] == 3
        details = iot.describe_job(jobId="j")["job"]["jobProcessDetails"]
        assert details["numberOfTimedOutThings"] == 1
        assert details["numberOfQueuedThings"] == 2


def test_no_timer_no_approximate_seconds(iot, jobs_data, fleet):
    iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
    jobs_data.start_next_pending_job_execution(thingName="t0")
    assert "approximateSecondsBeforeTimedOut" not in _execution(iot, "j", "t0")


def test_step_timeout_from_start_next(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
        started = jobs_data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=5)
        assert started["execution"]["approximateSecondsBeforeTimedOut"] == 300
        clock.tick(timedelta(minutes=5, seconds=1))
        assert _execution(iot, "j", "t0")["status"] == "TIMED_OUT"


def test_step_timer_replaced_and_canceled(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
        jobs_data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=5)
        clock.tick(timedelta(minutes=4))
        jobs_data.update_job_execution(thingName="t0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=10)
        clock.tick(timedelta(minutes=9))
        assert _execution(iot, "j", "t0")["status"] == "IN_PROGRESS"
        jobs_data.update_job_execution(thingName="t0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=-1)
        clock.tick(timedelta(days=3))
        execution = _execution(iot, "j", "t0")
        assert execution["status"] == "IN_PROGRESS"
        assert "approximateSecondsBeforeTimedOut" not in execution


def test_step_timer_never_outlasts_in_progress_timer(iot, jobs_data, fleet):
    """AWS's worked example: 20-minute in-progress timer, a 9-minute step at 12:13 ends at 12:20."""
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[fleet], document=DOCUMENT, timeoutConfig={"inProgressTimeoutInMinutes": 20}
        )
        jobs_data.start_next_pending_job_execution(thingName="t0")
        clock.tick(timedelta(minutes=13))
        jobs_data.update_job_execution(thingName="t0", jobId="j", status="IN_PROGRESS", stepTimeoutInMinutes=9)
        assert _execution(iot, "j", "t0")["approximateSecondsBeforeTimedOut"] == 7 * 60
        clock.tick(timedelta(minutes=7))
        assert _execution(iot, "j", "t0")["status"] == "TIMED_OUT"


def test_update_job_timeout_applies_to_later_starts(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[fleet], document=DOCUMENT, timeoutConfig={"inProgressTimeoutInMinutes": 10}
        )
        jobs_data.start_next_pending_job_execution(thingName="t0")
        iot.update_job(jobId="j", timeoutConfig={"inProgressTimeoutInMinutes": 60})
        jobs_data.start_next_pending_job_execution(thingName="t1")
        clock.tick(timedelta(minutes=11))
        assert _execution(iot, "j", "t0")["status"] == "TIMED_OUT"
        assert _execution(iot, "j", "t1")["status"] == "IN_PROGRESS"
        assert _execution(iot, "j", "t1")["approximateSecondsBeforeTimedOut"] == 49 * 60


def test_time_machine_moves_the_clock_too(iot, jobs_data, fleet):
    with time_machine.travel(START, tick=False) as traveller:
        iot.create_job(
            jobId="j", targets=[fleet], document=DOCUMENT, timeoutConfig={"inProgressTimeoutInMinutes": 1}
        )
        jobs_data.start_next_pending_job_execution(thingName="t0")
        traveller.shift(timedelta(seconds=61))
        assert _execution(iot, "j", "t0")["status"] == "TIMED_OUT"


def test_step_timeout_range_validated(jobs_data, iot, fleet):
    iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT)
    with pytest.raises(jobs_data.exceptions.InvalidRequestException) as error:
        jobs_data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=10081)
    assert "stepTimeoutInMinutes" in str(error.value)
    with pytest.raises(jobs_data.exceptions.InvalidRequestException):
        jobs_data.start_next_pending_job_execution(thingName="t0", stepTimeoutInMinutes=0)
    assert jobs_data.get_pending_job_executions(thingName="t0")["inProgressJobs"] == []


# --- retries ------------------------------------------------------------------------------


def test_failed_execution_is_retried_until_retries_run_out(iot, jobs_data, fleet):
    iot.create_job(
        jobId="j",
        targets=[fleet],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]},
    )
    for attempt in range(3):
        jobs_data.start_next_pending_job_execution(thingName="t0")
        answer = jobs_data.update_job_execution(
            thingName="t0", jobId="j", status="FAILED", includeJobExecutionState=True
        )
        assert answer["executionState"]["status"] == "FAILED"
        summary = iot.list_job_executions_for_thing(thingName="t0")["executionSummaries"][0]
        expected = "QUEUED" if attempt < 2 else "FAILED"
        assert summary["jobExecutionSummary"]["status"] == expected
        assert summary["jobExecutionSummary"]["retryAttempt"] == min(attempt + 1, 2)
    execution = _execution(iot, "j", "t0")
    assert execution["executionNumber"] == 1
    assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfFailedThings"] == 1


def test_retried_execution_has_no_started_at(iot, jobs_data, fleet):
    iot.create_job(
        jobId="j",
        targets=[fleet],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 1}]},
    )
    jobs_data.start_next_pending_job_execution(thingName="t0")
    jobs_data.update_job_execution(thingName="t0", jobId="j", status="FAILED")
    execution = _execution(iot, "j", "t0")
    assert execution["status"] == "QUEUED"
    assert "startedAt" not in execution


def test_timed_out_execution_is_retried(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[fleet],
            document=DOCUMENT,
            timeoutConfig={"inProgressTimeoutInMinutes": 1},
            jobExecutionsRetryConfig={
                "criteriaList": [
                    {"failureType": "TIMED_OUT", "numberOfRetries": 1},
                    {"failureType": "FAILED", "numberOfRetries": 0},
                ]
            },
        )
        jobs_data.start_next_pending_job_execution(thingName="t0")
        clock.tick(timedelta(minutes=2))
        execution = _execution(iot, "j", "t0")
        assert execution["status"] == "QUEUED"
        jobs_data.start_next_pending_job_execution(thingName="t0")
        jobs_data.update_job_execution(thingName="t0", jobId="j", status="FAILED")
        assert _execution(iot, "j", "t0")["status"] == "FAILED"


def test_rejected_is_never_retried(iot, jobs_data, fleet):
    iot.create_job(
        jobId="j",
        targets=[fleet],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "ALL", "numberOfRetries": 5}]},
    )
    jobs_data.update_job_execution(thingName="t0", jobId="j", status="REJECTED")
    assert _execution(iot, "j", "t0")["status"] == "REJECTED"


def test_retry_total_is_at_most_ten(iot, fleet):
    with pytest.raises(iot.exceptions.InvalidRequestException) as error:
        iot.create_job(
            jobId="j",
            targets=[fleet],
            document=DOCUMENT,
            jobExecutionsRetryConfig={
                "criteriaList": [
                    {"failureType": "FAILED", "numberOfRetries": 6},
                    {"failureType": "TIMED_OUT", "numberOfRetries": 5},
                ]
            },
        )
    assert "at most 10" in str(error.value)
    assert iot.list_jobs()["jobs"] == []


def test_snapshot_job_waits_for_retries_before_completing(iot, jobs_data, fleet):
    iot.create_job(
        jobId="j",
        targets=[fleet],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]},
    )
    for thing in ("t1", "t2"):
        jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")
    jobs_data.update_job_execution(thingName="t0", jobId="j", status="FAILED")
    assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
    jobs_data.update_job_execution(thingName="t0", jobId="j", status="SUCCEEDED")
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


# --- abort --------------------------------------------------------------------------------


def test_abort_cancels_queued_executions_once_threshold_reached(iot, jobs_data):
    group = _things(iot, 10)
    iot.create_job(
        jobId="j",
        targets=[group],
        document=DOCUMENT,
        abortConfig={
            "criteriaList": [
                {"failureType": "FAILED", "action": "CANCEL", "thresholdPercentage": 50, "minNumberOfExecutedThings": 4}
            ]
        },
    )
    jobs_data.start_next_pending_job_execution(thingName="fleet-9")
    jobs_data.update_job_execution(thingName="fleet-0", jobId="j", status="SUCCEEDED")
    jobs_data.update_job_execution(thingName="fleet-1", jobId="j", status="FAILED")
    jobs_data.update_job_execution(thingName="fleet-2", jobId="j", status="FAILED")
    assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"  # 3 < minimum of 4
    jobs_data.update_job_execution(thingName="fleet-3", jobId="j", status="SUCCEEDED")  # 2 of 4 = 50 %
    job = iot.describe_job(jobId="j")["job"]
    assert job["status"] == "CANCELED"
    assert job["reasonCode"] == "ABORT_CRITERIA_MET"
    assert "50.00%" in job["comment"]
    assert job["jobProcessDetails"]["numberOfCanceledThings"] == 5
    assert job["jobProcessDetails"]["numberOfInProgressThings"] == 1
    assert _execution(iot, "j", "fleet-9")["status"] == "IN_PROGRESS"


def test_abort_drops_queued_retries(iot, jobs_data):
    group = _things(iot, 2)
    iot.create_job(
        jobId="j",
        targets=[group],
        document=DOCUMENT,
        jobExecutionsRetryConfig={"criteriaList": [{"failureType": "FAILED", "numberOfRetries": 3}]},
        abortConfig={
            "criteriaList": [
                {"failureType": "ALL", "action": "CANCEL", "thresholdPercentage": 100, "minNumberOfExecutedThings": 1}
            ]
        },
    )
    jobs_data.update_job_execution(thingName="fleet-0", jobId="j", status="FAILED")
    assert _execution(iot, "j", "fleet-0")["status"] == "FAILED"
    assert _execution(iot, "j", "fleet-1")["status"] == "CANCELED"
    assert iot.describe_job(jobId="j")["job"]["status"] == "CANCELED"


# --- rollout ------------------------------------------------------------------------------


def test_maximum_per_minute_paces_the_rollout(iot, jobs_data):
    group = _things(iot, 25)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[group], document=DOCUMENT, jobExecutionsRolloutConfig={"maximumPerMinute": 10}
        )
        job = iot.describe_job(jobId="j")["job"]
        assert job["isConcurrent"] is True
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 10
        assert iot.list_jobs()["jobs"][0]["isConcurrent"] is True
        clock.tick(timedelta(seconds=59))
        assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 10
        clock.tick(timedelta(seconds=1))
        assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 20
        clock.tick(timedelta(minutes=5))
        job = iot.describe_job(jobId="j")["job"]
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 25
        assert job["isConcurrent"] is False


def test_snapshot_job_does_not_complete_while_rolling_out(iot, jobs_data):
    group = _things(iot, 4)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[group], document=DOCUMENT, jobExecutionsRolloutConfig={"maximumPerMinute": 2}
        )
        for thing in ("fleet-0", "fleet-1"):
            jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")
        assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
        clock.tick(timedelta(minutes=1))
        for thing in ("fleet-2", "fleet-3"):
            jobs_data.update_job_execution(thingName=thing, jobId="j", status="SUCCEEDED")
        assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_exponential_rate_grows_with_notified_things(iot):
    group = _things(iot, 40)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[group],
            document=DOCUMENT,
            jobExecutionsRolloutConfig={
                "exponentialRate": {
                    "baseRatePerMinute": 2,
                    "incrementFactor": 2,
                    "rateIncreaseCriteria": {"numberOfNotifiedThings": 4},
                }
            },
        )
        created = []
        for _ in range(5):
            created.append(iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"])
            clock.tick(timedelta(minutes=1))
    # Rate steps up each time another 4 things were notified (4, 8, 12, 16 ...; AWS's example:
    # base 50, factor 2, criteria 1000 -> 50, 100, 200, 400 at 1000, 2000, 3000 notified):
    # 2, +2 (4 notified: rate 4), +4 (8: rate 8), +8 (16: two steps, rate 32), the last 24.
    assert created == [2, 4, 8, 16, 40]


def test_cancel_stops_the_rollout(iot):
    group = _things(iot, 10)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[group], document=DOCUMENT, jobExecutionsRolloutConfig={"maximumPerMinute": 3}
        )
        iot.cancel_job(jobId="j")
        clock.tick(timedelta(minutes=10))
        details = iot.describe_job(jobId="j")["job"]["jobProcessDetails"]
        assert details["numberOfCanceledThings"] == 3
        assert details["numberOfQueuedThings"] == 0


# --- scheduling ---------------------------------------------------------------------------


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_scheduled_job_starts_at_start_time_and_is_hidden_until_then(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[fleet],
            document=DOCUMENT,
            schedulingConfig={"startTime": _at(START + timedelta(hours=1))},
        )
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == "SCHEDULED"
        assert job["isConcurrent"] is False
        assert job["schedulingConfig"]["startTime"] == _at(START + timedelta(hours=1))
        assert iot.list_jobs(status="SCHEDULED")["jobs"][0]["jobId"] == "j"
        pending = jobs_data.get_pending_job_executions(thingName="t0")
        assert (pending["inProgressJobs"], pending["queuedJobs"]) == ([], [])
        assert "execution" not in jobs_data.start_next_pending_job_execution(thingName="t0")
        clock.tick(timedelta(hours=1))
        assert iot.describe_job(jobId="j")["job"]["status"] == "IN_PROGRESS"
        queued = jobs_data.get_pending_job_executions(thingName="t0")["queuedJobs"]
        assert [q["jobId"] for q in queued] == ["j"]


def test_scheduled_job_resolves_group_members_at_start(iot, jobs_data, fleet):
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j", targets=[fleet], document=DOCUMENT, schedulingConfig={"startTime": _at(START + timedelta(hours=1))}
        )
        iot.create_thing(thingName="late")
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName="late")
        clock.tick(timedelta(hours=2))
        assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 4


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (timedelta(minutes=10), None, "startTime must be at least 30 minutes"),
        (timedelta(days=400), None, "at most one year"),
        (None, timedelta(minutes=20), "endTime must be at least 30 minutes"),
        (timedelta(hours=2), timedelta(hours=2, minutes=10), "between 30 minutes and two years after startTime"),
    ],
)
def test_schedule_time_ranges_validated(iot, fleet, start, end, message):
    config = {}
    with freeze_time(START):
        if start is not None:
            config["startTime"] = _at(START + start)
        if end is not None:
            config["endTime"] = _at(START + end)
        with pytest.raises(iot.exceptions.InvalidRequestException) as error:
            iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT, schedulingConfig=config)
        assert message in str(error.value)
        assert iot.list_jobs()["jobs"] == []


def test_malformed_schedule_time_rejected(iot, fleet):
    with pytest.raises(iot.exceptions.InvalidRequestException) as error:
        iot.create_job(jobId="j", targets=[fleet], document=DOCUMENT, schedulingConfig={"startTime": "tomorrow"})
    assert "YYYY-MM-DDTHH:MM" in str(error.value)


@pytest.mark.parametrize(
    ("behavior", "job_status", "queued_status", "in_progress_status"),
    [
        ("STOP_ROLLOUT", "IN_PROGRESS", "QUEUED", "IN_PROGRESS"),
        ("CANCEL", "CANCELED", "CANCELED", "IN_PROGRESS"),
        ("FORCE_CANCEL", "CANCELED", "CANCELED", "CANCELED"),
    ],
)
def test_end_behavior(iot, jobs_data, behavior, job_status, queued_status, in_progress_status):
    group = _things(iot, 6)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[group],
            document=DOCUMENT,
            schedulingConfig={"endTime": _at(START + timedelta(minutes=30)), "endBehavior": behavior},
        )
        jobs_data.start_next_pending_job_execution(thingName="fleet-0")
        clock.tick(timedelta(minutes=30))
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == job_status
        assert _execution(iot, "j", "fleet-1")["status"] == queued_status
        assert _execution(iot, "j", "fleet-0")["status"] == in_progress_status
        assert sum(job["jobProcessDetails"].values()) == 6


def test_stop_rollout_at_end_time_leaves_things_without_executions(iot, jobs_data):
    group = _things(iot, 100)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[group],
            document=DOCUMENT,
            jobExecutionsRolloutConfig={"maximumPerMinute": 1},
            schedulingConfig={"endTime": _at(START + timedelta(minutes=30)), "endBehavior": "STOP_ROLLOUT"},
        )
        clock.tick(timedelta(hours=1))
        job = iot.describe_job(jobId="j")["job"]
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 30  # minutes 0..29
        assert job["isConcurrent"] is False


def test_maintenance_windows_pause_and_resume_the_rollout(iot):
    group = _things(iot, 10)
    with freeze_time(START) as clock:
        iot.create_job(
            jobId="j",
            targets=[group],
            document=DOCUMENT,
            jobExecutionsRolloutConfig={"maximumPerMinute": 2},
            schedulingConfig={
                "startTime": _at(START + timedelta(hours=1)),
                "maintenanceWindows": [{"startTime": "cron(0 14 ? * * *)", "durationInMinutes": 2}],
            },
        )
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == "SCHEDULED"
        assert job["scheduledJobRollouts"][:2] == [{"startTime": "2030-01-07T14:00"}, {"startTime": "2030-01-08T14:00"}]
        assert len(job["scheduledJobRollouts"]) == 7
        clock.tick(timedelta(hours=1, minutes=30))  # started, but no window yet
        assert iot.describe_job(jobId="j")["job"]["status"] == "SCHEDULED"
        clock.tick(timedelta(minutes=30))  # 14:00, window opens
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == "IN_PROGRESS"
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 2
        clock.tick(timedelta(minutes=1))
        assert iot.describe_job(jobId="j")["job"]["jobProcessDetails"]["numberOfQueuedThings"] == 4
        clock.tick(timedelta(minutes=1))  # 14:02, window closes
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == "SCHEDULED"
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 4
        clock.tick(timedelta(hours=23, minutes=58))  # 14:00 the next day: the next window
        job = iot.describe_job(jobId="j")["job"]
        assert job["status"] == "IN_PROGRESS"
        assert job["jobProcessDetails"]["numberOfQueuedThings"] == 6


def test_invalid_cron_rejected(iot, fleet):
    with pytest.raises(iot.exceptions.InvalidRequestException) as error:
        iot.create_job(
            jobId="j",
            targets=[fleet],
            document=DOCUMENT,
            schedulingConfig={"maintenanceWindows": [{"startTime": "cron(61 * * * ? *)", "durationInMinutes": 30}]},
        )
    assert "maintenanceWindows.1.startTime" in str(error.value)
