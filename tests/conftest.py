"""Shared fixtures. The `iotjobs` fixture itself comes from the installed pytest11 plugin."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config

#: A client that sends whatever it is given: the server alone checks the constraints.
UNCHECKED = Config(parameter_validation=False)


@pytest.fixture
def iot(iotjobs):
    return iotjobs.client("iot")


@pytest.fixture
def jobs_data(iotjobs):
    return iotjobs.client("iot-jobs-data")


@pytest.fixture
def iot_unchecked(iotjobs):
    return iotjobs.client("iot", config=UNCHECKED)


@pytest.fixture
def jobs_data_unchecked(iotjobs):
    return iotjobs.client("iot-jobs-data", config=UNCHECKED)


@pytest.fixture
def shapes(iot, iot_unchecked):
    """Every answer of `iot` and `iot_unchecked` checked against botocore's output shapes."""
    from .test_output_shapes import Recorder  # here: that module imports this one

    rec = Recorder()
    rec.attach(iot)
    rec.attach(iot_unchecked)
    yield rec
    assert rec.problems() == []


@pytest.fixture
def indexed(iot):
    """Thing indexing on (REGISTRY), as dynamic thing groups need."""
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})


@pytest.fixture
def fleet(iot):
    """A thing group `fleet` of three things t0..t2; returns the group ARN."""
    for i in range(3):
        iot.create_thing(thingName=f"t{i}")
    arn = iot.create_thing_group(thingGroupName="fleet")["thingGroupArn"]
    for i in range(3):
        iot.add_thing_to_thing_group(thingGroupName="fleet", thingName=f"t{i}")
    return arn


@pytest.fixture
def thing(iot):
    """One thing `dev1`; returns its ARN."""
    return iot.create_thing(thingName="dev1")["thingArn"]


DOCUMENT = json.dumps({"operation": "update", "version": "1.2.3"})
