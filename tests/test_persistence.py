"""Persistence (`--state-dir`): state survives `kill -9` mid-load, a damaged journal tail and a
graceful restart; files of other versions stop the server with a clear error; the whole state
pickles. Servers bind 127.0.0.1, are bounded in time and are stopped."""

from __future__ import annotations

import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from moto_iotjobs.serving.persistence import journal, snapshot

from .helpers import free_port, start_server_process

pytestmark = pytest.mark.server

THREADS = 8
THINGS_PER_THREAD = 3
LOAD_SECONDS = 10.0
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=5)


def _client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


class Server:
    """`python -m moto_iotjobs --state-dir DIR` on a free 127.0.0.1 port."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        self.port = free_port()
        self.process = start_server_process(self.port, "--state-dir", str(state_dir), *extra)
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.communicate(timeout=10)

    def terminate(self) -> tuple[int, str]:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=60)
        return self.process.returncode, str(out)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.kill()


def _fleet(endpoint: str, things: int) -> None:
    iot = _client("iot", endpoint)
    s3 = _client("s3", endpoint)
    s3.create_bucket(Bucket="job-documents")
    s3.put_object(Bucket="job-documents", Key="update.json", Body=b'{"operation": "update"}')
    iot.create_thing_group(thingGroupName="fleet")
    for i in range(things):
        iot.create_thing(thingName=f"dev{i}")
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=f"dev{i}")
    iot.create_policy(policyName="devices", policyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}
    ))
    iot.create_job(
        jobId="rollout",
        targets=[iot.describe_thing_group(thingGroupName="fleet")["thingGroupArn"]],
        documentSource="https://s3.amazonaws.com/job-documents/update.json",
    )


def _updates(endpoint: str, things: list[str], acked: dict[str, int], stop: threading.Event) -> None:
    """Step each thing's execution: IN_PROGRESS with statusDetails {"n": N}; record the last N
    acknowledged per thing (an update whose answer never came is not acknowledged)."""
    data = _client("iot-jobs-data", endpoint)
    n = 0
    while not stop.is_set():
        for thing in things:
            n += 1
            try:
                data.update_job_execution(
                    thingName=thing, jobId="rollout", status="IN_PROGRESS", statusDetails={"n": str(n)}
                )
            except Exception:
                return  # the server was killed
            acked[thing] = n


def _state(endpoint: str) -> dict[str, Any]:
    iot = _client("iot", endpoint)
    things = sorted(t["thingName"] for t in iot.list_things()["things"])
    members = sorted(t for t in iot.list_things_in_thing_group(thingGroupName="fleet")["things"])
    executions = {
        e["thingArn"].rsplit("/", 1)[1]: e["jobExecutionSummary"]
        for e in iot.list_job_executions_for_job(jobId="rollout")["executionSummaries"]
    }
    return {"things": things, "members": members, "executions": executions}


@pytest.mark.timeout(180)
def test_kill_9_under_load_loses_no_acknowledged_update(tmp_path: Path, servers: list[Server]) -> None:
    server = Server(tmp_path)
    servers.append(server)
    _fleet(server.endpoint, THREADS * THINGS_PER_THREAD)
    stop = threading.Event()
    acked: list[dict[str, int]] = [{} for _ in range(THREADS)]
    workers = [
        threading.Thread(
            target=_updates,
            args=(server.endpoint, [f"dev{t * THINGS_PER_THREAD + i}" for i in range(THINGS_PER_THREAD)], acked[t], stop),
        )
        for t in range(THREADS)
    ]
    for worker in workers:
        worker.start()
    time.sleep(LOAD_SECONDS / 2)  # mid-load
    server.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=30)
    acknowledged = {thing: n for part in acked for thing, n in part.items()}
    assert len(acknowledged) == THREADS * THINGS_PER_THREAD  # every thread got updates through

    restarted = Server(tmp_path)
    servers.append(restarted)
    iot = _client("iot", restarted.endpoint)
    data = _client("iot-jobs-data", restarted.endpoint)
    state = _state(restarted.endpoint)
    expected_things = [f"dev{i}" for i in range(THREADS * THINGS_PER_THREAD)]
    assert state["things"] == sorted(expected_things)
    assert state["members"] == sorted(expected_things)
    for thing, n in acknowledged.items():
        execution = data.describe_job_execution(thingName=thing, jobId="rollout")["execution"]
        recorded = int(execution["statusDetails"]["n"])
        # the acknowledged update, or the one in flight when the process died (applied and
        # journaled, its answer lost): never an older one
        assert recorded >= n, (thing, recorded, n)
        assert recorded <= n + THINGS_PER_THREAD
        assert execution["status"] == "IN_PROGRESS"
    statuses = [e["status"] for e in state["executions"].values()]
    details = iot.describe_job(jobId="rollout")["job"]["jobProcessDetails"]
    assert details["numberOfInProgressThings"] == statuses.count("IN_PROGRESS") == len(expected_things)
    assert details.get("numberOfQueuedThings", 0) == statuses.count("QUEUED") == 0
    # the server goes on journaling after a replay
    data.update_job_execution(thingName="dev0", jobId="rollout", status="SUCCEEDED")
    restarted.kill()
    again = Server(tmp_path)
    servers.append(again)
    assert _client("iot", again.endpoint).describe_job_execution(  # terminal: 410 on the device plane
        thingName="dev0", jobId="rollout")["execution"]["status"] == "SUCCEEDED"


def test_truncated_journal_tail_restores_everything_before_it(tmp_path: Path, servers: list[Server]) -> None:
    server = Server(tmp_path)
    servers.append(server)
    iot = _client("iot", server.endpoint)
    for i in range(5):
        iot.create_thing(thingName=f"kept{i}")
    server.kill()
    path = tmp_path / "journal.log"
    size_before_last = path.stat().st_size
    server = Server(tmp_path)
    servers.append(server)
    _client("iot", server.endpoint).create_thing(thingName="cut")
    server.kill()
    with open(path, "r+b") as file:  # a crash in the middle of writing the last record
        file.truncate(size_before_last + (path.stat().st_size - size_before_last) // 2)
    restarted = Server(tmp_path)
    servers.append(restarted)
    names = sorted(t["thingName"] for t in _client("iot", restarted.endpoint).list_things()["things"])
    assert names == [f"kept{i}" for i in range(5)]
    code, out = restarted.terminate()
    assert code == 0
    assert "dropped a damaged tail" in out


def test_graceful_restart_keeps_everything_and_snapshots(tmp_path: Path, servers: list[Server]) -> None:
    server = Server(tmp_path)
    servers.append(server)
    _fleet(server.endpoint, 4)
    iot = _client("iot", server.endpoint)
    keys = iot.create_keys_and_certificate(setAsActive=True)
    iot.attach_policy(policyName="devices", target=keys["certificateArn"])
    iot.create_job_template(jobTemplateId="tpl", description="d", document='{"a": 1}')
    before = _client("iot-jobs-data", server.endpoint).update_job_execution(
        thingName="dev1", jobId="rollout", status="IN_PROGRESS", includeJobExecutionState=True
    )["executionState"]
    described = iot.describe_job_execution(jobId="rollout", thingName="dev1")["execution"]
    code, _ = server.terminate()
    assert code == 0
    assert (tmp_path / "snapshot.pkl").exists()
    restarted = Server(tmp_path)
    servers.append(restarted)
    iot = _client("iot", restarted.endpoint)
    after = iot.describe_job_execution(jobId="rollout", thingName="dev1")["execution"]
    assert after == described and after["versionNumber"] == before["versionNumber"]
    certificate = iot.describe_certificate(certificateId=keys["certificateId"])["certificateDescription"]
    assert certificate["certificatePem"] == keys["certificatePem"]
    assert [p["policyName"] for p in iot.list_attached_policies(target=keys["certificateArn"])["policies"]] == ["devices"]
    assert iot.describe_job_template(jobTemplateId="tpl")["document"] == '{"a": 1}'
    body = _client("s3", restarted.endpoint).get_object(Bucket="job-documents", Key="update.json")["Body"].read()
    assert body == b'{"operation": "update"}'
    # a change after the snapshot is journaled after it
    iot.create_thing(thingName="late")
    restarted.kill()
    again = Server(tmp_path)
    servers.append(again)
    assert "late" in [t["thingName"] for t in _client("iot", again.endpoint).list_things()["things"]]


def _rewrite_header(path: Path, magic: bytes, **changes: Any) -> None:
    data = path.read_bytes()
    (length,) = struct.unpack_from(">I", data, len(magic))
    start = len(magic) + 4
    header = json.loads(data[start : start + length])
    header.update(changes)
    path.write_bytes(journal.encode_header(magic, header) + data[start + length :])


@pytest.mark.parametrize("file_name", ["journal.log", "snapshot.pkl"])
def test_state_of_another_version_is_a_clear_error_with_exit_2(
    tmp_path: Path, servers: list[Server], file_name: str
) -> None:
    server = Server(tmp_path)
    servers.append(server)
    _client("iot", server.endpoint).create_thing(thingName="t")
    server.terminate()
    if file_name == "journal.log":  # a journal with records
        server = Server(tmp_path)
        servers.append(server)
        _client("iot", server.endpoint).create_thing(thingName="u")
        server.kill()
    magic = journal.JOURNAL_MAGIC if file_name == "journal.log" else snapshot.SNAPSHOT_MAGIC
    _rewrite_header(tmp_path / file_name, magic, moto="0.0.1")
    done = subprocess.run(
        [sys.executable, "-m", "moto_iotjobs", "--port", str(free_port()), "--state-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "moto-iotjobs: error: --state-dir:" in done.stderr and "0.0.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_whole_state_pickles_and_restores(iotjobs: Any) -> None:
    """Snapshots rely on every backend in use pickling (locks included, as fresh locks)."""
    iot = iotjobs.client("iot")
    s3 = iotjobs.client("s3")
    s3.create_bucket(Bucket="docs")
    s3.put_object(Bucket="docs", Key="d.json", Body=b"{}")
    arn = iot.create_thing(thingName="p1")["thingArn"]
    iot.create_thing_group(thingGroupName="g")
    iot.add_thing_to_thing_group(thingGroupName="g", thingName="p1")
    keys = iot.create_keys_and_certificate(setAsActive=True)
    iot.create_policy(policyName="p", policyDocument='{"Version": "2012-10-17", "Statement": []}')
    iot.attach_policy(policyName="p", target=keys["certificateArn"])
    iot.create_job(jobId="j", targets=[arn], documentSource="https://s3.amazonaws.com/docs/d.json",
                   timeoutConfig={"inProgressTimeoutInMinutes": 5})
    iotjobs.client("iot-jobs-data").update_job_execution(thingName="p1", jobId="j", status="IN_PROGRESS")
    before = iot.describe_job_execution(jobId="j", thingName="p1")["execution"]
    saved = pickle.loads(snapshot.dumps_state(snapshot.capture()))
    assert any(key.startswith("moto.iot.") for key in saved)
    assert any(key.startswith("moto.s3.") for key in saved)
    assert any(key.startswith("moto_iotjobs.services.jobs.") for key in saved)
    iot.delete_job(jobId="j", force=True)
    iot.delete_thing(thingName="p1")
    snapshot.restore(saved)
    assert iot.describe_job_execution(jobId="j", thingName="p1")["execution"] == before
    assert iot.list_things_in_thing_group(thingGroupName="g")["things"] == ["p1"]
    assert s3.get_object(Bucket="docs", Key="d.json")["Body"].read() == b"{}"
    # the restored backend still locks and changes state
    iotjobs.client("iot-jobs-data").update_job_execution(thingName="p1", jobId="j", status="SUCCEEDED")
    assert iot.describe_job(jobId="j")["job"]["status"] == "COMPLETED"


def test_journal_reader_stops_at_a_bad_crc(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.log")
    writer = journal.JournalWriter.create(path, generation=0, fsync="always")
    for i in range(3):
        writer.append(journal.encode_record("http", float(i), i, ("POST", f"/p{i}", "", (), b"")))
    writer.close()
    data = bytearray(Path(path).read_bytes())
    data[-1] ^= 0xFF  # last record's payload damaged
    Path(path).write_bytes(bytes(data))
    contents = journal.read_journal(path)
    assert [record[3][1] for record in contents.records] == ["/p0", "/p1"]
    assert contents.dropped_bytes > 0 and contents.good_end < len(data)
    os.truncate(path, contents.good_end)
    assert len(journal.read_journal(path).records) == 2


def _wipe_state() -> None:
    """What a new process starts with: no backend state."""
    from moto.core.base_backend import BackendDict

    BackendDict.reset()


@pytest.mark.mqtt
@pytest.mark.timeout(120)
def test_threaded_moto_server_embedding_journals_http_and_mqtt_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """enable_persistence() + moto's ThreadedMotoServer; a device update over the Jobs MQTT
    API is journaled and replayed like an HTTP one."""
    pytest.importorskip("paho.mqtt.client")
    import paho.mqtt.client as paho
    from moto.server import ThreadedMotoServer

    from moto_iotjobs.mqtt.service import MqttJobsService
    from moto_iotjobs.serving.persistence import disable_persistence, enable_persistence

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    _wipe_state()
    enable_persistence(str(tmp_path))
    try:
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        try:
            endpoint = f"http://127.0.0.1:{port}"
            iot = _client("iot", endpoint)
            arn = iot.create_thing(thingName="mqtt-dev")["thingArn"]
            iot.create_job(jobId="over-mqtt", targets=[arn], document='{"a": 1}')
            with MqttJobsService(region_name="us-east-1") as mqtt:
                replies: list[tuple[str, bytes]] = []
                got = threading.Event()
                client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="persist-dev")

                def on_message(_c: Any, _u: Any, message: Any) -> None:
                    replies.append((message.topic, message.payload))
                    got.set()

                client.on_message = on_message
                client.connect(mqtt.host, mqtt.port)
                client.loop_start()
                try:
                    topic = "$aws/things/mqtt-dev/jobs/over-mqtt/update"
                    client.subscribe(topic + "/+", qos=1)
                    time.sleep(0.5)
                    client.publish(topic, json.dumps({"status": "IN_PROGRESS", "statusDetails": {"via": "mqtt"}}), qos=1)
                    assert got.wait(10), "no reply over MQTT"
                finally:
                    client.loop_stop()
                    client.disconnect()
            assert replies[0][0].endswith("/accepted"), replies
        finally:
            server.stop()
    finally:
        disable_persistence(compact=False)  # a journal only: the replay path
    _wipe_state()
    enable_persistence(str(tmp_path))
    try:
        from moto_iotjobs.serving import persistence

        assert persistence.last_restore is not None and persistence.last_restore.records_replayed == 3
        port = free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        server.start()
        try:
            execution = _client("iot", f"http://127.0.0.1:{port}").describe_job_execution(
                jobId="over-mqtt", thingName="mqtt-dev")["execution"]
        finally:
            server.stop()
        assert execution["status"] == "IN_PROGRESS" and execution["statusDetails"] == {"detailsMap": {"via": "mqtt"}}
    finally:
        disable_persistence(compact=False)
        _wipe_state()


def _wsgi(app: Any, method: str, path: str, service: str, body: Any = None) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(
        method=method, path=path, data=json.dumps(body).encode() if body is not None else b"",
        content_type="application/json",
        headers={
            "Host": "localhost:5000",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    ).get_environ()
    statuses: list[str] = []
    content = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses[0].startswith("2"), (statuses, content)
    return json.loads(content) if content else {}


def test_a_timeout_that_fired_during_a_read_replays_identically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reads are not journaled; a timer that fired during one fires again, with its own due
    time, when the next journaled change is replayed with the clock at that change's time."""
    from freezegun import freeze_time

    from moto_iotjobs.moto_integration import compat
    from moto_iotjobs.serving.persistence import disable_persistence, enable_persistence

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    _wipe_state()
    enable_persistence(str(tmp_path))
    app = compat.moto_server_app()
    try:
        with freeze_time("2026-01-10 12:00:00") as frozen:
            arn = _wsgi(app, "POST", "/things/slow", "iot", {})["thingArn"]
            _wsgi(app, "PUT", "/jobs/timed", "iot", {
                "targets": [arn], "document": "{}", "timeoutConfig": {"inProgressTimeoutInMinutes": 1}})
            frozen.tick(5)
            _wsgi(app, "POST", "/things/slow/jobs/timed", "iot-jobs-data", {"status": "IN_PROGRESS"})
            frozen.tick(300)
            # the control plane: the device plane answers 410 for a terminal execution
            live = _wsgi(app, "GET", "/things/slow/jobs/timed", "iot")["execution"]
            assert live["status"] == "TIMED_OUT"
            frozen.tick(60)
            _wsgi(app, "POST", "/things/later", "iot", {})
    finally:
        disable_persistence(compact=False)
    _wipe_state()
    enable_persistence(str(tmp_path))
    try:
        replayed = _wsgi(app, "GET", "/things/slow/jobs/timed", "iot")["execution"]
    finally:
        disable_persistence(compact=False)
        _wipe_state()
    assert replayed == live


def test_reset_is_kept_and_compacts_the_journal(tmp_path: Path, servers: list[Server]) -> None:
    import requests

    server = Server(tmp_path)
    servers.append(server)
    iot = _client("iot", server.endpoint)
    for i in range(3):
        iot.create_thing(thingName=f"gone{i}")
    grown = (tmp_path / "journal.log").stat().st_size
    assert requests.post(f"{server.endpoint}/moto-api/reset", timeout=10).status_code == 200
    assert (tmp_path / "snapshot.pkl").exists()
    assert (tmp_path / "journal.log").stat().st_size < grown
    iot.create_thing(thingName="after-reset")
    server.kill()
    restarted = Server(tmp_path)
    servers.append(restarted)
    assert [t["thingName"] for t in _client("iot", restarted.endpoint).list_things()["things"]] == ["after-reset"]
