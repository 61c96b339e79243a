"""The AWS IoT Jobs MQTT device API on a real local broker, served by the mock's backend.

Needs the ``mqtt`` extra (``pip install ".[mqtt]"`` in the checkout). Device code (paho-mqtt, the
AWS IoT Device SDK's ``IotJobsClient``/``IotJobsClientV2``) connects to ``host:port`` without
TLS and talks to the same jobs that boto3 sees::

    import boto3
    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.mqtt import jobs_broker

    with mock_iotjobs(), jobs_broker() as broker:       # amqtt on 127.0.0.1, a free port
        iot = boto3.client("iot", region_name="us-east-1")
        iot.create_thing(thingName="dev1")
        iot.create_job(jobId="j1", targets=[arn_of_dev1], document='{"op": "reboot"}')
        run_device("dev1", broker.host, broker.port)    # your device code, unchanged
        assert iot.describe_job_execution(jobId="j1", thingName="dev1")[
            "execution"]["status"] == "SUCCEEDED"

In pytest, the ``iotjobs_mqtt`` fixture does the same (it uses the ``iotjobs`` fixture and
yields the running ``MqttJobsService``; ``@pytest.mark.parametrize("iotjobs_mqtt",
["mosquitto"], indirect=True)`` picks the broker). ``python -m moto_iotjobs --mqtt-port N``
runs it beside moto's server.

- ``jobs_broker(host="127.0.0.1", port=0, kind="amqtt", region_name="us-east-1",
  account_id=None, tls_port=None, alpn_port=None)``: a context manager for use while a moto mock is active; yields the started
  ``MqttJobsService`` (``.host``, ``.port``, ``.url``) and stops it on exit.
- ``broker_url="mqtt://[user[:password]@]host[:port]"``: attach to an existing broker instead
  of starting one (it is left running on exit).
- ``MqttJobsService(...)``: the same with ``start()``/``stop()``, for servers and long-lived use.
- ``kind="amqtt"`` (default) embeds a pure-Python MQTT 3.1.1 broker; ``kind="mosquitto"`` runs
  the ``mosquitto`` executable (MQTT 3.1.1 and 5), which must be installed.
- One broker serves one account and region (``account_id=None``: ``$MOTO_ACCOUNT_ID`` or
  ``123456789012``); the topics, payloads and error codes are in ``moto_iotjobs.mqtt.jobs_api``.

With ``tls_port`` (8883 at AWS; 0: a free port) devices connect as at AWS, with mutual TLS and
a registry certificate, and IoT policies are enforced (``service.tls_port``,
``service.ca_path``; see ``moto_iotjobs.devices`` and docs/devices-tls.md). The plain ``port``
is unauthenticated.

Difference from AWS IoT on the plain port: AWS delivers a request's ``/accepted`` or ``/rejected`` reply to the
requesting client even if it never subscribed to it. A plain broker delivers replies only to
subscribers, so a device must subscribe to the reply topics before it publishes (the AWS SDK
Jobs clients do so already). Anyone subscribed to a reply topic hears it, not only the
requester.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Optional

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
from moto_iotjobs.mqtt.jobs_api import JobsMqttApi
from moto_iotjobs.mqtt.service import MqttJobsService

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.broker import BrokerKind

__all__ = [
    "REQUEST_TOPIC_FILTERS",
    "BrokerError",
    "BrokerNotAvailable",
    "Handler",
    "JobsMqttApi",
    "JobsRequestTopic",
    "JobsTopicBridge",
    "MqttJobsService",
    "RunningBroker",
    "find_mosquitto",
    "jobs_broker",
    "parse_request_topic",
    "start_broker",
]


@contextlib.contextmanager
def jobs_broker(
    host: str = "127.0.0.1",
    port: int = 0,
    kind: BrokerKind = "amqtt",
    region_name: str = "us-east-1",
    account_id: Optional[str] = None,
    tls_port: Optional[int] = None,
    alpn_port: Optional[int] = None,
    broker_url: Optional[str] = None,
) -> Iterator[MqttJobsService]:
    """Run the Jobs MQTT API on a local broker for the duration of a ``with`` block.

    Use it inside an active moto mock (``mock_iotjobs()`` / ``mock_aws()``): without one, boto3
    would talk to real AWS while devices talk to the mock, so that is a RuntimeError.
    """
    from moto.core.models import MockAWS

    if not MockAWS._mocks_active:
        raise RuntimeError(
            "jobs_broker() needs an active moto mock: enter mock_iotjobs() (or mock_aws()) "
            "first, or use MqttJobsService directly against a moto server"
        )
    service = MqttJobsService(
        host=host,
        port=port,
        kind=kind,
        region_name=region_name,
        account_id=account_id,
        tls_port=tls_port,
        alpn_port=alpn_port,
        broker_url=broker_url,
    )
    with service:
        yield service
