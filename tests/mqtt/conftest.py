"""Fixtures for the MQTT broker and Jobs bridge tests: brokers, an echo bridge, a paho device."""

from __future__ import annotations

import json
import queue
import statistics
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Callable

import pytest

pytest.importorskip("paho.mqtt", reason="needs the [mqtt] extra (paho-mqtt)")

from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv311  # noqa: E402

from moto_iotjobs.mqtt import JobsTopicBridge, RunningBroker, find_mosquitto, start_broker  # noqa: E402

from .devices import Credentials, TlsDevice  # noqa: E402

BROKER_KINDS = ["amqtt", "mosquitto"]

MOSQUITTO_MISSING = "mosquitto is not installed (Debian/Ubuntu: apt-get install mosquitto)"


def skip_unless_available(kind: str) -> None:
    """Skip when a broker implementation is not installed here."""
    if kind == "mosquitto" and find_mosquitto() is None:
        pytest.skip(MOSQUITTO_MISSING)
    if kind == "amqtt":
        pytest.importorskip("amqtt", reason="needs amqtt (the [mqtt] extra, Python 3.10+)")


@pytest.fixture(params=BROKER_KINDS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    """Each broker kind in turn, skipped where it is not installed."""
    skip_unless_available(request.param)
    return str(request.param)


@pytest.fixture
def amqtt_kind() -> str:
    skip_unless_available("amqtt")
    return "amqtt"


@pytest.fixture
def amqtt_broker(amqtt_kind: str) -> Iterator[RunningBroker]:
    """A running amqtt broker (request it before ``make_device`` so devices close first)."""
    with start_broker(kind="amqtt") as running:
        yield running


@pytest.fixture
def mosquitto_broker() -> Iterator[RunningBroker]:
    """A running mosquitto broker (MQTT 3.1.1 and 5)."""
    skip_unless_available("mosquitto")
    with start_broker(kind="mosquitto") as running:
        yield running


@pytest.fixture
def broker(broker_kind: str) -> Iterator[RunningBroker]:
    """A running broker of each kind in turn."""
    with start_broker(kind=broker_kind) as running:  # type: ignore[arg-type]
        yield running


def echo_handler(topic: str, payload: bytes) -> list[tuple[str, bytes]]:
    """Toy Jobs handler: answers every request on its /accepted topic with its clientToken."""
    body = json.loads(payload or b"{}")
    return [
        (
            topic + "/accepted",
            json.dumps({"clientToken": body.get("clientToken"), "echo": True}).encode(),
        )
    ]


@pytest.fixture
def echo_bridge(broker: RunningBroker) -> Iterator[JobsTopicBridge]:
    bridge = JobsTopicBridge(broker.host, broker.port, echo_handler).start()
    yield bridge
    bridge.stop()


class Device:
    """A paho MQTT 3.1.1 client acting as a device, with blocking helpers for tests."""

    def __init__(self, host: str, port: int, client_id: str | None = None) -> None:
        self.client = Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"device-{uuid.uuid4().hex[:8]}",
            protocol=MQTTv311,
        )
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._acks: dict[int, threading.Event] = {}
        self._connected = threading.Event()
        self.client.on_connect = lambda *a: self._connected.set()
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, bytes(m.payload)))
        self.client.on_subscribe = self._on_subscribe
        # Tests stop brokers under connected devices; a short retry keeps close() quick then.
        self.client.reconnect_delay_set(min_delay=0.05, max_delay=0.2)  # type: ignore[arg-type]
        self.client.connect(host, port)
        self.client.loop_start()
        assert self._connected.wait(5), "device did not connect"

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, codes: Any, props: Any) -> None:
        self._acks.setdefault(mid, threading.Event()).set()

    def subscribe(self, topic_filter: str, qos: int = 0) -> None:
        """Subscribe and wait for the SUBACK, so later publishes are not missed."""
        result, mid = self.client.subscribe(topic_filter, qos)
        assert result == 0
        assert self._acks.setdefault(mid, threading.Event()).wait(5), "no SUBACK"

    def publish(self, topic: str, payload: bytes | str, qos: int = 0) -> None:
        self.client.publish(topic, payload, qos=qos)

    def receive(self, timeout: float = 5.0) -> tuple[str, bytes]:
        return self.messages.get(timeout=timeout)

    def assert_nothing_received(self, wait: float = 0.2) -> None:
        with pytest.raises(queue.Empty):
            self.messages.get(timeout=wait)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def make_device() -> Iterator[Callable[..., Device]]:
    devices: list[Device] = []

    def make(broker: RunningBroker, client_id: str | None = None) -> Device:
        device = Device(broker.host, broker.port, client_id)
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()


def measure_round_trips(host: str, port: int, count: int = 200, thing: str = "t1") -> list[float]:
    """Time ``count`` Jobs request/reply round trips of a paho device, in seconds each.

    A bridge answering ``$aws/things/{thing}/jobs/get`` must already be running. The device
    publishes the next request only after the previous reply arrived (no pipelining).
    """
    topic = f"$aws/things/{thing}/jobs/get"
    arrived = threading.Event()
    client = Client(
        CallbackAPIVersion.VERSION2, client_id=f"latency-{uuid.uuid4().hex[:8]}", protocol=MQTTv311
    )
    subscribed = threading.Event()
    client.on_message = lambda *a: arrived.set()
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(host, port)
    client.loop_start()
    try:
        client.subscribe(topic + "/accepted", 0)
        assert subscribed.wait(5), "no SUBACK"
        for _ in range(10):  # warm-up: imports, first-use allocations
            arrived.clear()
            client.publish(topic, b'{"clientToken":"warm-up"}')
            assert arrived.wait(5), "no reply during warm-up"
        samples = []
        for i in range(count):
            arrived.clear()
            started = time.perf_counter()
            client.publish(topic, b'{"clientToken":"%d"}' % i)
            assert arrived.wait(5), f"no reply to request {i}"
            samples.append(time.perf_counter() - started)
        return samples
    finally:
        client.disconnect()
        client.loop_stop()


def summarize(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p90 = ms[int(len(ms) * 0.9) - 1]
    return f"median {statistics.median(ms):.3f} ms, p90 {p90:.3f} ms, max {ms[-1]:.3f} ms over {len(ms)}"


@pytest.fixture
def round_trips() -> Callable[..., list[float]]:
    """``measure_round_trips(host, port, count=200)`` as a fixture (conftest is not importable)."""
    return measure_round_trips


@pytest.fixture
def latency_summary() -> Callable[[list[float]], str]:
    return summarize


# --- the Jobs MQTT API against the mock's backend -------------------------------------------


class JobsDevice(Device):
    """A paho device for one thing, subscribed to all of its Jobs topics.

    ``request(suffix, body)`` publishes to ``$aws/things/{thing}/jobs/{suffix}`` and returns
    ``("accepted" | "rejected", payload)``; other messages that arrive meanwhile (notifications)
    are kept for ``next_message``. The ``#`` subscription also echoes the device's own requests,
    which are dropped.
    """

    def __init__(self, host: str, port: int, thing: str) -> None:
        super().__init__(host, port)
        self.thing = thing
        self.prefix = f"$aws/things/{thing}/jobs/"
        self.backlog: list[tuple[str, Any]] = []
        self._sent: set[str] = set()
        self.subscribe(self.prefix + "#")

    def request(
        self, suffix: str, body: dict[str, Any] | bytes | None = None, timeout: float = 5.0
    ) -> tuple[str, Any]:
        topic = self.prefix + suffix
        payload = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.publish(topic, payload)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no reply to {topic}"
            got_topic, got = self.receive(left)
            if got_topic in (topic + "/accepted", topic + "/rejected"):
                return got_topic.rsplit("/", 1)[1], json.loads(got)
            self._keep(got_topic, got)

    def _keep(self, topic: str, payload: bytes) -> None:
        last = topic.rsplit("/", 1)[-1]
        if last in ("accepted", "rejected") or last.startswith("notify") or topic.startswith("$aws/events/"):
            self.backlog.append((topic, json.loads(payload)))

    def next_message(self, suffix: str, timeout: float = 5.0) -> Any:
        """The next message on ``$aws/things/{thing}/jobs/{suffix}`` (backlog first)."""
        topic = self.prefix + suffix
        for index, (seen, payload) in enumerate(self.backlog):
            if seen == topic:
                del self.backlog[index]
                return payload
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"nothing on {topic}; backlog: {self.backlog}"
            got_topic, got = self.receive(left)
            if got_topic == topic:
                return json.loads(got)
            self._keep(got_topic, got)

    def messages_on(self, suffix: str, wait: float = 0.2) -> list[Any]:
        """Everything on ``{prefix}{suffix}`` within ``wait`` seconds (backlog included)."""
        topic = self.prefix + suffix
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                got_topic, got = self.receive(left)
            except queue.Empty:
                break
            self._keep(got_topic, got)
        found = [payload for seen, payload in self.backlog if seen == topic]
        self.backlog = [(seen, payload) for seen, payload in self.backlog if seen != topic]
        return found


@pytest.fixture
def jobs_mqtt(broker_kind: str, iotjobs: Any) -> Iterator[Any]:
    """The Jobs MQTT API service on each broker kind in turn, serving the ``iotjobs`` mock."""
    from moto_iotjobs.mqtt import MqttJobsService

    with MqttJobsService(kind=broker_kind) as service:  # type: ignore[arg-type]
        yield service


@pytest.fixture
def make_jobs_device() -> Iterator[Callable[..., JobsDevice]]:
    """``make_jobs_device(service_or_broker, thing)``: a connected ``JobsDevice``."""
    devices: list[JobsDevice] = []

    def make(service: Any, thing: str = "dev1") -> JobsDevice:
        device = JobsDevice(service.host, service.port, thing)
        devices.append(device)
        return device

    yield make
    for device in devices:
        device.close()


@pytest.fixture
def make_tls_device(iotjobs_mqtt_tls: Any) -> Iterator[Callable[..., TlsDevice]]:
    """Devices on the mTLS gateway, closed after the test; a refused connection fails the
    test unless ``must_connect=False``."""
    devices: list[TlsDevice] = []

    def make(
        credentials: Credentials, client_id: str, must_connect: bool = True, **kwargs: Any
    ) -> TlsDevice:
        device = TlsDevice(
            iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, credentials, client_id, **kwargs
        )
        devices.append(device)
        if must_connect:
            assert device.accepted, f"{client_id} was refused: {device.result}"
        return device

    yield make
    for device in devices:
        device.close()
