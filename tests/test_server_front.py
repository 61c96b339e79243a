"""The server's HTTP front (`python -m moto_iotjobs`): who may call it, how much, for how long,
what it logs, HTTPS, and a clean stop on SIGTERM. Every server here binds 127.0.0.1, is bounded
in time and is stopped."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
import urllib3

from .helpers import free_port, start_server_process

pytestmark = pytest.mark.server

DOC = json.dumps({"op": "x"})


def _stop(process: Any) -> str:
    process.terminate()
    out, _ = process.communicate(timeout=10)
    return str(out)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    process = start_server_process(port, "--max-body-mb", "1", "--read-timeout", "2", "--max-connections", "16")
    yield f"http://127.0.0.1:{port}"
    _stop(process)


def _iot(endpoint: str) -> Any:
    return boto3.client(
        "iot", region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


@pytest.fixture
def job(server: str) -> str:
    requests.post(f"{server}/moto-api/reset", timeout=5)
    iot = _iot(server)
    arn = iot.create_thing(thingName="victim")["thingArn"]
    iot.create_job(jobId="secret-job", targets=[arn], document=DOC)
    return "secret-job"


def _port(endpoint: str) -> int:
    return int(endpoint.rsplit(":", 1)[1])


def test_dns_rebinding_host_is_refused_and_changes_nothing(server: str, job: str) -> None:
    """A page on attacker.example resolving to 127.0.0.1 sends its own Host name."""
    headers = {"Host": "attacker.example", "Authorization": "garbage"}
    read = requests.get(f"{server}/jobs/{job}/job-document", headers=headers, timeout=5)
    assert read.status_code == 403 and "attacker.example" in read.json()["message"]
    deleted = requests.delete(f"{server}/jobs/{job}?force=true", headers=headers, timeout=5)
    assert deleted.status_code == 403
    reset = requests.post(f"{server}/moto-api/reset", headers={"Host": "attacker.example"}, timeout=5)
    assert reset.status_code == 403
    assert _iot(server).describe_job(jobId=job)["job"]["status"] == "IN_PROGRESS"


def test_aws_host_names_still_reach_the_api_but_not_the_admin_endpoints(server: str, job: str) -> None:
    headers = {"Host": "iot.us-east-1.amazonaws.com"}
    assert requests.get(f"{server}/moto-api/data.json", headers=headers, timeout=5).status_code == 403
    listed = _iot(server).list_jobs()["jobs"]
    assert [j["jobId"] for j in listed] == [job]


def test_cross_origin_browser_requests_are_refused(server: str, job: str) -> None:
    evil = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    assert requests.post(f"{server}/moto-api/reset", headers=evil, timeout=5).status_code == 403
    faults = requests.post(f"{server}/moto-api/iotjobs/faults", data='{"operation": "ListJobs"}', headers=evil, timeout=5)
    assert faults.status_code == 403
    no_origin = {"Sec-Fetch-Site": "cross-site"}
    assert requests.post(f"{server}/moto-api/reset", headers=no_origin, timeout=5).status_code == 403
    preflight = requests.options(
        f"{server}/jobs", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}, timeout=5
    )
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    assert requests.get(f"{server}/moto-api/iotjobs/faults", timeout=5).json()["faults"] == []
    assert _iot(server).describe_job(jobId=job)["job"]["jobId"] == job


def test_local_origins_get_cors_and_nothing_is_a_wildcard(server: str, job: str) -> None:
    local = "http://localhost:3000"
    preflight = requests.options(
        f"{server}/jobs/{job}",
        headers={"Origin": local, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"},
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == local
    answer = requests.get(f"{server}/moto-api/data.json", headers={"Origin": local}, timeout=5)
    assert answer.headers["Access-Control-Allow-Origin"] == local
    plain = requests.get(f"{server}/moto-api/data.json", timeout=5)
    assert "Access-Control-Allow-Origin" not in plain.headers  # moto's blanket `*` is gone


def test_oversized_bodies_get_413_without_being_read(server: str, job: str) -> None:
    big = b"x" * (3 * 1024 * 1024)
    answer = requests.put(f"{server}/jobs/big", data=big, headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 413
    chunked = requests.put(f"{server}/jobs/big", data=iter([big[:1_000_000], big[1_000_000:]]), timeout=10)
    assert chunked.status_code == 413
    assert [j["jobId"] for j in _iot(server).list_jobs()["jobs"]] == [job]


def test_slow_senders_time_out_and_cannot_starve_other_callers(server: str, job: str) -> None:
    """40 sockets that never send a byte, against 16 connection slots and a 2 s read timeout:
    a normal caller is still answered, and the idle sockets are closed by the server."""
    idle = [socket.create_connection(("127.0.0.1", _port(server)), timeout=10) for _ in range(40)]
    try:
        started = time.monotonic()
        assert _iot(server).describe_job(jobId=job)["job"]["jobId"] == job
        waited = time.monotonic() - started
        assert waited < 15, waited
        closed = 0
        for sock in idle[:16]:
            sock.settimeout(10)
            try:
                closed += sock.recv(1) == b""
            except (ConnectionResetError, TimeoutError):
                closed += 1
        assert closed == 16
    finally:
        for sock in idle:
            sock.close()


def test_request_log_names_plane_operation_outcome_and_duration() -> None:
    port = free_port()
    process = start_server_process(port, "--log-level", "info", "--log-json")
    try:
        iot = _iot(f"http://127.0.0.1:{port}")
        iot.list_jobs()
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            iot.describe_job(jobId="missing")
    finally:
        output = _stop(process)
    lines = [json.loads(line.split(" ", 3)[3]) for line in output.splitlines() if '"plane"' in line]
    by_operation = {line["operation"]: line for line in lines}
    assert by_operation["ListJobs"]["plane"] == "iot" and by_operation["ListJobs"]["status"] == 200
    missing = by_operation["DescribeJob"]
    assert (missing["status"], missing["error"]) == (404, "ResourceNotFoundException")
    assert all(isinstance(line["ms"], float) for line in lines)


def test_https_with_a_self_signed_certificate() -> None:
    urllib3.disable_warnings()
    port = free_port()
    process = start_server_process(port, "--ssl")
    try:
        iot = boto3.client(
            "iot", region_name="us-east-1", endpoint_url=f"https://127.0.0.1:{port}", verify=False,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )
        assert iot.list_jobs()["jobs"] == []
    finally:
        _stop(process)


def test_sigterm_stops_the_server_cleanly_within_5_seconds() -> None:
    port = free_port()
    process = start_server_process(port)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert time.monotonic() - started < 5
    assert process.returncode == 0, out
    assert "stopped" in out and "Traceback" not in out
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=2)


def test_allowed_hosts_option_admits_a_service_name() -> None:
    port = free_port()
    process = start_server_process(port, "--allowed-hosts", "moto,*.internal")
    try:
        url = f"http://127.0.0.1:{port}/moto-api/data.json"
        assert requests.get(url, headers={"Host": f"moto:{port}"}, timeout=5).status_code == 200
        assert requests.get(url, headers={"Host": "api.internal"}, timeout=5).status_code == 200
        assert requests.get(url, headers={"Host": "other"}, timeout=5).status_code == 403
    finally:
        _stop(process)


def test_bad_option_combination_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "moto_iotjobs", "--ssl-cert", "x.pem"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2 and "--ssl-key" in result.stderr
