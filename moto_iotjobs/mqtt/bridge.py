"""Broker-independent Jobs topic bridge: an MQTT client that answers the Jobs request topics.

The bridge knows nothing about jobs: it subscribes to the four Jobs request topic shapes, hands
each request ``(topic, payload)`` to a handler, and publishes the ``(topic, payload)`` replies the
handler returns. Any broker works (amqtt, mosquitto, ...) since the bridge is just a client.

Difference from AWS IoT: AWS delivers a request's ``/accepted`` or ``/rejected`` reply to the
requesting client even if it never subscribed to it. A plain broker delivers replies only to
subscribers, so a device must subscribe to the reply topics before publishing (the AWS SDK Jobs
clients do so already).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import uuid
from typing import Any, Callable, Iterable, NamedTuple, Optional, Tuple, Union  # noqa: UP035 - 3.9 runtime aliases

from moto_iotjobs.mqtt.stopping import StopsOnExit

__all__ = [
    "REQUEST_TOPIC_FILTERS",
    "BridgeError",
    "Handler",
    "JobsRequestTopic",
    "JobsTopicBridge",
    "parse_request_topic",
]

log = logging.getLogger(__name__)

#: A handler maps one request to the replies to publish (an empty list or None for none).
# typing aliases, not builtins: this alias is evaluated at runtime and must work on Python 3.9.
Handler = Callable[[str, bytes], Optional[Iterable[Tuple[str, Union[bytes, str]]]]]  # noqa: UP006

#: The Jobs request topics (AWS IoT Jobs MQTT API). Subscribing to these four filters instead of
#: ``$aws/things/+/jobs/#`` means the bridge never receives its own replies and notifications
#: (``.../accepted``, ``.../rejected``, ``notify``, ``notify-next``), which would double the
#: broker traffic of every exchange just to be dropped.
REQUEST_TOPIC_FILTERS: tuple[str, ...] = (
    "$aws/things/+/jobs/get",
    "$aws/things/+/jobs/start-next",
    "$aws/things/+/jobs/+/get",
    "$aws/things/+/jobs/+/update",
)

#: Every topic of the Jobs API of every thing: requests, replies and notifications (and wrong
#: topics, which AWS answers with ``InvalidTopic``).
ALL_JOBS_TOPICS_FILTER = "$aws/things/+/jobs/#"

NAMESPACE_PREFIX = "namespace-"

#: Seconds ``start()`` waits for the broker's CONNACK and SUBACK.
START_TIMEOUT = 10.0


class BridgeError(RuntimeError):
    """The bridge could not connect or subscribe, or was used while stopped."""


class JobsRequestTopic(NamedTuple):
    """A parsed Jobs request topic; ``operation`` is the matching HTTP API's action name."""

    thing_name: str
    operation: str  # GetPendingJobExecutions | StartNextPendingJobExecution | DescribeJobExecution | UpdateJobExecution
    job_id: (
        str | None
    )  # None for the thing-wide operations; may be "$next" for DescribeJobExecution
    #: The ``ns`` of the Greengrass forms ``.../jobs/{jobId}/namespace-{ns}/get|update``.
    namespace: str | None = None



def parse_request_topic(topic: str) -> JobsRequestTopic | None:
    """Parse a Jobs request topic, or return None for anything else (replies, notifications).

    Shapes: ``$aws/things/{thing}/jobs/get``, ``.../jobs/start-next``, ``.../jobs/{jobId}/get``,
    ``.../jobs/{jobId}/update``, and the namespaced forms AWS IoT Greengrass uses,
    ``.../jobs/{jobId}/namespace-{ns}/get`` and ``.../jobs/{jobId}/namespace-{ns}/update``.
    Thing names and job ids cannot contain ``/``, so the shape is unambiguous even for a job
    named ``get`` or ``notify``.
    """
    levels = topic.split("/")
    if (
        len(levels) not in (5, 6, 7)
        or levels[0] != "$aws"
        or levels[1] != "things"
        or levels[3] != "jobs"
    ):
        return None
    thing = levels[2]
    if not thing:
        return None
    if len(levels) == 5:
        if levels[4] == "get":
            return JobsRequestTopic(thing, "GetPendingJobExecutions", None)
        if levels[4] == "start-next":
            return JobsRequestTopic(thing, "StartNextPendingJobExecution", None)
        return None
    job_id, action = levels[4], levels[-1]
    if not job_id:
        return None
    namespace = None
    if len(levels) == 7:
        if not levels[5].startswith(NAMESPACE_PREFIX) or len(levels[5]) == len(NAMESPACE_PREFIX):
            return None
        namespace = levels[5][len(NAMESPACE_PREFIX) :]
    if action == "get":
        return JobsRequestTopic(thing, "DescribeJobExecution", job_id, namespace)
    if action == "update":
        return JobsRequestTopic(thing, "UpdateJobExecution", job_id, namespace)
    return None


class JobsTopicBridge(StopsOnExit):
    """Connects to a broker, answers Jobs requests through ``handler``, publishes notifications.

    The handler runs on the bridge's network thread, one request at a time in arrival order; a
    slow handler delays later requests. Its exceptions are logged and the request gets no reply.
    Replies and notifications go out at QoS 0: on loopback nothing is lost, and a QoS 1 publish
    costs the device a delayed-ACK stall (~40 ms) per round trip. A handler blocking for longer
    than 1.5 x ``keepalive`` gets the bridge disconnected (it reconnects and resubscribes).

    ``topic_filters`` are what it subscribes to and ``accept(topic)`` picks the received topics
    the handler sees; by default the four Jobs request shapes. The Jobs API service passes
    ``$aws/things/+/jobs/#`` to also answer wrong topics with ``InvalidTopic`` (it then hears,
    and drops, its own replies too).

    Stop the bridge before its broker: once the broker is gone the network thread waits up to
    a second between reconnect attempts, which ``stop()`` then has to sit out. Usable as a
    context manager (``with JobsTopicBridge(...) as bridge:`` starts and stops it).
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        client_id: str | None = None,
        keepalive: int = 60,
        topic_filters: Iterable[str] = REQUEST_TOPIC_FILTERS,
        accept: Callable[[str], bool] | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        #: Credentials for a broker that wants them (an existing broker given by URL, #19).
        self.username, self.password = username, password
        self.port = port
        self.handler = handler
        #: What the bridge subscribes to, and which received topics it hands to ``handler``
        #: (default: the Jobs request topics only).
        self.topic_filters = tuple(topic_filters)
        self.accept = accept or _is_request_topic
        self.client_id = client_id or f"moto-iotjobs-jobs-bridge-{uuid.uuid4().hex[:12]}"
        self.keepalive = keepalive
        self._client: Any = None
        self._subscribed = threading.Event()
        self._subscribe_mid: int | None = None
        self._subscribe_error: str | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and ``stop()``."""
        return self._client is not None

    def start(self) -> JobsTopicBridge:
        """Connect and subscribe; returns once the broker acknowledged the subscriptions.

        Requests published after ``start()`` returns are answered; earlier ones are not seen.
        """
        from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv311

        with self._lock:
            if self._client is not None:
                return self
            client = Client(
                CallbackAPIVersion.VERSION2,
                client_id=self.client_id,
                clean_session=True,
                protocol=MQTTv311,  # amqtt speaks only 3.1.1; mosquitto speaks both
            )
            client.on_socket_open = _set_nodelay
            client.on_connect = self._on_connect
            client.on_subscribe = self._on_subscribe
            client.on_message = self._on_message
            client.reconnect_delay_set(min_delay=1, max_delay=5)
            if self.username is not None:
                client.username_pw_set(self.username, self.password)
            self._subscribed.clear()
            self._subscribe_error = None
            try:
                client.connect(self.host, self.port, keepalive=self.keepalive)
            except OSError as exc:
                raise BridgeError(
                    f"cannot connect to MQTT broker {self.host}:{self.port}: {exc}"
                ) from exc
            client.loop_start()
            if not self._subscribed.wait(START_TIMEOUT) or self._subscribe_error:
                reason = self._subscribe_error or f"no CONNACK/SUBACK within {START_TIMEOUT} s"
                client.disconnect()
                client.loop_stop()
                raise BridgeError(
                    f"Jobs bridge could not subscribe on {self.host}:{self.port}: {reason}"
                )
            self._client = client
        return self

    def stop(self) -> None:
        """Disconnect and join the network thread; safe to call more than once."""
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        client.disconnect()
        client.loop_stop()

    def __enter__(self) -> JobsTopicBridge:
        return self.start()

    def publish(self, topic: str, payload: bytes | str, qos: int = 0) -> bool:
        """Publish a service-originated message (``notify``, ``notify-next``, ``$aws/events/...``).

        Returns False if the message could not be handed to the connection (broker gone).
        """
        client = self._client
        if client is None:
            raise BridgeError("JobsTopicBridge is not started")
        info = client.publish(topic, _as_bytes(payload), qos=qos)
        if info.rc != 0:
            log.debug("publish to %s failed: rc=%s", topic, info.rc)
            return False
        return True

    # -- paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._subscribe_error = f"CONNACK {reason_code}"
            self._subscribed.set()
            return
        # Also runs on automatic reconnects: clean sessions lose their subscriptions.
        result, mid = client.subscribe(
            [(topic_filter, 0) for topic_filter in self.topic_filters]
        )
        if result != 0:
            self._subscribe_error = f"SUBSCRIBE failed: rc={result}"
            self._subscribed.set()
        self._subscribe_mid = mid

    def _on_subscribe(
        self, client: Any, userdata: Any, mid: int, reason_codes: Any, properties: Any
    ) -> None:
        if mid != self._subscribe_mid:
            return
        failed = [str(rc) for rc in reason_codes if rc.is_failure]
        if failed:
            self._subscribe_error = f"SUBACK refused: {', '.join(failed)}"
        self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        topic = message.topic
        if not self.accept(topic):
            return  # a reply or notification (possible if another broker-side filter matches)
        try:
            replies = self.handler(topic, bytes(message.payload))
            for reply_topic, reply_payload in replies or ():
                client.publish(reply_topic, _as_bytes(reply_payload), qos=0)
        except Exception:
            log.exception("Jobs bridge handler failed for %s", topic)


def _is_request_topic(topic: str) -> bool:
    return parse_request_topic(topic) is not None


def _as_bytes(payload: bytes | bytearray | str) -> bytes:
    return payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)


def _set_nodelay(client: Any, userdata: Any, sock: Any) -> None:
    """Replies are small and latency bound: do not let Nagle hold them back."""
    # Not a TCP socket (e.g. websockets, unix): nothing to do.
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
