"""The end-to-end path every other test relies on: a job reaches a device and completes."""

from __future__ import annotations

from .conftest import DOCUMENT


def test_job_runs_to_completion_on_one_thing(iot, jobs_data, fleet):
    iot.create_job(jobId="j1", targets=[fleet], document=DOCUMENT)
    for i in range(3):
        started = jobs_data.start_next_pending_job_execution(thingName=f"t{i}")
        assert started["execution"]["status"] == "IN_PROGRESS"
        jobs_data.update_job_execution(thingName=f"t{i}", jobId="j1", status="SUCCEEDED")
    job = iot.describe_job(jobId="j1")["job"]
    assert job["status"] == "COMPLETED"
    assert job["jobProcessDetails"]["numberOfSucceededThings"] == 3
    assert "completedAt" in job
