"""What AWS IoT serves on port 443 (`alpn_port`): MQTT over WebSocket signed with SigV4 (the
IAM principal of one of moto's access keys), and MQTT over mutual TLS for clients naming ALPN
`x-amzn-mqtt-ca`. Tested on a free high port."""

from __future__ import annotations

import datetime
import json
import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as AwsCredentials

from .devices import CONNECT_ANY_POLICY, TlsDevice, provision

pytestmark = pytest.mark.mqtt

awscrt_auth = pytest.importorskip("awscrt.auth", reason="needs awsiotsdk (awscrt)")
from awscrt import mqtt as awscrt_mqtt  # noqa: E402
from awsiot import iotjobs as sdk_jobs  # noqa: E402
from awsiot import mqtt_connection_builder  # noqa: E402

REGION = "us-east-1"


@pytest.fixture(params=["amqtt", "mosquitto"])
def port443(iotjobs: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    from moto_iotjobs.mqtt import find_mosquitto
    from moto_iotjobs.mqtt.service import MqttJobsService

    if request.param == "mosquitto" and find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    with MqttJobsService(kind=request.param, region_name=REGION, alpn_port=0) as service:
        yield service


def _iam_keys(iotjobs: Any, user: str = "web-client") -> dict[str, str]:
    iam = iotjobs.client("iam")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def _ws_connection(service: Any, keys: dict[str, str], client_id: str, token: Any = None) -> Any:
    provider = awscrt_auth.AwsCredentialsProvider.new_static(
        keys["access_key_id"], keys["secret_access_key"], token
    )
    with open(service.ca_path, "rb") as handle:
        ca_bytes = handle.read()
    return mqtt_connection_builder.websockets_with_default_aws_signing(
        endpoint="localhost", port=service.alpn_port, region=REGION,
        credentials_provider=provider, ca_bytes=ca_bytes, client_id=client_id,
        clean_session=True, keep_alive_secs=30,
    )


def test_sdk_over_websocket_with_sigv4_takes_a_job_to_succeeded(iotjobs, port443):
    iot = iotjobs.client("iot")
    thing_arn = iot.create_thing(thingName="browser-thing")["thingArn"]
    iot.create_job(jobId="ws-job", targets=[thing_arn], document=json.dumps({"op": "ws"}))
    connection = _ws_connection(port443, _iam_keys(iotjobs), "browser-thing")
    started_at = time.perf_counter()
    connection.connect().result(10)
    connect_ms = (time.perf_counter() - started_at) * 1000
    try:
        client = sdk_jobs.IotJobsClient(connection)
        started: Future[Any] = Future()
        updated: Future[Any] = Future()
        qos = awscrt_mqtt.QoS.AT_LEAST_ONCE
        client.subscribe_to_start_next_pending_job_execution_accepted(
            sdk_jobs.StartNextPendingJobExecutionSubscriptionRequest(thing_name="browser-thing"),
            qos, started.set_result)[0].result(10)
        client.subscribe_to_update_job_execution_accepted(
            sdk_jobs.UpdateJobExecutionSubscriptionRequest(thing_name="browser-thing", job_id="+"),
            qos, updated.set_result)[0].result(10)
        client.publish_start_next_pending_job_execution(
            sdk_jobs.StartNextPendingJobExecutionRequest(thing_name="browser-thing"), qos).result(10)
        assert started.result(10).execution.job_document == {"op": "ws"}
        client.publish_update_job_execution(sdk_jobs.UpdateJobExecutionRequest(
            thing_name="browser-thing", job_id="ws-job", status="SUCCEEDED"), qos).result(10)
        updated.result(10)
    finally:
        connection.disconnect().result(10)
    assert iot.describe_job_execution(jobId="ws-job", thingName="browser-thing")["execution"]["status"] == "SUCCEEDED"
    print(f"awscrt WebSocket+SigV4 connect via {port443.kind}: {connect_ms:.1f} ms")


def test_sdk_over_websocket_with_sts_session_credentials(iotjobs, port443):
    sts = iotjobs.client("sts")
    assumed = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/web", RoleSessionName="s1")
    credentials = assumed["Credentials"]
    keys = {"access_key_id": credentials["AccessKeyId"], "secret_access_key": credentials["SecretAccessKey"]}
    connection = _ws_connection(port443, keys, "session-client", credentials["SessionToken"])
    connection.connect().result(10)
    connection.disconnect().result(10)
    with pytest.raises(Exception, match="AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE"):
        _ws_connection(port443, keys, "session-client", "not-the-token").connect().result(10)
    # botocore signs the token into the canonical query (the SDKs append it unsigned): both count
    assert _upgrade(port443, keys, token=credentials["SessionToken"]) == "HTTP/1.1 101 Switching Protocols"
    assert _upgrade(port443, keys).startswith("HTTP/1.1 403")  # a session key needs its token


def test_sdk_over_websocket_with_an_unknown_or_wrong_key_is_refused(iotjobs, port443):
    keys = _iam_keys(iotjobs)
    wrong_secret = {**keys, "secret_access_key": "x" * 40}
    for bad in (wrong_secret, {"access_key_id": "AKIAUNKNOWN000000000", "secret_access_key": "s" * 40}):
        with pytest.raises(Exception, match="AWS_ERROR_HTTP_WEBSOCKET_UPGRADE_FAILURE"):
            _ws_connection(port443, bad, "intruder").connect().result(10)


# -- the upgrade request, signed by botocore (an independent SigV4 implementation) -----------


def _upgrade(service: Any, keys: dict[str, str], service_name: str = "iotdevicegateway",
             when: Any = None, region: str = REGION, path: str = "/mqtt",
             token: Any = None) -> str:
    """The HTTP status line answering a presigned WebSocket upgrade."""
    host = f"localhost:{service.alpn_port}"
    request = AWSRequest(method="GET", url=f"https://{host}{path}", headers={"host": host})
    signer = SigV4QueryAuth(
        AwsCredentials(keys["access_key_id"], keys["secret_access_key"], token), service_name, region,
        expires=3600,
    )
    with mock.patch("botocore.auth.get_current_datetime", lambda: when or datetime.datetime.utcnow()):
        signer.add_auth(request)
    url = urlsplit(request.url)
    context = ssl.create_default_context(cafile=service.ca_path)
    with socket.create_connection(("127.0.0.1", service.alpn_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(
            f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n".encode()
        )
        return sock.recv(4096).decode("latin-1").split("\r\n")[0]


def test_botocore_presigned_upgrade_is_accepted_and_variants_are_refused(iotjobs, port443):
    keys = _iam_keys(iotjobs)
    assert _upgrade(port443, keys) == "HTTP/1.1 101 Switching Protocols"
    assert _upgrade(port443, keys, service_name="iot").startswith("HTTP/1.1 403")
    assert _upgrade(port443, keys, region="eu-west-1").startswith("HTTP/1.1 403")
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    two_hours_ago, in_an_hour = now - datetime.timedelta(hours=2), now + datetime.timedelta(hours=1)
    assert _upgrade(port443, keys, when=two_hours_ago).startswith("HTTP/1.1 403")  # X-Amz-Expires 3600
    assert _upgrade(port443, keys, when=in_an_hour).startswith("HTTP/1.1 403")  # beyond 15 min skew
    five_minutes_ahead = now + datetime.timedelta(minutes=5)
    assert _upgrade(port443, keys, when=five_minutes_ahead) == "HTTP/1.1 101 Switching Protocols"
    assert _upgrade(port443, keys, path="/other").startswith("HTTP/1.1 400")
    iotjobs.client("iam").update_access_key(
        UserName="web-client", AccessKeyId=keys["access_key_id"], Status="Inactive")
    assert _upgrade(port443, keys).startswith("HTTP/1.1 403")


# -- MQTT over mutual TLS with ALPN x-amzn-mqtt-ca ---------------------------------------------


def test_mtls_with_alpn_x_amzn_mqtt_ca_on_the_port443_listener(iotjobs, port443):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=CONNECT_ANY_POLICY)
    device = TlsDevice(port443.alpn_port, port443.ca_path, credentials, "alpn-device",
                       alpn=["x-amzn-mqtt-ca"])
    try:
        assert device.accepted
    finally:
        device.close()
    unauthorised = provision(iot, policy=None)
    refused = TlsDevice(port443.alpn_port, port443.ca_path, unauthorised, "alpn-device",
                        alpn=["x-amzn-mqtt-ca"])
    try:
        assert refused.refused_not_authorized
    finally:
        refused.close()


def test_alpn_negotiated_is_x_amzn_mqtt_ca_and_the_tls_port_still_serves(iotjobs, port443):
    """The listener selects x-amzn-mqtt-ca for such clients; the 8883-style port runs beside it."""
    context = ssl.create_default_context(cafile=port443.ca_path)
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=CONNECT_ANY_POLICY)
    context.load_cert_chain(credentials.cert_path, credentials.key_path)
    context.set_alpn_protocols(["x-amzn-mqtt-ca"])
    with socket.create_connection(("127.0.0.1", port443.alpn_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as sock:
        assert sock.selected_alpn_protocol() == "x-amzn-mqtt-ca"
    assert port443.tls_port not in (None, port443.alpn_port)
    device = TlsDevice(port443.tls_port, port443.ca_path, credentials, "plain-8883-style")
    try:
        assert device.accepted
    finally:
        device.close()


def test_alpn_mqtt_without_a_client_certificate_is_refused(iotjobs, port443):
    context = ssl.create_default_context(cafile=port443.ca_path)
    context.set_alpn_protocols(["x-amzn-mqtt-ca"])
    connect = bytes([0x10, 12, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 30, 0, 0])
    with socket.create_connection(("127.0.0.1", port443.alpn_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(connect)
        assert sock.recv(16) == b""  # closed without CONNACK, as for any refused MQTT 3.1.1 CONNECT
