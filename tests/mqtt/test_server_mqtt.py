"""`python -m moto_iotjobs --mqtt-port N`: moto's server and the Jobs MQTT API side by side."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests

from ..helpers import free_port, start_server_process

pytestmark = [pytest.mark.mqtt, pytest.mark.server]

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_server_with_mqtt_port(broker_kind: str, monkeypatch: pytest.MonkeyPatch, make_jobs_device: Any) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    http_port, mqtt_port = free_port(), free_port()
    process = start_server_process(http_port, "--mqtt-port", str(mqtt_port), "--mqtt-broker", broker_kind)
    endpoint = f"http://127.0.0.1:{http_port}"
    try:
        broker = SimpleNamespace(host="127.0.0.1", port=mqtt_port)
        device = make_jobs_device(broker, "dev1")

        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document=json.dumps({"op": "blink"}))

        assert device.next_message("notify-next")["execution"]["jobDocument"] == {"op": "blink"}
        outcome, started = device.request("start-next", {"clientToken": "s"})
        assert outcome == "accepted" and started["execution"]["status"] == "IN_PROGRESS"
        outcome, stale = device.request("j1/update", {"status": "SUCCEEDED", "expectedVersion": 1})
        assert (outcome, stale["code"]) == ("rejected", "VersionMismatch")
        outcome, _ = device.request("j1/update", {"status": "SUCCEEDED", "expectedVersion": 2})
        assert outcome == "accepted"
        assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"
        data = boto3.client("iot-jobs-data", region_name="us-east-1", endpoint_url=endpoint)
        # a terminal execution is 410 on the device plane (docs/live-service.md)
        with pytest.raises(data.exceptions.TerminalStateException):
            data.describe_job_execution(thingName="dev1", jobId="j1")
        execution = iot.describe_job_execution(thingName="dev1", jobId="j1")["execution"]
        assert execution["status"] == "SUCCEEDED"

        # /moto-api/reset clears the jobs the MQTT API serves, too
        requests.post(f"{endpoint}/moto-api/reset")
        assert device.request("j1/get")[1]["code"] == "ResourceNotFound"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"Jobs MQTT API on mqtt://127.0.0.1:{mqtt_port}" in output
    assert not _accepts(mqtt_port), "the broker outlived the server"


def test_server_mqtt_tls_port_serves_devices_with_registry_certificates(monkeypatch):
    """`--mqtt-tls-port`: a device with a certificate created over HTTP connects with mTLS,
    trusting the CA served at /moto-api/iotjobs/ca.pem; without a policy it is refused."""
    import os
    import tempfile

    from .devices import CONNECT_ANY_POLICY, TlsDevice, write_credentials

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    http_port, tls_port = free_port(), free_port()
    process = start_server_process(http_port, "--mqtt-tls-port", str(tls_port))
    endpoint = f"http://127.0.0.1:{http_port}"
    devices: list[TlsDevice] = []
    try:
        ca_path = os.path.join(tempfile.mkdtemp(prefix="tls17-ca-"), "ca.pem")
        with open(ca_path, "wb") as handle:
            handle.write(requests.get(f"{endpoint}/moto-api/iotjobs/ca.pem", timeout=5).content)
        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        created = iot.create_keys_and_certificate(setAsActive=True)
        credentials = write_credentials(
            created["certificatePem"], created["keyPair"]["PrivateKey"],
            created["certificateArn"], created["certificateId"],
        )
        devices.append(TlsDevice(tls_port, ca_path, credentials, "dev1"))
        assert devices[-1].refused_not_authorized
        iot.create_policy(policyName="connect", policyDocument=CONNECT_ANY_POLICY)
        iot.attach_policy(policyName="connect", target=created["certificateArn"])
        devices.append(TlsDevice(tls_port, ca_path, credentials, "dev1"))
        assert devices[-1].accepted
    finally:
        for device in devices:
            device.close()
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"mqtts://127.0.0.1:{tls_port}" in output and "CA file" in output
    assert "unauthenticated" in output


def test_server_mqtt_alpn_port_serves_alpn_mtls_and_sigv4_websocket(monkeypatch):
    """`--mqtt-alpn-port`: AWS's port-443 listener on a high port: a device naming ALPN
    x-amzn-mqtt-ca connects with mTLS; a WebSocket upgrade signed by an IAM key is accepted."""
    import os
    import tempfile

    from .devices import CONNECT_ANY_POLICY, TlsDevice, write_credentials
    from .test_port443 import _upgrade

    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    http_port, alpn_port = free_port(), free_port()
    process = start_server_process(http_port, "--mqtt-alpn-port", str(alpn_port))
    endpoint = f"http://127.0.0.1:{http_port}"
    try:
        ca_path = os.path.join(tempfile.mkdtemp(prefix="alpn-ca-"), "ca.pem")
        with open(ca_path, "wb") as handle:
            handle.write(requests.get(f"{endpoint}/moto-api/iotjobs/ca.pem", timeout=5).content)
        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=endpoint)
        created = iot.create_keys_and_certificate(setAsActive=True)
        iot.create_policy(policyName="connect", policyDocument=CONNECT_ANY_POLICY)
        iot.attach_policy(policyName="connect", target=created["certificateArn"])
        credentials = write_credentials(
            created["certificatePem"], created["keyPair"]["PrivateKey"],
            created["certificateArn"], created["certificateId"],
        )
        device = TlsDevice(alpn_port, ca_path, credentials, "dev1", alpn=["x-amzn-mqtt-ca"])
        try:
            assert device.accepted
        finally:
            device.close()
        iam = boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint)
        iam.create_user(UserName="web")
        key = iam.create_access_key(UserName="web")["AccessKey"]
        keys = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}
        service = SimpleNamespace(alpn_port=alpn_port, ca_path=ca_path)
        assert _upgrade(service, keys) == "HTTP/1.1 101 Switching Protocols"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert f"wss://127.0.0.1:{alpn_port}/mqtt" in output and "x-amzn-mqtt-ca" in output
