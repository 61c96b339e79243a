"""The AWS IoT Jobs MQTT device API, answered from the same backend that serves boto3.

Broker-independent: ``JobsMqttApi(region_name, account_id)`` is a handler
``(topic, payload) -> [(reply_topic, reply_payload), ...]`` for ``JobsTopicBridge``. Each request
goes through the HTTP device plane's own steps (fault check, botocore-model validation,
``backend.lock``, ``backend.advance(now)``, the ``DEVICE_HANDLERS`` of ``services/jobs/handlers.py``), so the
rules live in one place; only the framing differs:

=============================================  =================================
request topic (device publishes)               operation
=============================================  =================================
``$aws/things/{thing}/jobs/get``               GetPendingJobExecutions
``$aws/things/{thing}/jobs/start-next``        StartNextPendingJobExecution
``$aws/things/{thing}/jobs/{jobId|$next}/get`` DescribeJobExecution
``$aws/things/{thing}/jobs/{jobId}/update``    UpdateJobExecution
``.../jobs/{jobId|$next}/namespace-{ns}/get``  DescribeJobExecution (Greengrass)
``.../jobs/{jobId}/namespace-{ns}/update``     UpdateJobExecution (Greengrass)
=============================================  =================================

- The reply goes to the request topic plus ``/accepted`` or ``/rejected``. Every reply has
  ``timestamp`` (integer epoch seconds) and echoes the request's ``clientToken``.
- Payloads are the HTTP device plane's, except that ``jobDocument`` is a JSON object (a string
  over HTTP). Execution timestamps are integer epoch seconds.
- Rejected: ``{code, message, clientToken?, timestamp, executionState?}``; ``executionState``
  only with InvalidStateTransition and VersionMismatch. Codes: InvalidTopic (a topic under
  ``$aws/things/{thing}/jobs/`` that is no API), InvalidJson (not UTF-8 JSON), InvalidRequest
  (not a JSON object, over 128 KB, a clientToken over 64 characters, a constraint of the
  botocore model broken), ResourceNotFound, InvalidStateTransition (also a status a device
  may not set), VersionMismatch (expectedVersion differs), RequestThrottled (an injected
  ThrottlingException, see ``moto_iotjobs.faults``; faults for the ``iot-jobs-data`` plane
  apply to MQTT too), TerminalStateReached (``get`` of a terminal execution, or an injected
  TerminalStateException), InternalError (anything else).
- Namespaced topics: ``$next`` means the next pending execution among the jobs of that
  namespace; a named job must belong to the namespace (ResourceNotFound otherwise). The plain
  topics see every job, as the HTTP device plane does.
- Replies (``.../accepted``, ``.../rejected``) and notifications (``notify*``) heard on the
  broker are never answered, so the service cannot talk to itself.
- An empty payload counts as ``{}``; unknown payload keys are ignored.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any, Optional

from moto_iotjobs.faults.rules import check_fault
from moto_iotjobs.mqtt.api_scope import DEFAULT_ACCOUNT, DEFAULT_REGION, AccountScopedApi
from moto_iotjobs.mqtt.bridge import JobsRequestTopic, parse_request_topic
from moto_iotjobs.protocol import nesting
from moto_iotjobs.protocol.errors import (
    DEVICE_PLANE,
    InvalidStateTransitionException,
    JobsError,
    ResourceNotFoundException,
    VersionMismatchException,
)
from moto_iotjobs.protocol.service_model import operations
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.services.jobs import serialization
from moto_iotjobs.services.jobs.device_plane import pending_executions
from moto_iotjobs.services.jobs.documents import document_for_device
from moto_iotjobs.services.jobs.handlers import DEVICE_HANDLERS

__all__ = [
    "DEFAULT_ACCOUNT",
    "DEFAULT_REGION",
    "ERROR_CODES",
    "JobsMqttApi",
    "is_jobs_request_candidate",
    "is_service_topic",
]

log = logging.getLogger(__name__)

#: Largest MQTT payload AWS IoT Core accepts (128 KB):
#: https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits
MAX_PAYLOAD_BYTES = 128 * 1024
#: clientToken: "an arbitrary string up to 64 bytes" (Jobs MQTT API; ClientRequestToken max 64):
#: https://docs.aws.amazon.com/iot/latest/developerguide/jobs-mqtt-api.html
MAX_CLIENT_TOKEN = 64

#: MQTT ErrorResponse code for each error the backend raises (anything else: InternalError).
ERROR_CODES: dict[str, str] = {
    "InvalidRequestException": "InvalidRequest",
    "ResourceNotFoundException": "ResourceNotFound",
    "InvalidStateTransitionException": "InvalidStateTransition",
    "VersionConflictException": "VersionMismatch",
    "ThrottlingException": "RequestThrottled",
    "TerminalStateException": "TerminalStateReached",
    "CertificateValidationException": "InvalidRequest",
}

_PREFIX = "$aws/things/"


def is_service_topic(topic: str) -> bool:
    """A reply or notification the service itself publishes: never answered."""
    levels = topic.split("/")
    last = levels[-1]
    if last in ("accepted", "rejected"):
        return True
    if len(levels) == 5 and (
        last in ("notify", "notify-next")
        or last.startswith("notify-namespace-")
        or last.startswith("notify-next-namespace-")
    ):
        return True
    # The model's form for namespaced jobs: .../jobs/{jobId}/notify-namespace-{ns}/
    return len(levels) in (6, 7) and levels[5].startswith("notify-namespace-") and (
        len(levels) == 6 or not levels[6]
    )


def is_jobs_request_candidate(topic: str) -> bool:
    """Whether a topic heard on ``$aws/things/+/jobs/#`` deserves an answer (or InvalidTopic)."""
    if not topic.startswith(_PREFIX):
        return False
    levels = topic.split("/", 4)
    return len(levels) >= 4 and levels[3] == "jobs" and not is_service_topic(topic)


class _Rejection(Exception):
    def __init__(self, code: str, message: str, execution_state: Optional[dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.execution_state = execution_state


def _dumps(value: Any) -> bytes:
    # nesting.dumps: a reply may carry a job document nested 1,000 levels deep
    return nesting.dumps(value).encode("utf-8")


def _document_object(document: Any) -> Any:
    """The job document as MQTT carries it: a JSON object (a string over HTTP)."""
    if not isinstance(document, str):
        return document
    try:
        return nesting.loads(document)
    except (ValueError, RecursionError):
        return document


@functools.cache
def _body_members(operation: str) -> tuple[str, ...]:
    """Input members of an operation that travel in the MQTT payload (all but the topic's)."""
    spec = operations(DEVICE_PLANE, DEVICE_HANDLERS)[operation]
    return tuple(m.name for m in spec.members if m.location != "uri")


class JobsMqttApi(AccountScopedApi):
    """Answers Jobs MQTT requests for one account and region; a ``JobsTopicBridge`` handler.

    ``account_id=None`` means ``$MOTO_ACCOUNT_ID`` or ``123456789012``, as moto resolves it.
    The backend is looked up on every request (``moto_iotjobs.jobs_backend``), so moto resets
    between tests are seen. Thread-safe: each request holds ``backend.lock``.
    """

    def backend(self) -> Any:
        from moto_iotjobs import jobs_backend

        return jobs_backend(self.region_name, self.account_id)

    def __call__(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        return self.handle(topic, payload)

    def handle(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        """The replies to one message (none for replies and notifications)."""
        if is_service_topic(topic):
            return []
        now = self._now()
        token: Any = None
        try:
            request = parse_request_topic(topic)
            if request is None:
                raise _Rejection(
                    "InvalidTopic", f"The topic {topic} does not map to any AWS IoT Jobs API"
                )
            if len(payload) > MAX_PAYLOAD_BYTES:
                raise _Rejection(
                    "InvalidRequest",
                    f"The request payload is larger than the {MAX_PAYLOAD_BYTES} bytes an MQTT "
                    "message may carry",
                )
            body = _parse_payload(payload)
            token = body.get("clientToken")
            if token is not None and not isinstance(token, str):
                token = None
                raise _Rejection("InvalidRequest", "clientToken must be a string")
            if token is not None and len(token) > MAX_CLIENT_TOKEN:
                token = None  # never echoed: a 1 MB token would come back as a 1 MB reply
                raise _Rejection(
                    "InvalidRequest", f"clientToken is longer than {MAX_CLIENT_TOKEN} characters"
                )
            check_fault(DEVICE_PLANE, request.operation, self.account_id, self.region_name)
            answer = self._answer(request, body, now)
        except _Rejection as rejected:
            return [(topic + "/rejected", _rejected(rejected, token, now))]
        except JobsError as error:
            mapped = _Rejection(ERROR_CODES.get(error.code, "InternalError"), error.message)
            return [(topic + "/rejected", _rejected(mapped, token, now))]
        except Exception:  # a defect of ours: answer as AWS would, never stay silent
            log.exception("moto_iotjobs MQTT Jobs API failed on %s", topic)
            internal = _Rejection("InternalError", "Internal error in moto_iotjobs")
            return [(topic + "/rejected", _rejected(internal, token, now))]
        answer["timestamp"] = int(now)
        if token is not None:
            answer["clientToken"] = token
        return [(topic + "/accepted", _dumps(answer))]

    def _answer(self, request: JobsRequestTopic, body: dict[str, Any], now: float) -> dict[str, Any]:
        operation = request.operation
        spec = operations(DEVICE_PLANE, DEVICE_HANDLERS)[operation]
        params = {name: body[name] for name in _body_members(operation) if name in body}
        params["thingName"] = request.thing_name
        if request.job_id is not None:
            params["jobId"] = request.job_id
        validate(spec, params)
        backend = self.backend()
        with backend.lock:
            backend.advance(now)
            try:
                with backend.atomic():
                    answer = None
                    if request.namespace is not None:
                        answer = self._namespaced(backend, request, params, now)
                    if answer is None:
                        answer = DEVICE_HANDLERS[operation](backend, params, now)
            except InvalidStateTransitionException as error:
                code = (
                    "VersionMismatch"
                    if isinstance(error, VersionMismatchException)
                    else "InvalidStateTransition"
                )
                raise _Rejection(code, error.message, _execution_state(backend, params)) from None
        return _for_mqtt(answer)

    def _namespaced(
        self, backend: Any, request: JobsRequestTopic, params: dict[str, Any], now: float
    ) -> Optional[dict[str, Any]]:
        """Answer a ``$next`` of a namespace; check a named job's namespace (None: go on)."""
        namespace = request.namespace
        job_id = params["jobId"]
        if job_id != "$next":
            job = backend.jobs.get(job_id)
            if job is None or job.namespace_id != namespace:
                raise ResourceNotFoundException(
                    f"Job execution of job {job_id} on thing {request.thing_name} does not "
                    f"exist in namespace {namespace}"
                )
            return None
        in_progress, queued = pending_executions(backend.store, request.thing_name)
        pending = [e for e in in_progress + queued if e.job.namespace_id == namespace]
        if not pending:
            return {}
        execution = pending[0]
        document = None
        if params.get("includeJobDocument") is not False:
            document = document_for_device(backend.region_name, execution.job)
        return {"execution": serialization.device_execution(execution, now, document)}


def _parse_payload(payload: bytes) -> dict[str, Any]:
    if not payload.strip():
        return {}
    if payload.count(b"[") + payload.count(b"{") > nesting.MAX_DOCUMENT_DEPTH:
        # Deeper than a JSON parser goes (1,000 levels, as for job documents): not JSON to us,
        # whatever the recursion limit of the process.
        depth = nesting.text_depth(payload.decode("utf-8", "replace"), nesting.MAX_DOCUMENT_DEPTH)
        if depth > nesting.MAX_DOCUMENT_DEPTH:
            raise _Rejection(
                "InvalidJson", "The request payload could not be parsed as UTF-8 encoded JSON"
            )
    try:
        body = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: too deep
        raise _Rejection(
            "InvalidJson", "The request payload could not be parsed as UTF-8 encoded JSON"
        ) from None
    if not isinstance(body, dict):
        raise _Rejection("InvalidRequest", "The request payload must be a JSON object")
    # Checked iteratively before validation walks the payload (as parse_body does over HTTP).
    if nesting.value_depth(body, nesting.MAX_BODY_DEPTH) > nesting.MAX_BODY_DEPTH:
        raise _Rejection(
            "InvalidRequest",
            f"The request payload is nested deeper than {nesting.MAX_BODY_DEPTH} levels",
        )
    if nesting.lone_surrogate(body) is not None:
        raise _Rejection(
            "InvalidRequest", "The request payload holds a lone UTF-16 surrogate, not Unicode text"
        )
    return body


def _for_mqtt(answer: dict[str, Any]) -> dict[str, Any]:
    """An HTTP device-plane answer in its MQTT form: job documents as JSON objects."""
    execution = answer.get("execution")
    if execution is not None and "jobDocument" in execution:
        execution["jobDocument"] = _document_object(execution["jobDocument"])
    if "jobDocument" in answer:
        answer["jobDocument"] = _document_object(answer["jobDocument"])
    return answer


def _execution_state(backend: Any, params: dict[str, Any]) -> Optional[dict[str, Any]]:
    try:
        execution = backend.get_execution(
            params["thingName"], params["jobId"], params.get("executionNumber")
        )
    except (JobsError, KeyError):
        return None
    return serialization.execution_state(execution)


def _rejected(rejection: _Rejection, token: Any, now: float) -> bytes:
    out: dict[str, Any] = {"code": rejection.code, "message": rejection.message}
    if token is not None:
        out["clientToken"] = token
    out["timestamp"] = int(now)
    if rejection.execution_state is not None:
        out["executionState"] = rejection.execution_state
    return _dumps(out)
