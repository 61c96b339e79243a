"""The amqtt fan-out index (#19): lookups find exactly the filters a full scan would."""

from __future__ import annotations

import pytest

from moto_iotjobs.mqtt.amqtt_fanout import SubscriptionIndex

pytest.importorskip("amqtt")


def _matching(index: SubscriptionIndex, topic: str) -> set[str]:
    from amqtt.broker import Broker

    matches = Broker._matches  # amqtt's own matcher, unbound: it only uses self.logger
    probe = type("Probe", (), {"logger": __import__("logging").getLogger("probe")})()
    return {f for f in index.candidates(topic) if matches(probe, topic, f)}


def _scan(index: SubscriptionIndex, topic: str) -> set[str]:
    from amqtt.broker import Broker

    probe = type("Probe", (), {"logger": __import__("logging").getLogger("probe")})()
    return {f for f in index if Broker._matches(probe, topic, f)}


def test_candidates_match_a_full_scan() -> None:
    index = SubscriptionIndex()
    for name in ("a", "b"):
        index[f"$aws/things/{name}/jobs/start-next/accepted"] = []
    index["$aws/things/+/jobs/#"] = []
    index["$aws/things/a/jobs/+/update/accepted"] = []
    index["#"] = []
    for topic in ("$aws/things/a/jobs/start-next/accepted", "$aws/things/a/jobs/j1/update/accepted",
                  "$aws/things/b/jobs/notify", "other/topic"):
        assert _matching(index, topic) == _scan(index, topic)
    assert _matching(index, "$aws/things/a/jobs/start-next/accepted") == {
        "$aws/things/a/jobs/start-next/accepted", "$aws/things/+/jobs/#"}


def test_removed_filters_are_forgotten() -> None:
    index = SubscriptionIndex()
    index["x/+"] = []
    index["x/y"] = []
    del index["x/+"]
    assert index.candidates("x/y") == ["x/y"]
    index["x/#"] = []
    index.pop("x/#")
    index.setdefault("z/+", [])
    assert index.candidates("x/y") == ["x/y", "z/+"]
    index.clear()
    assert index.candidates("x/y") == []
