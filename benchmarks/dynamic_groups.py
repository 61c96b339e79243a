#!/usr/bin/env python
"""UpdateThing with 100 dynamic thing groups defined, against UpdateThing with none.

A thing update re-evaluates that one thing against each dynamic group's compiled query (no
registry scan), so its cost must stay under 2x the cost without dynamic groups. Both sides
run in this process, through boto3 against the in-process mock, in interleaved rounds; the
figure is the ratio of the medians. Exits 1 when the ratio reaches the target.

Usage:  python benchmarks/dynamic_groups.py [--things 200] [--calls 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}.items():
    os.environ[name] = value
os.environ.pop("AWS_PROFILE", None)

TARGET = 2.0
GROUPS = 100


def per_call(iot: object, things: int, calls: int, tag: str) -> float:
    """Seconds per UpdateThing, changing one attribute of a thing each call."""
    update = iot.update_thing  # type: ignore[attr-defined]
    start = time.perf_counter()
    for i in range(calls):
        update(thingName=f"{tag}{i % things}",
               attributePayload={"attributes": {"fw": str(i % 7), "site": f"s{i % 3}"}, "merge": True})
    return (time.perf_counter() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--things", type=int, default=200)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import boto3

    from moto_iotjobs import mock_iotjobs

    with mock_iotjobs():
        iot = boto3.client("iot", region_name="us-east-1")
        iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
        # Two fleets in one account: "p" things are plain; "d" things share the account with
        # 100 dynamic groups (which evaluate every thing, so the plain side is measured first,
        # before any group exists, and again in another account for the interleaving).
        for i in range(args.things):
            iot.create_thing(thingName=f"d{i}", attributePayload={"attributes": {"fw": "0", "n": str(i)}})
        per_call(iot, args.things, 20, "d")  # warm-up: routes, model, validators
        plain_times = [per_call(iot, args.things, args.calls, "d") for _ in range(2)]
        for g in range(GROUPS):
            query = f"attributes.fw:{g % 7} AND attributes.n>{g}" if g % 2 else f"attributes.site:s{g % 3}"
            iot.create_dynamic_thing_group(thingGroupName=f"dg{g}", queryString=query)
        dynamic_times: list[float] = []
        other = boto3.client("iot", region_name="eu-west-1")  # a region without dynamic groups
        other.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
        for i in range(args.things):
            other.create_thing(thingName=f"d{i}", attributePayload={"attributes": {"fw": "0", "n": str(i)}})
        per_call(other, args.things, 20, "d")
        for _ in range(args.rounds):
            plain_times.append(per_call(other, args.things, args.calls, "d"))
            dynamic_times.append(per_call(iot, args.things, args.calls, "d"))
    plain = statistics.median(plain_times)
    dynamic = statistics.median(dynamic_times)
    ratio = dynamic / plain
    print(f"UpdateThing, no dynamic groups:   {plain * 1000:.3f} ms/call (median of {len(plain_times)} rounds)")
    print(f"UpdateThing, {GROUPS} dynamic groups: {dynamic * 1000:.3f} ms/call (median of {len(dynamic_times)} rounds)")
    print(f"ratio {ratio:.2f} (target < {TARGET:.1f}): {'met' if ratio < TARGET else 'MISSED'}")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
