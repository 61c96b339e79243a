"""Shared helpers of the reliability suites: clients, paging, a local moto server, and a
snapshot of the whole job state taken through the public API only."""

from __future__ import annotations

import json
import os
import random
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Callable, Optional

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
REGION = "us-east-1"
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
#: One attempt only: botocore's retries would hide a 5xx (and slow everything down).
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
UNVALIDATED = Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"})


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def thing_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:iot:{region}:{account}:thing/{name}"


def command_arn(command_id: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:iot:{region}:{account}:command/{command_id}"


def group_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:iot:{region}:{account}:thinggroup/{name}"


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def outcome(call: Callable[..., Any], **kwargs: Any) -> tuple[Optional[dict], Optional[str]]:
    """(response, None) or (None, error code)."""
    try:
        return call(**kwargs), None
    except ClientError as error:
        return None, error_code(error)


def page_all(
    call: Callable[..., dict],
    key: str,
    page_sizes: Iterable[Optional[int]],
    **kwargs: Any,
) -> list[dict]:
    """Every item of a paginated list, one call per page, page sizes taken in turn.

    Fails when a page is larger than asked for or a token repeats (an endless listing).
    """
    items: list[dict] = []
    token: Optional[str] = None
    tokens: set[str] = set()
    sizes: Iterator[Optional[int]] = iter(page_sizes)
    while True:
        size = next(sizes)
        args = dict(kwargs)
        if size is not None:
            args["maxResults"] = size
        if token is not None:
            args["nextToken"] = token
        page = call(**args)
        assert size is None or len(page[key]) <= size, (call, size, page[key])
        items.extend(page[key])
        token = page.get("nextToken")
        if token is None:
            return items
        assert token not in tokens, f"{call}: token {token} repeats"
        tokens.add(token)


def random_sizes(rng: random.Random, choices: tuple = (1, 2, 3, 5, 250, None)) -> Iterator[Optional[int]]:
    while True:
        yield rng.choice(choices)


# --- a local moto server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's ThreadedMotoServer on a free loopback port, with the plugin's routes."""
    from moto.server import ThreadedMotoServer

    import moto_iotjobs  # noqa: F401  (registers the routes the server uses)

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def reset_server(endpoint: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()


def make_clients(
    endpoint: Optional[str] = None,
    region: str = REGION,
    config: Config = NO_RETRY,
    session: Optional[boto3.session.Session] = None,
) -> tuple[Any, Any]:
    """(iot, iot-jobs-data) clients, in-process (endpoint None) or against a server."""
    session = session or boto3.session.Session()
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint is not None:
        kwargs["endpoint_url"] = endpoint
    return session.client("iot", **kwargs), session.client("iot-jobs-data", **kwargs)


# --- snapshot of the whole state ---------------------------------------------------------------

_VOLATILE = ("approximateSecondsBeforeTimedOut", "ResponseMetadata")


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def snapshot(iot: Any, jobs_data: Any, thing_names: Iterable[str]) -> str:
    """Everything a caller can see about jobs (and the registry they target), as JSON text.

    approximateSecondsBeforeTimedOut is left out: it moves with the clock, not with state.
    """
    state: dict[str, Any] = {}
    summaries = page_all(iot.list_jobs, "jobs", iter(lambda: 250, None))
    state["jobs"] = sorted(summaries, key=lambda j: j["jobId"])
    for summary in state["jobs"]:
        job_id = summary["jobId"]
        state[f"job/{job_id}"] = iot.describe_job(jobId=job_id)
        state[f"document/{job_id}"] = iot.get_job_document(jobId=job_id)
        state[f"executions/{job_id}"] = page_all(
            iot.list_job_executions_for_job, "executionSummaries", iter(lambda: 250, None), jobId=job_id
        )
    templates = page_all(iot.list_job_templates, "jobTemplates", iter(lambda: 250, None))
    state["templates"] = [
        iot.describe_job_template(jobTemplateId=t["jobTemplateId"])
        for t in sorted(templates, key=lambda t: t["jobTemplateId"])
    ]
    state["event configurations"] = iot.describe_event_configurations()
    commands = iot.list_commands(maxResults=100).get("commands", [])
    for command in sorted(commands, key=lambda c: c["commandId"]):
        state[f"command/{command['commandId']}"] = iot.get_command(commandId=command["commandId"])
        executions = iot.list_command_executions(commandArn=command["commandArn"], maxResults=100)
        state[f"command-executions/{command['commandId']}"] = [
            iot.get_command_execution(executionId=e["executionId"], targetArn=e["targetArn"], includeResult=True)
            for e in executions["commandExecutions"]
        ]
    registered = [t["thingName"] for t in iot.list_things()["things"]]
    things = sorted(set(thing_names) | set(registered))
    state["things"] = things
    groups = iot.list_thing_groups().get("thingGroups", [])
    state["groups"] = {
        g["groupName"]: sorted(iot.list_things_in_thing_group(thingGroupName=g["groupName"])["things"])
        for g in groups
    }
    for thing in things:
        listed = page_all(
            iot.list_job_executions_for_thing, "executionSummaries", iter(lambda: 250, None), thingName=thing
        )
        state[f"thing/{thing}"] = listed
        state[f"pending/{thing}"] = jobs_data.get_pending_job_executions(thingName=thing)
        for item in listed:
            job_id = item["jobId"]
            number = item["jobExecutionSummary"]["executionNumber"]
            state[f"execution/{thing}/{job_id}/{number}"] = iot.describe_job_execution(
                jobId=job_id, thingName=thing, executionNumber=number
            )
            try:
                state[f"device/{thing}/{job_id}/{number}"] = jobs_data.describe_job_execution(
                    jobId=job_id, thingName=thing, executionNumber=number
                )
            except jobs_data.exceptions.TerminalStateException:  # 410 for a terminal one
                state[f"device/{thing}/{job_id}/{number}"] = "TerminalStateException"
    state["tags"] = {
        arn: iot.list_tags_for_resource(resourceArn=arn)["tags"]
        for arn in [j["jobArn"] for j in state["jobs"]] + [t["jobTemplateArn"] for t in templates]
        + [g["groupArn"] for g in groups]
    }
    state["group details"] = {g["groupName"]: iot.describe_thing_group(thingGroupName=g["groupName"])
                              for g in groups}
    state["package configuration"] = iot.get_package_configuration()
    for package in page_all(iot.list_packages, "packageSummaries", iter(lambda: 100, None)):
        name = package["packageName"]
        state[f"package/{name}"] = iot.get_package(packageName=name)
        for version in page_all(iot.list_package_versions, "packageVersionSummaries",
                                iter(lambda: 100, None), packageName=name):
            described = iot.get_package_version(packageName=name, versionName=version["versionName"])
            state[f"package/{name}/{version['versionName']}"] = [
                described, iot.list_tags_for_resource(resourceArn=described["packageVersionArn"]),
            ]
        state[f"package tags/{name}"] = iot.list_tags_for_resource(
            resourceArn=state[f"package/{name}"]["packageArn"])
    return json.dumps(_clean(state), sort_keys=True, default=str, indent=1)
