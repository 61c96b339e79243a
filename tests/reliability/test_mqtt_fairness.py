"""A quiet device's round trip while another device floods the Jobs MQTT API (issue #14).

One device sends ``FLOOD`` ``$aws/things/flooder/jobs/get`` requests as fast as its socket
takes them; another asks ``$aws/things/quiet/jobs/get`` every 5 ms and times each reply. Its
p99 while the flood is being answered must stay under 20 ms on both brokers, plus twice what
the machine itself adds: the quiet device's p99 over ``BASELINE_SECONDS`` just before the
flood (about 1 ms on an idle machine; on a shared 2-core machine at load average 6, under
``nice``, the same p99 without any flood reached 27-52 ms, which no design of ours can take
away, and the flood, which makes this process busy, roughly doubled it).
``benchmarks/mqtt_flood.py`` holds the plain 20 ms. Before the fair bridge the quiet device
waited behind the whole flood: p99 0.7 to 4.3 s. Both devices are subprocesses on loopback;
the flood is bounded by its count (a few seconds on a 2-core machine), the run by a timeout.
"""

from __future__ import annotations

import gc
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
#: The quiet device's p99 round trip while the flood runs (milliseconds), over its baseline.
P99_TARGET_MS = 20.0
#: Seconds the quiet device measures before the flood: the machine's own p99.
BASELINE_SECONDS = 1.5


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
    # The broker and bridge run in this process, which holds everything the test session
    # imported: one full collection of it pauses them 60-140 ms (measured), which is not what
    # this test is about. Frozen objects are left out of collections until unfrozen.
    gc.collect()
    gc.freeze()
    try:
        figures = measure(service.host, service.port, FLOOD, timeout=90, lead=BASELINE_SECONDS)
    finally:
        gc.unfreeze()
    assert figures.answered == FLOOD  # every flood request answered (nothing dropped)
    assert figures.quiet_ms, "the quiet device got no answer while the flood ran"
    summary = figures.summary()
    section = f"mqtt fairness ({service.kind})"
    record(section, "flood requests answered", figures.answered)
    record(section, "flood seconds", round(figures.flood_seconds))
    for key in ("n", "p50", "p99", "max"):
        record(section, f"quiet device round trip {key}" + ("" if key == "n" else " ms"), round(summary[key]))
    baseline = figures.summary(figures.before_ms)["p99"]
    record(section, "quiet device round trip p99 before the flood ms", round(baseline))
    # 20 ms over twice the machine's own p99: about 22 ms on an idle machine; main's code
    # gave 700 to 4,300 ms on the same machine
    assert summary["p99"] < P99_TARGET_MS + 2 * baseline, (summary, f"baseline p99 {baseline:.1f} ms")
    # and it was answered all along: a round trip every ~5 ms for the whole flood
    assert summary["n"] >= figures.flood_seconds * 1000 / (P99_TARGET_MS + 5), summary
