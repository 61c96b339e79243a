"""The Jobs MQTT bridge on an existing broker given by URL (#19), against a mosquitto this
test starts on 127.0.0.1 with two listeners: one anonymous (devices), one wanting a password
(the bridge)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from moto_iotjobs.mqtt.broker import find_mosquitto
from moto_iotjobs.mqtt.broker_url import BrokerAddress, parse_broker_url

from ..helpers import free_port, start_server_process

pytestmark = pytest.mark.mqtt

USER, PASSWORD = "bridge", "s3cret/:@"


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def mosquitto() -> Iterator[SimpleNamespace]:
    """mosquitto with ``devices`` (anonymous) and ``bridge`` (USER/PASSWORD) listener ports."""
    executable = find_mosquitto()
    passwd_tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if executable is None or not os.path.exists(passwd_tool):
        pytest.skip("mosquitto and mosquitto_passwd are needed")
    workdir = tempfile.mkdtemp(prefix="test-broker-url-")
    try:
        subprocess.run([passwd_tool, "-b", "-c", f"{workdir}/passwd", USER, PASSWORD],
                       check=True, capture_output=True, timeout=10)
        # mosquitto started as root drops to its own user, which must read the password file
        os.chmod(workdir, 0o755)
        os.chmod(f"{workdir}/passwd", 0o644)
        devices, bridge = free_port(), free_port()
        with open(f"{workdir}/mosquitto.conf", "w") as fh:
            fh.write(
                "per_listener_settings true\npersistence false\n"
                f"listener {devices} 127.0.0.1\nallow_anonymous true\n"
                f"listener {bridge} 127.0.0.1\nallow_anonymous false\npassword_file {workdir}/passwd\n"
            )
        process = subprocess.Popen([executable, "-c", f"{workdir}/mosquitto.conf"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not (_accepts(devices) and _accepts(bridge)):
                assert process.poll() is None and time.monotonic() < deadline, "mosquitto did not start"
                time.sleep(0.05)
            yield SimpleNamespace(devices=devices, bridge=bridge, process=process)
        finally:
            process.terminate()
            process.wait(10)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _url(port: int, password: str = PASSWORD) -> str:
    from urllib.parse import quote

    return f"mqtt://{USER}:{quote(password, safe='')}@127.0.0.1:{port}"


def test_parse_broker_url() -> None:
    assert parse_broker_url("mqtt://broker.local") == BrokerAddress("broker.local", 1883)
    assert parse_broker_url("mqtt://u:p%40ss@10.0.0.5:11883") == BrokerAddress("10.0.0.5", 11883, "u", "p@ss")
    assert parse_broker_url("mqtt://u@[::1]:1884") == BrokerAddress("::1", 1884, "u", None)
    for bad in ("mqtts://h:8883", "http://h", "mqtt://:1883", "mqtt://h:notaport", "mqtt://h/x"):
        with pytest.raises(ValueError, match="broker URL"):
            parse_broker_url(bad)


def test_service_attaches_to_an_existing_broker(iotjobs: Any, mosquitto: SimpleNamespace,
                                                make_jobs_device: Any) -> None:
    from moto_iotjobs.mqtt import jobs_broker

    iot = iotjobs.client("iot")
    arn = iot.create_thing(thingName="dev1")["thingArn"]
    with jobs_broker(broker_url=_url(mosquitto.bridge)) as service:
        assert (service.host, service.port, service.kind) == ("127.0.0.1", mosquitto.bridge, "external")
        device = make_jobs_device(SimpleNamespace(host="127.0.0.1", port=mosquitto.devices))
        iot.create_job(jobId="j1", targets=[arn], document=json.dumps({"op": "blink"}))
        assert device.next_message("notify-next")["execution"]["jobId"] == "j1"
        outcome, started = device.request("start-next", {"clientToken": "s"})
        assert outcome == "accepted" and started["execution"]["status"] == "IN_PROGRESS"
        assert device.request("j1/update", {"status": "SUCCEEDED"})[0] == "accepted"
    assert iot.describe_job(jobId="j1")["job"]["status"] == "COMPLETED"
    # ours to attach to, not to stop
    assert mosquitto.process.poll() is None and _accepts(mosquitto.bridge)


def test_wrong_password_is_a_clear_error(iotjobs: Any, mosquitto: SimpleNamespace) -> None:
    from moto_iotjobs.mqtt.bridge import BridgeError
    from moto_iotjobs.mqtt.service import MqttJobsService

    with pytest.raises(BridgeError, match="CONNACK"):
        MqttJobsService(broker_url=_url(mosquitto.bridge, "wrong")).start()
    with pytest.raises(ValueError, match="tls_port"):
        MqttJobsService(broker_url=_url(mosquitto.bridge), tls_port=0)


@pytest.mark.server
def test_server_mqtt_broker_url(mosquitto: SimpleNamespace, monkeypatch: pytest.MonkeyPatch,
                                make_jobs_device: Any) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    http_port = free_port()
    process = start_server_process(http_port, "--mqtt-broker-url", _url(mosquitto.bridge))
    try:
        device = make_jobs_device(SimpleNamespace(host="127.0.0.1", port=mosquitto.devices))
        iot = boto3.client("iot", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{http_port}")
        arn = iot.create_thing(thingName="dev1")["thingArn"]
        iot.create_job(jobId="j1", targets=[arn], document="{}")
        outcome, pending = device.request("get", {"clientToken": "g"})
        assert outcome == "accepted" and [j["jobId"] for j in pending["queuedJobs"]] == ["j1"]
    finally:
        process.terminate()
        output = process.communicate(timeout=15)[0]
    assert f"mqtt://127.0.0.1:{mosquitto.bridge} (an existing broker)" in output
    assert mosquitto.process.poll() is None
