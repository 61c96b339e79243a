"""MQTT side of the Jobs device API: a local broker and a broker-independent Jobs topic bridge.

Needs the ``mqtt`` extra (``pip install moto-iotjobs[mqtt]``). Unlike AWS IoT, a plain broker
only delivers a request's ``/accepted`` or ``/rejected`` reply to clients subscribed to it; the
AWS SDK Jobs clients subscribe before they publish, so they work unchanged.
"""

from __future__ import annotations

from moto_iotjobs.mqtt.bridge import (
    REQUEST_TOPIC_FILTERS,
    Handler,
    JobsRequestTopic,
    JobsTopicBridge,
    parse_request_topic,
)
from moto_iotjobs.mqtt.broker import (
    BrokerError,
    BrokerNotAvailable,
    RunningBroker,
    find_mosquitto,
    start_broker,
)

__all__ = [
    "REQUEST_TOPIC_FILTERS",
    "BrokerError",
    "BrokerNotAvailable",
    "Handler",
    "JobsRequestTopic",
    "JobsTopicBridge",
    "RunningBroker",
    "find_mosquitto",
    "parse_request_topic",
    "start_broker",
]
