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

import logging
import threading
import uuid
from typing import Callable, Iterable, NamedTuple, Optional, Tuple, Union  # noqa: UP035 - 3.9 runtime aliases

from moto_iotjobs.mqtt import bridge_link
from moto_iotjobs.mqtt.bridge_loop import SEND_TIMEOUT, START_TIMEOUT, Link, as_bytes
from moto_iotjobs.mqtt.fair_queue import DEFAULT_MAX_WAITING_PER_THING
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

#: The bridge's MQTT client id starts with this (the embedded amqtt broker reads that
#: connection first: its replies are work already done).
SERVICE_CLIENT_PREFIX = "moto-iotjobs-jobs-bridge-"



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

    One I/O thread owns the connection. It reads whatever the broker sent into one FIFO per
    thing (``FairQueue``) before answering each request, and answers the things in turn, so
    one device flooding requests does not delay another's answer (issue #14); a thing's own
    requests are answered in order. It sends at most ``PUBLISH_WINDOW`` publishes ahead of
    what the broker has read (a PINGREQ/PINGRESP round trip confirms them), so replies queue
    here, in turn, not in the socket. The handler runs on that thread, one request at a
    time; a slow handler delays later requests. Its exceptions are logged and the request
    gets no reply. A thing with ``max_waiting_per_thing`` requests waiting loses further ones
    (QoS 0 allows it) until it catches up.

    Replies and notifications go out at QoS 0: on loopback nothing is lost, and a QoS 1
    publish costs the device a delayed-ACK stall (~40 ms) per round trip. Requests arrive at
    QoS 0 too (the bridge subscribes at QoS 0). When the broker goes away the bridge
    reconnects (1 s, then up to 5 s apart) and subscribes again.

    ``topic_filters`` are what it subscribes to and ``accept(topic)`` picks the received topics
    the handler sees; by default the four Jobs request shapes. The Jobs API service passes
    ``$aws/things/+/jobs/#`` to also answer wrong topics with ``InvalidTopic`` (it then hears,
    and drops, its own replies too, except on the embedded amqtt broker, which does not send
    them back).

    Stop the bridge before its broker. Usable as a context manager (``with
    JobsTopicBridge(...) as bridge:`` starts and stops it).
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
        max_waiting_per_thing: int = DEFAULT_MAX_WAITING_PER_THING,
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
        self.client_id = client_id or f"{SERVICE_CLIENT_PREFIX}{uuid.uuid4().hex[:12]}"
        self.keepalive = keepalive
        self.max_waiting_per_thing = max_waiting_per_thing
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._link: Link | None = None

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and ``stop()``."""
        return self._link is not None

    @property
    def dropped(self) -> int:
        """Requests dropped because their thing had ``max_waiting_per_thing`` waiting."""
        link = self._link
        return 0 if link is None else link.requests.dropped

    def start(self) -> JobsTopicBridge:
        """Connect and subscribe; returns once the broker acknowledged the subscriptions.

        Requests published after ``start()`` returns are answered; earlier ones are not seen.
        """
        with self._lock:
            if self._link is not None:
                return self
            link = Link(self)
            try:
                link.open(START_TIMEOUT)
            except bridge_link.LinkError as exc:
                raise BridgeError(
                    f"Jobs bridge could not subscribe on {self.host}:{self.port}: {exc}"
                ) from exc
            except OSError as exc:
                raise BridgeError(
                    f"cannot connect to MQTT broker {self.host}:{self.port}: {exc}"
                ) from exc
            thread = threading.Thread(
                target=link.run, name=f"moto-iotjobs-bridge-{self.port}", daemon=True
            )
            self._link, self._thread = link, thread
            thread.start()
        return self

    def stop(self) -> None:
        """Disconnect and join the I/O thread; safe to call more than once."""
        with self._lock:
            link, thread = self._link, self._thread
            self._link = self._thread = None
        if link is None:
            return
        link.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(SEND_TIMEOUT + 5)

    def __enter__(self) -> JobsTopicBridge:
        return self.start()

    def publish(self, topic: str, payload: bytes | str, qos: int = 0) -> bool:
        """Publish a service-originated message (``notify``, ``notify-next``, ``$aws/events/...``).

        Queued for the I/O thread (at QoS 0 whatever ``qos`` says); returns False if the
        bridge is not connected to its broker right now (the message is then dropped).
        """
        link = self._link
        if link is None:
            raise BridgeError("JobsTopicBridge is not started")
        return link.post(bridge_link.publish_packet(topic, as_bytes(payload)))


def _is_request_topic(topic: str) -> bool:
    return parse_request_topic(topic) is not None


