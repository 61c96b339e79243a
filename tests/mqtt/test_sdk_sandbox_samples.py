"""The AWS IoT Device SDKs' interactive Jobs sandboxes, run unchanged against
`python -m moto_iotjobs --mqtt-tls-port 8883`, as a user would run them against AWS IoT:

- Python: samples/service_clients/jobs.py of aws-iot-device-sdk-python-v2
  (tests/mqtt/sdk_samples/service_clients/, NOTICE in tests/mqtt/sdk_samples/);
- JavaScript: samples/node/service_clients/jobs/index.ts of aws-iot-device-sdk-js-v2
  (tests/mqtt/sdk_samples_js/, NOTICE there), built as its README says (npm, tsc).

Both hard-code port 8883 (so the gateway must listen there: a test fails, never skips, when
8883 is taken; like every mosquitto test they skip, saying so, where mosquitto or node is not
installed, and CI installs both and fails on any skip), have no CA option (trust comes from SSL_CERT_FILE, which awscrt's libcrypto
honours on Linux, docs/devices-tls.md), read their commands on stdin, and call the control
plane with the AWS SDK's default chain (AWS_ENDPOINT_URL points it at the mock). The policy is
the one their READMEs give. A boto3-created job goes to SUCCEEDED.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import boto3
import pytest
import requests

from ..helpers import free_port, start_server_process
from . import js_sample
from .conftest import skip_unless_available
from .devices import ACCOUNT, REGION, policy_document, write_credentials

pytestmark = [pytest.mark.mqtt, pytest.mark.server]

SAMPLES = os.path.join(os.path.dirname(__file__), "sdk_samples")
PYTHON_SANDBOX = os.path.join(SAMPLES, "service_clients", "jobs.py")
SANDBOX_PORT = 8883  # hard-coded by both samples
RUN_TIMEOUT = 90  # seconds for one sample run (a loaded 2-core machine: ~2-10 s)


def _sample_policy(thing: str) -> str:
    """The policy of the samples' READMEs (samples/service_clients/jobs.md)."""
    def topic(kind: str, rest: str) -> str:
        return f"arn:aws:iot:{REGION}:{ACCOUNT}:{kind}/$aws/things/{thing}/jobs/{rest}"

    return policy_document(
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": [
            topic("topic", "start-next"), topic("topic", "*/update"),
            topic("topic", "*/get"), topic("topic", "get")]},
        {"Effect": "Allow", "Action": "iot:Receive", "Resource": [
            topic("topic", rest) for rest in
            ("notify", "notify-next", "start-next/*", "*/update/*", "get/*", "*/get/*")]},
        {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": [
            topic("topicfilter", rest) for rest in
            ("notify", "notify-next", "start-next/*", "*/update/*", "get/*", "*/get/*")]},
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": f"arn:aws:iot:{REGION}:{ACCOUNT}:client/*"},
    )


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def sandbox_server() -> Any:
    """`python -m moto_iotjobs` with the TLS gateway on 127.0.0.1:8883 (mosquitto: MQTT 5)."""
    skip_unless_available("mosquitto")  # the sandboxes are MQTT 5 only: amqtt cannot serve them
    if _port_taken(SANDBOX_PORT):
        pytest.fail(
            f"127.0.0.1:{SANDBOX_PORT} is in use: the SDK sandbox samples hard-code port "
            f"{SANDBOX_PORT}; stop what listens there and run again"
        )
    http_port = free_port()
    server = start_server_process(
        http_port, "--mqtt-tls-port", str(SANDBOX_PORT), "--mqtt-broker", "mosquitto"
    )
    endpoint = f"http://127.0.0.1:{http_port}"
    try:
        if server.poll() is not None:
            pytest.fail(f"the server did not start: {server.communicate()[0]}")
        ca_path = os.path.join(tempfile.mkdtemp(prefix="sandbox-ca-"), "ca.pem")
        with open(ca_path, "wb") as handle:
            handle.write(requests.get(f"{endpoint}/moto-api/iotjobs/ca.pem", timeout=5).content)
        yield endpoint, ca_path
    finally:
        server.terminate()
        server.communicate(timeout=10)


def _provision(endpoint: str, thing: str) -> tuple[Any, Any]:
    iot = boto3.client("iot", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    created = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_policy(policyName=f"{thing}-policy", policyDocument=_sample_policy(thing))
    iot.attach_policy(policyName=f"{thing}-policy", target=created["certificateArn"])
    credentials = write_credentials(
        created["certificatePem"], created["keyPair"]["PrivateKey"],
        created["certificateArn"], created["certificateId"],
    )
    return iot, credentials


def _environment(endpoint: str, ca_path: str) -> dict[str, str]:
    """What a user sets: AWS credentials and endpoint for the control plane, the CA to trust."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=endpoint, SSL_CERT_FILE=ca_path,
    )
    return env


def _hashed_ca_dir(ca_path: str) -> str:
    """A directory holding the CA under its OpenSSL subject-hash name, as c_rehash makes."""
    done = subprocess.run(["openssl", "x509", "-hash", "-noout", "-in", ca_path],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"openssl x509 -hash: {done.stderr}"
    directory = tempfile.mkdtemp(prefix="sandbox-ca-dir-")
    shutil.copy(ca_path, os.path.join(directory, f"{done.stdout.strip()}.0"))
    return directory


@pytest.mark.parametrize("trust", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_python_sdk_jobs_sandbox_unchanged_takes_a_job_to_succeeded(sandbox_server, trust):
    endpoint, ca_path = sandbox_server
    thing = f"py-sandbox-{trust.lower().replace('_', '-')}"
    job_id = f"{thing}-job"
    iot, credentials = _provision(endpoint, thing)
    env = _environment(endpoint, ca_path)
    if trust == "SSL_CERT_DIR":
        del env["SSL_CERT_FILE"]
        env["SSL_CERT_DIR"] = _hashed_ca_dir(ca_path)
    commands = "\n".join([
        "get-pending-job-executions",
        f'create-job {job_id} {{"op":"reboot"}}',  # the sample creates it with boto3
        "start-next-pending-job-execution",
        f"update-job-execution {job_id} SUCCEEDED",
        "quit",
    ]) + "\n"
    started = time.perf_counter()
    sample = subprocess.run(
        [sys.executable, PYTHON_SANDBOX, "--endpoint", "localhost", "--cert", credentials.cert_path,
         "--key", credentials.key_path, "--thing", thing, "--region", REGION],
        input=commands, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env,
    )
    output = sample.stdout + sample.stderr
    assert sample.returncode == 0, output
    assert "Connected!" in output, output
    assert "Exception" not in output, output
    assert "status='IN_PROGRESS'" in output and f"job_id='{job_id}'" in output, output
    assert "UpdateJobExecutionResponse" in output, output
    execution = iot.describe_job_execution(jobId=job_id, thingName=thing)["execution"]
    assert execution["status"] == "SUCCEEDED"
    print(f"Python SDK jobs sandbox ({trust}): {time.perf_counter() - started:.1f} s")


def test_python_sdk_jobs_sandbox_without_trust_does_not_connect(sandbox_server):
    """The trust really comes from SSL_CERT_FILE: without it the handshake fails."""
    endpoint, ca_path = sandbox_server
    thing = "py-sandbox-untrusting"
    _iot, credentials = _provision(endpoint, thing)
    env = _environment(endpoint, ca_path)
    del env["SSL_CERT_FILE"]
    env.pop("SSL_CERT_DIR", None)
    run = _Interactive(
        [sys.executable, PYTHON_SANDBOX, "--endpoint", "localhost", "--cert", credentials.cert_path,
         "--key", credentials.key_path, "--thing", thing, "--region", REGION],
        env, os.getcwd(),
    )
    try:
        # the sample raises "Failed to connect" at the first failed attempt (after s2n's
        # blinding delay, 10-30 s), then its client threads keep retrying: stopped there
        run.wait_for("Failed to connect", time.monotonic() + RUN_TIMEOUT)
    finally:
        run.process.kill()
        run.finish(time.monotonic() + 10)
    assert "Connected!" not in "".join(run.output)


class _Interactive:
    """A sample reading stdin with readline prompts: one command per "Enter command:" prompt
    (node's readline drops lines that arrive while no question is pending)."""

    PROMPT = "Enter command:"

    def __init__(self, command: list[str], env: dict[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=env, cwd=cwd,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, deadline: float) -> None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {text!r} within the time bound:\n{''.join(self.output)}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    raise AssertionError(
                        f"the sample exited ({self.process.returncode}) before {text!r}:\n"
                        f"{''.join(self.output)}") from None
                continue
            self.output.append(line)
            if text in line:
                return

    def send(self, command: str, deadline: float) -> None:
        self.wait_for(self.PROMPT, deadline)
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def finish(self, deadline: float) -> int:
        try:
            code = self.process.wait(max(0.1, deadline - time.monotonic()))
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(10)
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code


def test_javascript_sdk_jobs_sample_unchanged_takes_a_job_to_succeeded(sandbox_server):
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        pytest.skip("the JavaScript SDK jobs sample needs node (v18+) and npm on PATH")
    try:
        sample = js_sample.ensure_installed()
    except js_sample.SampleUnavailable as problem:
        pytest.fail(f"JavaScript SDK jobs sample could not be installed: {problem}")
    endpoint, ca_path = sandbox_server
    thing = "js-sandbox-thing"
    iot, credentials = _provision(endpoint, thing)
    thing_arn = iot.create_thing(thingName=thing)["thingArn"]
    iot.create_job(jobId="js-sandbox-job", targets=[thing_arn],
                   document=json.dumps({"op": "reboot"}))

    started = time.perf_counter()
    deadline = time.monotonic() + RUN_TIMEOUT
    run = _Interactive(
        [node, sample, "--endpoint", "localhost", "--cert", credentials.cert_path,
         "--key", credentials.key_path, "--thing_name", thing, "--region", REGION],
        _environment(endpoint, ca_path), os.path.dirname(os.path.dirname(sample)),
    )
    try:
        run.wait_for("Connected!", deadline)
        run.send("get-pending-job-executions", deadline)
        run.wait_for("GetPendingJobExecutions Response", deadline)
        run.send("start-next-pending-job-execution", deadline)
        run.wait_for("StartNextPendingJobExecution Response", deadline)
        run.send("update-job-execution js-sandbox-job SUCCEEDED", deadline)
        run.wait_for("UpdateJobExecution Response", deadline)
        run.send("quit", deadline)
        code = run.finish(deadline)
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait(10)
    output = "".join(run.output)
    assert code == 0, output
    assert "Error processing command" not in output, output
    assert '"jobId":"js-sandbox-job"' in output and '"status":"IN_PROGRESS"' in output, output
    execution = iot.describe_job_execution(jobId="js-sandbox-job", thingName=thing)["execution"]
    assert execution["status"] == "SUCCEEDED"
    print(f"JavaScript SDK jobs sample: {time.perf_counter() - started:.1f} s")
