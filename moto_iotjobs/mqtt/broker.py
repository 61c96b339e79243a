"""Local MQTT brokers for the Jobs device API: embedded amqtt (default) or a mosquitto subprocess.

Device code (paho-mqtt, the AWS IoT Device SDK) needs a real broker to talk to; these run on
loopback only, without TLS or authentication, for tests. The implementations live in
`amqtt_broker.py` and `mosquitto_broker.py`, what they share in `broker_base.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moto_iotjobs.mqtt.amqtt_broker import AMQTT_VERSION, AmqttBroker
from moto_iotjobs.mqtt.broker_base import BrokerError, BrokerNotAvailable, RunningBroker
from moto_iotjobs.mqtt.mosquitto_broker import MosquittoBroker, find_mosquitto

if TYPE_CHECKING:
    from typing import Literal

    BrokerKind = Literal["amqtt", "mosquitto"]

__all__ = [
    "AMQTT_VERSION",
    "BrokerError",
    "BrokerNotAvailable",
    "RunningBroker",
    "find_mosquitto",
    "start_broker",
]


def start_broker(
    host: str = "127.0.0.1", port: int = 0, kind: BrokerKind = "amqtt"
) -> RunningBroker:
    """Start a local MQTT broker and return once it accepts TCP connections.

    ``port=0`` picks a free port (read it back from ``.port``). ``kind="amqtt"`` embeds a pure
    Python MQTT 3.1.1 broker in a daemon thread; ``kind="mosquitto"`` runs the ``mosquitto``
    executable (MQTT 3.1.1 and 5), which must be installed.
    """
    if kind == "amqtt":
        return AmqttBroker.start(host, port)
    if kind == "mosquitto":
        return MosquittoBroker.start(host, port, find_mosquitto())
    raise ValueError(f"unknown broker kind {kind!r}; expected 'amqtt' or 'mosquitto'")
