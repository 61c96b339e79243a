"""The bridge's per-thing queues and its packet splitting (issue #14)."""

from __future__ import annotations

import pytest

from moto_iotjobs.mqtt import bridge_link
from moto_iotjobs.mqtt.fair_queue import FairQueue, requester_of


def test_things_take_turns_and_keep_their_order() -> None:
    queue: FairQueue[str] = FairQueue()
    for n in range(5):
        queue.put("flooder", f"f{n}")
    queue.put("quiet", "q0")
    queue.put("other", "o0")
    queue.put("quiet", "q1")
    served = [queue.pop() for _ in range(len(queue))]
    assert served[:4] == ["f0", "q0", "o0", "f1"]
    assert [s for s in served if s.startswith("f")] == [f"f{n}" for n in range(5)]
    assert served.index("q1") < served.index("f3")
    assert len(queue) == 0


def test_a_full_thing_loses_further_requests_only() -> None:
    queue: FairQueue[int] = FairQueue(max_per_key=2)
    assert [queue.put("a", n) for n in range(4)] == [True, True, False, False]
    assert queue.put("b", 9)
    assert queue.dropped == 2
    assert [queue.pop() for _ in range(3)] == [0, 9, 1]


@pytest.mark.parametrize(
    "topic,requester",
    [
        ("$aws/things/dev-1/jobs/get", "dev-1"),
        ("$aws/things/dev-1/jobs/j/namespace-x/update", "dev-1"),
        ("$aws/commands/things/dev-2/executions/e/response/json", "dev-2"),
        ("$aws/commands/clients/c-3/executions/e/response/json", "c-3"),
        ("plain/topic", "plain/topic"),
    ],
)
def test_requester_of(topic: str, requester: str) -> None:
    assert requester_of(topic) == requester


def test_packets_split_across_reads() -> None:
    big = bridge_link.publish_packet("$aws/things/t/jobs/get", b"x" * 300)  # 2-byte length
    small = bridge_link.publish_packet("$aws/things/u/jobs/get", b"{}")
    stream = big + small + bridge_link.PINGREQ_PACKET
    buffer = bridge_link.PacketBuffer()
    seen = []
    for offset in range(0, len(stream), 7):  # 7-byte reads cut every field somewhere
        buffer.feed(stream[offset : offset + 7])
        seen.extend(buffer.packets())
    assert len(buffer) == 0
    assert [first >> 4 for first, _ in seen] == [3, 3, 12]
    assert bridge_link.parse_publish(*seen[0]) == ("$aws/things/t/jobs/get", b"x" * 300)
    assert bridge_link.parse_publish(*seen[1]) == ("$aws/things/u/jobs/get", b"{}")
    with pytest.raises(ValueError):
        bridge_link.parse_publish(0x30, b"\x00\x10ab")
