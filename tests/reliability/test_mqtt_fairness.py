"""A quiet device's round trip while another device floods the Jobs MQTT API (issue #14).

One device sends ``FLOOD`` ``$aws/things/flooder/jobs/get`` requests as fast as its socket
takes them; another asks ``$aws/things/quiet/jobs/get`` every 5 ms and times each reply. Its
p99 while the flood is being answered must stay under 20 ms, on both brokers. Before the fair
bridge (one FIFO from the broker's socket through the handler and back) the quiet device
waited behind the whole flood: p99 in seconds. Both devices are subprocesses on loopback;
the flood is bounded by its count (a few seconds on a 2-core machine), the run by a timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from moto_iotjobs.mqtt import find_mosquitto
from moto_iotjobs.mqtt.service import MqttJobsService

from .flood_clients import measure
from .helpers import thing_arn
from .summary import record

pytestmark = pytest.mark.mqtt

#: Requests the flooding device sends (the issue's probe sent 10,000).
FLOOD = 10_000
#: The quiet device's p99 round trip while the flood runs (milliseconds).
P99_TARGET_MS = 20.0


@pytest.fixture(params=["amqtt", "mosquitto"])
def service(request: pytest.FixtureRequest, iotjobs: Any) -> Iterator[MqttJobsService]:
    if request.param == "mosquitto" and find_mosquitto() is None:
        pytest.skip("mosquitto is not installed")
    if request.param == "amqtt":
        pytest.importorskip("amqtt")
    iot = iotjobs.client("iot")
    for thing in ("flooder", "quiet"):
        iot.create_thing(thingName=thing)
    iot.create_job(jobId="quiet-job", targets=[thing_arn("quiet")], document="{}")
    with MqttJobsService(kind=request.param) as running:
        yield running


@pytest.mark.timeout(180)
def test_quiet_device_round_trip_under_a_flood(service: MqttJobsService) -> None:
    figures = measure(service.host, service.port, FLOOD, timeout=90)
    assert figures.answered == FLOOD  # every flood request answered (nothing dropped)
    assert figures.quiet_ms, "the quiet device got no answer while the flood ran"
    summary = figures.summary()
    section = f"mqtt fairness ({service.kind})"
    record(section, "flood requests answered", figures.answered)
    record(section, "flood seconds", round(figures.flood_seconds))
    for key in ("n", "p50", "p99", "max"):
        record(section, f"quiet device round trip {key}" + ("" if key == "n" else " ms"), round(summary[key]))
    assert summary["p99"] < P99_TARGET_MS, summary
    # and it was answered all along: a round trip every ~5 ms for the whole flood
    assert summary["n"] >= figures.flood_seconds * 1000 / (P99_TARGET_MS + 5), summary
