"""Synthetic response bodies for the floor column.

The floor replays bodies recorded from a real run of ours (preferred) or moto's.
When neither produced a body for a call (ours not importable yet, moto has no
iot-jobs-data and its ListJobs crashes), the floor falls back to these bodies.
They follow the botocore output shapes with the fields a real answer carries,
so the parse cost is representative; the table says which source was used.
"""

from __future__ import annotations

import json

ACCOUNT = "123456789012"
REGION = "us-east-1"
T0 = 1_700_000_000.123  # control-plane timestamps: JSON numbers, epoch seconds
T0_INT = 1_700_000_000  # device-plane timestamps: integer epoch seconds


def _thing_arn(name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:thing/{name}"


def _job_arn(job_id: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:job/{job_id}"


def _counters() -> dict:
    return {
        "numberOfCanceledThings": 0,
        "numberOfSucceededThings": 0,
        "numberOfFailedThings": 0,
        "numberOfRejectedThings": 0,
        "numberOfQueuedThings": 0,
        "numberOfInProgressThings": 1,
        "numberOfRemovedThings": 0,
        "numberOfTimedOutThings": 0,
    }


def bodies(thing: str, job: str, list_thing: str, page: int = 250) -> dict[str, dict]:
    """Return {op_key: body dict} for the seven calls of the per-call table."""
    details = {"step": "1", "progress": "50"}
    describe_job = {
        "job": {
            "jobArn": _job_arn(job),
            "jobId": job,
            "targetSelection": "SNAPSHOT",
            "status": "IN_PROGRESS",
            "targets": [_thing_arn(thing)],
            "description": "benchmark job",
            "presignedUrlConfig": {},
            "jobExecutionsRolloutConfig": {},
            "abortConfig": {},
            "createdAt": T0,
            "lastUpdatedAt": T0,
            "jobProcessDetails": _counters(),
            "timeoutConfig": {},
            "isConcurrent": False,
        },
    }
    iot_exec = {
        "execution": {
            "jobId": job,
            "status": "IN_PROGRESS",
            "forceCanceled": False,
            "statusDetails": {"detailsMap": details},
            "thingArn": _thing_arn(thing),
            "queuedAt": T0,
            "startedAt": T0,
            "lastUpdatedAt": T0,
            "executionNumber": 1,
            "versionNumber": 2,
            "approximateSecondsBeforeTimedOut": 0,
        }
    }
    jd_exec = {
        "execution": {
            "jobId": job,
            "thingName": thing,
            "status": "IN_PROGRESS",
            "statusDetails": details,
            "queuedAt": T0_INT,
            "startedAt": T0_INT,
            "lastUpdatedAt": T0_INT,
            "versionNumber": 2,
            "executionNumber": 1,
            "jobDocument": '{"operation": "noop"}',
        }
    }
    pending = {
        "inProgressJobs": [
            {
                "jobId": job,
                "queuedAt": T0_INT,
                "startedAt": T0_INT,
                "lastUpdatedAt": T0_INT,
                "versionNumber": 2,
                "executionNumber": 1,
            }
        ],
        "queuedJobs": [],
    }
    update = {"executionState": {"status": "IN_PROGRESS", "statusDetails": details, "versionNumber": 3}}
    list_jobs = {
        "jobs": [
            {
                "jobArn": _job_arn(f"list-{i:04d}"),
                "jobId": f"list-{i:04d}",
                "targetSelection": "SNAPSHOT",
                "status": "IN_PROGRESS",
                "createdAt": T0 + i,
                "lastUpdatedAt": T0 + i,
                "isConcurrent": False,
            }
            for i in range(page)
        ],
        "nextToken": "bGlzdC0wMjUw",
    }
    list_for_thing = {
        "executionSummaries": [
            {
                "jobId": f"list-{i:04d}",
                "jobExecutionSummary": {
                    "status": "QUEUED",
                    "queuedAt": T0 + i,
                    "lastUpdatedAt": T0 + i,
                    "executionNumber": 1,
                    "retryAttempt": 0,
                },
            }
            for i in range(page)
        ],
        "nextToken": "bGlzdC0wMjUw",
    }
    return {
        "iot:DescribeJob": describe_job,
        "iot:DescribeJobExecution": iot_exec,
        "iot-jobs-data:DescribeJobExecution": jd_exec,
        "iot-jobs-data:GetPendingJobExecutions": pending,
        "iot-jobs-data:UpdateJobExecution": update,
        "iot:ListJobs": list_jobs,
        "iot:ListJobExecutionsForThing": list_for_thing,
    }


def recorded(thing: str, job: str, list_thing: str) -> dict[str, dict]:
    """Synthetic bodies in the recorded format: {op_key: {status, headers, body}}."""
    out = {}
    for key, body in bodies(thing, job, list_thing).items():
        text = json.dumps(body)
        out[key] = {
            "status": 200,
            "headers": {"Content-Type": "application/json", "x-amzn-RequestId": "synthetic"},
            "body": text,
        }
    return out
