"""A local MQTT broker that speaks the AWS IoT Jobs MQTT API: broker + Jobs bridge + notifications
(and the commands MQTT API: command requests out, device responses answered).

    service = MqttJobsService(port=0).start()     # amqtt on 127.0.0.1, a free port
    ...  # devices connect to service.host, service.port
    service.stop()

The bridge (an MQTT client on the broker) answers the Jobs request topics from the backend of
one account and region (``JobsMqttApi``), and every notification the backend publishes for that
account and region (``notify``, ``notify-next``, their namespaced forms, ``$aws/events/...``)
is also published on the broker, at QoS 0. Notifications caused by a device's own MQTT request
are published right after its ``/accepted`` reply. moto's ``published_payloads`` still records
them all.

``broker_url`` (``mqtt://[user[:password]@]host[:port]``) attaches the bridge to an existing
broker instead of starting one; ``stop()`` then leaves that broker running.

``tls_port`` (e.g. 8883, or 0 for a free port) adds the mutual-TLS listener devices use at AWS:
registry certificates and IoT policies are enforced there (``moto_iotjobs.devices.gateway``).
The plain ``port`` stays open for quick tests and is UNAUTHENTICATED: anyone may connect,
subscribe and publish there. ``alpn_port`` adds what AWS serves on port 443: MQTT over mTLS
for clients naming ALPN ``x-amzn-mqtt-ca``, and MQTT over WebSocket (``wss://host:port/mqtt``,
SigV4 with moto's IAM keys) for the others; it implies the TLS listener (any free port).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Optional

from moto_iotjobs.mqtt.bridge import ALL_JOBS_TOPICS_FILTER, BridgeError, JobsTopicBridge
from moto_iotjobs.mqtt.broker import RunningBroker, start_broker
from moto_iotjobs.mqtt.broker_url import parse_broker_url
from moto_iotjobs.mqtt.commands_api import (
    COMMANDS_RESPONSE_FILTERS,
    CommandsMqttApi,
    is_commands_topic,
    parse_response_topic,
)
from moto_iotjobs.mqtt.jobs_api import DEFAULT_REGION, JobsMqttApi, is_jobs_request_candidate
from moto_iotjobs.mqtt.stopping import StopsOnExit
from moto_iotjobs.services.jobs import notifications
from moto_iotjobs.serving.persistence import hooks as persistence_hooks

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.broker import BrokerKind

__all__ = ["MqttJobsService"]

log = logging.getLogger(__name__)


class MqttJobsService(StopsOnExit):
    """Broker, Jobs bridge and notification sink, started and stopped together.

    ``start()`` returns the service once devices can connect and requests are answered;
    ``stop()`` undoes everything and is idempotent. ``host``/``port`` are the broker's
    (``port=0``: a free port, known after ``start()``). Usable as a context manager.
    ``account_id=None`` means ``$MOTO_ACCOUNT_ID`` or ``123456789012``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        kind: BrokerKind = "amqtt",
        region_name: str = DEFAULT_REGION,
        account_id: Optional[str] = None,
        tls_port: Optional[int] = None,
        alpn_port: Optional[int] = None,
        broker_url: Optional[str] = None,
    ) -> None:
        self.broker = parse_broker_url(broker_url) if broker_url else None
        if self.broker is not None:
            if tls_port is not None:
                raise ValueError("tls_port needs a broker started here; not with broker_url")
            host, port = self.broker.host, self.broker.port
        self.host = host
        self.tls_port = tls_port
        self._requested_tls_port = tls_port
        self.alpn_port = alpn_port
        self._requested_alpn_port = alpn_port
        self._gateway: Any = None
        self.port = port
        self._requested = (host, port)  # a restart binds as asked again (port 0: any free port)
        self.kind = "external" if self.broker is not None else kind
        self.api = JobsMqttApi(region_name=region_name, account_id=account_id)
        self.commands_api = CommandsMqttApi(region_name=region_name, account_id=account_id)
        self.region_name = self.api.region_name
        self.account_id = self.api.account_id
        self._broker: Optional[RunningBroker] = None
        self._bridge: Optional[JobsTopicBridge] = None
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def running(self) -> bool:
        return self._bridge is not None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"mqtt://{host}:{self.port}"

    def start(self) -> MqttJobsService:
        with self._lock:
            if self._bridge is not None:
                return self
            # an existing broker (broker_url) is only connected to, never started nor stopped
            external = self.broker
            broker: Optional[RunningBroker] = None
            if external is not None:
                host, port = external.host, external.port
            else:
                broker = start_broker(*self._requested, kind=self.kind)  # type: ignore[arg-type]
                host, port = broker.host, broker.port
            try:
                bridge = JobsTopicBridge(
                    host,
                    port,
                    self._handle,
                    topic_filters=(ALL_JOBS_TOPICS_FILTER, *COMMANDS_RESPONSE_FILTERS),
                    accept=_is_answered,
                    username=external.username if external else None,
                    password=external.password if external else None,
                ).start()
            except BaseException:
                if broker is not None:
                    broker.stop()
                raise
            self._broker, self._bridge = broker, bridge
            self.host, self.port = host, port
            notifications.add_sink(self._notify, self.account_id, self.region_name)
        if self._requested_tls_port is not None or self._requested_alpn_port is not None:
            self._start_tls()
        return self

    def _start_tls(self) -> None:
        from moto_iotjobs.devices.gateway import TlsGateway

        try:
            self._gateway = TlsGateway(
                self.host, self.port, self.account_id, self.region_name,
                host=self._requested[0], port=self._requested_tls_port or 0,
                alpn_port=self._requested_alpn_port,
                answer=self._handle, publish=self._notify,  # Jobs replies: the requester only
            ).start()
        except BaseException:
            self.stop()
            raise
        self.tls_port, self.alpn_port = self._gateway.port, self._gateway.alpn_port

    @property
    def ca_path(self) -> Optional[str]:
        """The mock CA's PEM file devices trust for the TLS listener (None without one)."""
        return None if self._gateway is None else str(self._gateway.ca_path)

    def stop(self) -> None:
        with self._lock:
            bridge, broker, gateway = self._bridge, self._broker, self._gateway
            self._bridge = self._broker = self._gateway = None
            if gateway is not None:
                gateway.stop()
            notifications.remove_sink(self._notify)
            if bridge is not None:
                bridge.stop()
            if broker is not None:
                broker.stop()

    def __enter__(self) -> MqttJobsService:
        return self.start()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<MqttJobsService {self.kind} {self.url} {self.account_id}/{self.region_name} {state}>"

    # -- bridge handler and notification sink -------------------------------------------------

    def _handle(self, topic: str, payload: bytes) -> list[tuple[str, Any]]:
        """Answer a request; the notifications it causes go out after the reply."""
        caused: list[tuple[str, bytes]] = []
        self._local.caused = caused
        try:
            api = "commands" if is_commands_topic(topic) else "jobs"
            handler = self.commands_api.handle if api == "commands" else self.api.handle
            replies = persistence_hooks.around_mqtt(
                api, self.api.account_id, self.api.region_name, topic, payload, lambda: handler(topic, payload)
            )
        finally:
            self._local.caused = None
        return [*replies, *caused]

    def _notify(self, topic: str, payload: bytes) -> None:
        """Notification sink: called by the backend (under its lock) on any thread; never raises."""
        caused = getattr(self._local, "caused", None)
        if caused is not None:
            caused.append((topic, payload))
            return
        bridge = self._bridge
        if bridge is None:
            return
        try:
            bridge.publish(topic, payload)
        except BridgeError:  # stopped meanwhile
            pass
        except Exception:
            log.exception("could not publish %s on the Jobs MQTT broker", topic)


def _is_answered(topic: str) -> bool:
    """A Jobs request (or a wrong Jobs topic) or a device's command response."""
    return is_jobs_request_candidate(topic) or parse_response_topic(topic) is not None
