"""Server mode: ThreadedMotoServer after `import moto_iotjobs`, `python -m moto_iotjobs`, the
real AWS CLI against it, reset, fault injection over HTTP and a threaded load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator

import boto3
import pytest
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

import moto_iotjobs  # noqa: F401  (registers the routes before the server starts)

from .helpers import free_port, start_server_process

pytestmark = pytest.mark.server

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto_server.start()
    host, port = moto_server.get_host_and_port()
    yield f"http://{host}:{port}"
    moto_server.stop()


@pytest.fixture
def endpoint(server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    requests.post(f"{server}/moto-api/reset")
    yield server
    requests.post(f"{server}/moto-api/reset")


def _client(service: str, endpoint: str, **config: object):
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=endpoint, config=Config(**config) if config else None
    )


def test_both_planes_through_the_server(endpoint):
    iot = _client("iot", endpoint)
    data = _client("iot-jobs-data", endpoint)
    arn = iot.create_thing(thingName="dev")["thingArn"]
    iot.create_job(jobId="j", targets=[arn], document='{"op":"x"}')
    assert data.get_pending_job_executions(thingName="dev")["queuedJobs"][0]["jobId"] == "j"
    started = data.start_next_pending_job_execution(thingName="dev")["execution"]
    assert started["status"] == "IN_PROGRESS"
    assert data.describe_job_execution(thingName="dev", jobId="$next")["execution"]["jobId"] == "j"
    data.update_job_execution(thingName="dev", jobId="j", status="SUCCEEDED", expectedVersion=2)
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"
    assert iot.describe_thing(thingName="dev")["thingName"] == "dev"  # moto's own IoT, untouched


def test_reset_clears_jobs(endpoint):
    iot = _client("iot", endpoint)
    arn = iot.create_thing(thingName="dev")["thingArn"]
    iot.create_job(jobId="j", targets=[arn], document="{}")
    requests.post(f"{endpoint}/moto-api/reset")
    assert iot.list_jobs()["jobs"] == []


def test_fault_injection_over_http_and_boto3_retries(endpoint):
    faults = f"{endpoint}/moto-api/iotjobs/faults"
    answer = requests.post(faults, json={"operation": "GetPendingJobExecutions", "count": 2})
    assert answer.status_code == 200
    assert requests.get(faults).json()["faults"][0]["operation"] == "GetPendingJobExecutions"
    data = _client("iot-jobs-data", endpoint, retries={"mode": "standard", "total_max_attempts": 5})
    response = data.get_pending_job_executions(thingName="dev")
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert requests.get(faults).json()["faults"] == []

    requests.post(faults, json={"operation": "ListJobs", "error": "ServiceUnavailableException", "count": 1})
    once = _client("iot", endpoint, retries={"mode": "standard", "total_max_attempts": 1})
    with pytest.raises(once.exceptions.ServiceUnavailableException) as error:
        once.list_jobs()
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    requests.post(faults, json={"operation": "ListJobs", "count": 1})
    requests.delete(faults)
    assert once.list_jobs()["jobs"] == []

    bad = requests.post(faults, json={"operation": "ListJobs", "error": "NoSuchError"})
    assert bad.status_code == 400
    assert "NoSuchError" in bad.json()["message"]

    typo = requests.post(faults, json={"operation": "ListJob", "plane": "iot"})
    assert typo.status_code == 400
    assert typo.headers["Content-Type"] == "application/json"
    body = typo.json()
    assert "unknown operation 'ListJob'" in body["message"]
    assert "ListJobs" in body["validOperations"] and "CreateJob" in body["validOperations"]
    assert "UpdateJobExecution" not in body["validOperations"]  # device plane only
    assert requests.get(faults).json()["faults"] == []

    alias = requests.post(faults, json={"operation": "list_jobs", "count": 1})
    assert alias.status_code == 200 and alias.json()["operation"] == "ListJobs"
    with pytest.raises(once.exceptions.ThrottlingException):
        once.list_jobs()


def test_throttling_is_429_on_the_device_plane_over_http(endpoint):
    requests.post(f"{endpoint}/moto-api/iotjobs/faults", json={"operation": "*", "count": 2})
    once = {"retries": {"mode": "standard", "total_max_attempts": 1}}
    with pytest.raises(Exception) as device:
        _client("iot-jobs-data", endpoint, **once).get_pending_job_executions(thingName="x")
    with pytest.raises(Exception) as control:
        _client("iot", endpoint, **once).list_jobs()
    assert device.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert control.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert device.value.response["Error"]["Code"] == control.value.response["Error"]["Code"] == "ThrottlingException"


def test_concurrent_clients_never_lose_an_update(endpoint):
    iot = _client("iot", endpoint)
    things = [f"dev{i}" for i in range(4)]
    group = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    for name in things:
        iot.create_thing(thingName=name)
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=name)
    iot.create_job(jobId="load", targets=[group], document="{}")
    accepted = {name: 0 for name in things}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(thing: str, rounds: int) -> None:
        data = _client("iot-jobs-data", endpoint)
        try:
            for _ in range(rounds):
                version = data.describe_job_execution(thingName=thing, jobId="load")["execution"]["versionNumber"]
                try:
                    data.update_job_execution(
                        thingName=thing,
                        jobId="load",
                        status="IN_PROGRESS",
                        expectedVersion=version,
                        statusDetails={"step": str(version)},
                    )
                except data.exceptions.InvalidStateTransitionException:
                    continue  # another client won the race: nothing changed
                with lock:
                    accepted[thing] += 1
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(thing, 15)) for thing in things for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for thing in things:
        execution = iot.describe_job_execution(jobId="load", thingName=thing)["execution"]
        assert execution["versionNumber"] == 1 + accepted[thing]
        assert accepted[thing] >= 15  # at least one of the three clients wins every round


# --- the real AWS CLI ----------------------------------------------------------------------


def _aws_command() -> list[str]:
    local = shutil.which("aws", path=os.path.dirname(sys.executable))
    if local:
        return [local]
    return [sys.executable, "-m", "awscli"]


def _aws(endpoint: str, *args: str) -> dict:
    env = {**os.environ, **CREDENTIALS, "AWS_PAGER": "", "AWS_CONFIG_FILE": os.devnull}
    result = subprocess.run(
        [*_aws_command(), "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


@pytest.mark.timeout(600)  # ~40 AWS CLI processes at ~1 s each alone, several times that on a busy machine
def test_aws_cli_every_jobs_operation(endpoint):
    thing_arn = _aws(endpoint, "iot", "create-thing", "--thing-name", "cli-dev")["thingArn"]
    group_arn = _aws(endpoint, "iot", "create-thing-group", "--thing-group-name", "cli-group")["thingGroupArn"]
    _aws(endpoint, "iot", "add-thing-to-thing-group", "--thing-group-name", "cli-group", "--thing-name", "cli-dev")
    document = json.dumps({"operation": "cli"})

    created = _aws(endpoint, "iot", "create-job", "--job-id", "cli-job", "--targets", thing_arn,
                   "--document", document, "--description", "from the CLI")
    assert created["jobId"] == "cli-job"
    assert _aws(endpoint, "iot", "describe-job", "--job-id", "cli-job")["job"]["status"] == "IN_PROGRESS"
    assert [j["jobId"] for j in _aws(endpoint, "iot", "list-jobs")["jobs"]] == ["cli-job"]
    _aws(endpoint, "iot", "update-job", "--job-id", "cli-job", "--description", "updated")
    assert _aws(endpoint, "iot", "get-job-document", "--job-id", "cli-job")["document"] == document
    summaries = _aws(endpoint, "iot", "list-job-executions-for-job", "--job-id", "cli-job")["executionSummaries"]
    assert summaries[0]["thingArn"] == thing_arn
    for_thing = _aws(endpoint, "iot", "list-job-executions-for-thing", "--thing-name", "cli-dev")
    assert for_thing["executionSummaries"][0]["jobId"] == "cli-job"
    described = _aws(endpoint, "iot", "describe-job-execution", "--job-id", "cli-job", "--thing-name", "cli-dev")
    assert described["execution"]["status"] == "QUEUED"

    pending = _aws(endpoint, "iot-jobs-data", "get-pending-job-executions", "--thing-name", "cli-dev")
    assert pending["queuedJobs"][0]["jobId"] == "cli-job"
    started = _aws(endpoint, "iot-jobs-data", "start-next-pending-job-execution", "--thing-name", "cli-dev",
                   "--status-details", "step=download")
    assert started["execution"]["status"] == "IN_PROGRESS"
    device_view = _aws(endpoint, "iot-jobs-data", "describe-job-execution", "--thing-name", "cli-dev",
                       "--job-id", "cli-job")
    assert device_view["execution"]["statusDetails"] == {"step": "download"}
    updated = _aws(endpoint, "iot-jobs-data", "update-job-execution", "--thing-name", "cli-dev",
                   "--job-id", "cli-job", "--status", "SUCCEEDED", "--expected-version", "2",
                   "--include-job-execution-state")
    assert updated["executionState"]["status"] == "SUCCEEDED"
    assert _aws(endpoint, "iot", "describe-job", "--job-id", "cli-job")["job"]["status"] == "COMPLETED"
    _aws(endpoint, "iot", "delete-job-execution", "--job-id", "cli-job", "--thing-name", "cli-dev",
         "--execution-number", "1")

    _aws(endpoint, "iot", "create-job", "--job-id", "cli-continuous", "--targets", group_arn,
         "--document", document, "--target-selection", "CONTINUOUS")
    other_group = _aws(endpoint, "iot", "create-thing-group", "--thing-group-name", "cli-more")["thingGroupArn"]
    associated = _aws(endpoint, "iot", "associate-targets-with-job", "--job-id", "cli-continuous",
                      "--targets", other_group)
    assert associated["jobId"] == "cli-continuous"
    _aws(endpoint, "iot", "cancel-job-execution", "--job-id", "cli-continuous", "--thing-name", "cli-dev")
    canceled = _aws(endpoint, "iot", "cancel-job", "--job-id", "cli-continuous", "--reason-code", "CLI_TEST")
    assert canceled["jobId"] == "cli-continuous"
    _aws(endpoint, "iot", "delete-job", "--job-id", "cli-continuous")
    _aws(endpoint, "iot", "delete-job", "--job-id", "cli-job")
    assert _aws(endpoint, "iot", "list-jobs")["jobs"] == []

    _aws(endpoint, "iot", "create-job-template", "--job-template-id", "cli-tpl", "--description", "t",
         "--document", document)
    assert _aws(endpoint, "iot", "describe-job-template", "--job-template-id", "cli-tpl")["document"] == document
    assert _aws(endpoint, "iot", "list-job-templates")["jobTemplates"][0]["jobTemplateId"] == "cli-tpl"
    _aws(endpoint, "iot", "delete-job-template", "--job-template-id", "cli-tpl")
    managed = _aws(endpoint, "iot", "list-managed-job-templates")["managedJobTemplates"]
    assert len(managed) == 8
    reboot = _aws(endpoint, "iot", "describe-managed-job-template", "--template-name", "AWS-Reboot")
    assert reboot["templateName"] == "AWS-Reboot"


# --- python -m moto_iotjobs ----------------------------------------------------------------


def test_python_dash_m_serves_both_planes(monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    process = start_server_process(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        iot = _client("iot", endpoint)
        arn = iot.create_thing(thingName="dev")["thingArn"]
        iot.create_job(jobId="j", targets=[arn], document="{}")
        pending = _client("iot-jobs-data", endpoint).get_pending_job_executions(thingName="dev")
        assert [q["jobId"] for q in pending["queuedJobs"]] == ["j"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_mock_ca_is_served_for_devices(endpoint):
    """GET /moto-api/iotjobs/ca.pem: the CA that signs the MQTT TLS listener's certificate."""
    from cryptography import x509

    from moto_iotjobs.devices.ca import mock_ca

    response = requests.get(f"{endpoint}/moto-api/iotjobs/ca.pem")
    assert response.status_code == 200
    assert response.content == mock_ca().ca_pem
    ca = x509.load_pem_x509_certificate(response.content)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert requests.post(f"{endpoint}/moto-api/iotjobs/ca.pem").status_code == 405
