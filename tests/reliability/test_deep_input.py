"""Deep nesting and lone surrogates: any depth, any Unicode, never a 5xx and nothing stored.

Job documents are accepted up to 1,000 levels (the live service's limit) and must then work
end to end; deeper documents and request bodies deeper than any input shape are a 400.
Requests go through a loopback moto server (the deepest stack, where 450-950 levels used to
fail) and in-process; the MQTT API is called through its handler.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.model import Shape

from moto_iotjobs.moto_integration.planes import CONTROL_TABLE, DEVICE_TABLE
from moto_iotjobs.mqtt import JobsMqttApi
from moto_iotjobs.protocol import nesting
from moto_iotjobs.services.jobs.notifications import published_notifications

from . import badinput
from .helpers import REGION, make_clients, moto_server, reset_server, snapshot, thing_arn
from .summary import record

DEPTHS = (450, 950, 5000)


def nested_text(depth: int, kind: str, leaf: str = '"x"') -> str:
    """JSON text of a list or map nested `depth` levels (built as text: json.dumps recurses)."""
    if kind == "list":
        return "[" * depth + leaf + "]" * depth
    return '{"k":' * depth + leaf + "}" * depth


def document(depth: int) -> str:
    """A job document: an object nested `depth` levels deep."""
    return '{"a":' * (depth - 1) + '{"op":"deep"}' + "}" * (depth - 1)


def shape_depth(shape: Shape, seen: tuple[str, ...] = ()) -> int:
    if shape.name in seen:
        return 10**6  # a recursive shape: unbounded
    seen = seen + (shape.name,)
    if shape.type_name == "structure":
        return 1 + max((shape_depth(m, seen) for m in shape.members.values()), default=0)
    if shape.type_name == "list":
        return 1 + shape_depth(shape.member, seen)
    if shape.type_name == "map":
        return 1 + shape_depth(shape.value, seen)
    return 0


def send(session: requests.Session, plane: str, method: str, url: str, body: bytes) -> requests.Response:
    """A signed raw request (the server routes by the signature's service name)."""
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("testing", "testing"), plane, REGION).add_auth(request)
    prepared = requests.Request(method, url, headers=dict(request.headers.items()), data=body).prepare()
    prepared.url = url
    return session.send(prepared, timeout=60)


def body_members(plane: str, operation: str) -> list[str]:
    op = badinput.service_model(plane).operation_model(operation)
    return [wire for _, _, location, wire in badinput._member_shapes(op) if location == "body"]


def test_no_input_shape_needs_more_than_the_body_limit() -> None:
    """MAX_BODY_DEPTH refuses only bodies no operation can use."""
    deepest = 0
    for table in (CONTROL_TABLE, DEVICE_TABLE):
        for name in table.names():
            op = badinput.service_model(table.plane).operation_model(name)
            if op.input_shape is not None:
                deepest = max(deepest, shape_depth(op.input_shape))
    assert 1 < deepest < nesting.MAX_BODY_DEPTH
    record("deep input", "deepest input shape", deepest)


def test_text_depth_skips_strings_and_escapes() -> None:
    assert nesting.text_depth('{"a":"[[{{\\"[["}') == 1
    assert nesting.text_depth('{"a":"\\\\","b":[[{}]]}') == 4
    assert nesting.text_depth(document(1000)) == 1000
    assert nesting.text_depth(nested_text(5000, "list"), stop_above=10) == 11


def test_deep_bodies_on_every_operation_are_a_400_and_store_nothing(fake_env: None) -> None:
    sent = 0
    with moto_server() as endpoint:
        iot, jobs_data = make_clients(endpoint)
        iot.create_thing(thingName="t1")
        iot.create_job(jobId="j1", targets=[thing_arn("t1")], document="{}")
        before = snapshot(iot, jobs_data, ["t1"])
        session = requests.Session()
        problems = []
        for table in (CONTROL_TABLE, DEVICE_TABLE):
            for operation in sorted(table.names()):
                members = body_members(table.plane, operation)
                labels = badinput.BASELINES.get((table.plane, operation), {})
                for member in members:
                    for depth in DEPTHS:
                        for kind in ("list", "map"):
                            body = f'{{"{member}":{nested_text(depth, kind)}}}'.encode()
                            case = badinput.Case(
                                table.plane, operation, "deep", dict(labels), None, raw_body=body
                            )
                            method, path, headers, data = badinput.wire_request(case)
                            answer = send(session, table.plane, method, endpoint + path, data)
                            sent += 1
                            if not 400 <= answer.status_code < 500:
                                problems.append(
                                    f"{operation}.{member} {kind} {depth}: {answer.status_code} "
                                    f"{answer.text[:200]}"
                                )
        assert problems == []
        assert snapshot(iot, jobs_data, ["t1"]) == before
    record("deep input", "deep bodies sent (all 4xx, state unchanged)", sent)


def test_document_depth_limit_over_http(fake_env: None) -> None:
    """1,000 levels are stored, 1,001 refused with InvalidRequestException (live service)."""
    with moto_server() as endpoint:
        reset_server(endpoint)
        iot, jobs_data = make_clients(endpoint)
        iot.create_thing(thingName="t1")
        for depth, accepted in ((964, True), (973, True), (1000, True), (1001, False), (5000, False)):
            text = document(depth)
            assert len(text.encode()) < 32 * 1024
            body = json.dumps({"targets": [thing_arn("t1")], "document": text}).encode()
            answer = send(requests.Session(), "iot", "PUT", f"{endpoint}/jobs/deep{depth}", body)
            if accepted:
                assert answer.status_code == 200, answer.text
                assert iot.get_job_document(jobId=f"deep{depth}")["document"] == text
            else:
                assert answer.status_code == 400, answer.text
                assert answer.headers["x-amzn-ErrorType"].startswith("InvalidRequestException")
                assert "1000 levels" in answer.json()["message"]
            record("deep input", "document depths tried over HTTP")
        assert sorted(j["jobId"] for j in iot.list_jobs()["jobs"]) == ["deep1000", "deep964", "deep973"]


def test_thousand_level_document_end_to_end(iotjobs: Any) -> None:
    """CreateJob, GetJobDocument, the device plane's document, notifications, MQTT get."""
    limit = sys.getrecursionlimit()
    iot = iotjobs.client("iot")
    jobs_data = iotjobs.client("iot-jobs-data")
    iot.create_thing(thingName="t1")
    text = document(nesting.MAX_DOCUMENT_DEPTH)
    iot.create_job(jobId="deep", targets=[thing_arn("t1")], document=text)
    assert iot.get_job_document(jobId="deep")["document"] == text
    execution = jobs_data.describe_job_execution(jobId="deep", thingName="t1", includeJobDocument=True)
    assert execution["execution"]["jobDocument"] == text
    notified = [
        payload for topic, payload in published_notifications("t1") if topic.endswith("/notify-next")
    ]
    assert nesting.value_depth(notified[-1]["execution"]["jobDocument"]) == nesting.MAX_DOCUMENT_DEPTH
    api = JobsMqttApi()
    (reply_topic, reply), = api.handle("$aws/things/t1/jobs/deep/get", b'{"clientToken":"c"}')
    assert reply_topic.endswith("/accepted")
    parsed = nesting.loads(reply.decode())
    assert nesting.value_depth(parsed["execution"]["jobDocument"]) == nesting.MAX_DOCUMENT_DEPTH
    (reply_topic, _), = api.handle("$aws/things/t1/jobs/start-next", b"{}")
    assert reply_topic.endswith("/accepted")
    assert sys.getrecursionlimit() == limit  # the headroom was given back


def test_lone_surrogates(iotjobs: Any) -> None:
    """A lone surrogate in a request string is not Unicode text: 400, nothing stored. Escaped
    inside the document's own JSON it is valid JSON text, stored as written."""
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t1")
    # `document` has no pattern: this used to reach the size check's UTF-8 encoding, a 500.
    raw = json.dumps({"targets": [thing_arn("t1")], "document": '{"a":"\ud800"}'})
    assert "\\ud800" in raw  # the escape, as a client writes it
    answer = requests.put(
        "https://iot.us-east-1.amazonaws.com/jobs/s0", data=raw.encode(),
        headers={"Content-Type": "application/json"}, timeout=30,
    )
    assert answer.status_code == 400 and "surrogate" in answer.json()["message"]
    assert "'document'" in answer.json()["message"]
    assert iot.list_jobs()["jobs"] == []
    escaped = '{"a":"\\ud800"}'
    iot.create_job(jobId="s1", targets=[thing_arn("t1")], document=escaped)
    assert iot.get_job_document(jobId="s1")["document"] == escaped
    (reply_topic, reply), = JobsMqttApi().handle("$aws/things/t1/jobs/s1/get", b"{}")
    assert reply_topic.endswith("/accepted")
    assert json.loads(reply)["execution"]["jobDocument"] == {"a": "\ud800"}


@pytest.mark.parametrize(
    "payload,code",
    [
        (('{"status":"IN_PROGRESS","statusDetails":{"a":' + nested_text(500, "map") + "}}").encode(), "InvalidRequest"),
        (nested_text(60_000, "list").encode(), "InvalidJson"),  # under the 128 KB limit
        (nested_text(100_000, "list").encode(), "InvalidRequest"),  # over 128 KB
        (b'{"clientToken":"\\ud800"}', "InvalidRequest"),
        (b'{"status":"IN_PROGRESS","statusDetails":' + nested_text(950, "list").encode() + b"}", "InvalidRequest"),
    ],
    ids=["statusDetails-500", "payload-60000", "payload-100000", "surrogate", "statusDetails-list-950"],
)
def test_mqtt_deep_payloads_are_rejected(iotjobs: Any, payload: bytes, code: str) -> None:
    iot = iotjobs.client("iot")
    iot.create_thing(thingName="t1")
    iot.create_job(jobId="j1", targets=[thing_arn("t1")], document="{}")
    (reply_topic, reply), = JobsMqttApi().handle("$aws/things/t1/jobs/j1/update", payload)
    assert reply_topic.endswith("/rejected")
    assert json.loads(reply)["code"] == code
    execution = iot.describe_job_execution(jobId="j1", thingName="t1")["execution"]
    assert execution["status"] == "QUEUED"
    record("deep input", "MQTT deep payloads rejected")


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from .helpers import FAKE_ENV

    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
