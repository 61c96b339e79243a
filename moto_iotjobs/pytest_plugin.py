"""The `iotjobs` and `iotjobs_mqtt` pytest fixtures, registered through the `pytest11` entry point.

    def test_rollout(iotjobs):
        iot = iotjobs.client("iot")
        ...
        assert iotjobs.backend().jobs["job-1"].status == "COMPLETED"

    def test_device(iotjobs, iotjobs_mqtt):   # the Jobs MQTT API on a local broker
        run_device("dev1", iotjobs_mqtt.host, iotjobs_mqtt.port)

    def test_device_tls(iotjobs, iotjobs_mqtt_tls):   # mutual TLS + IoT policies, as at AWS
        run_device("dev1", "localhost", iotjobs_mqtt_tls.tls_port, ca=iotjobs_mqtt_tls.ca_path)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Optional

import pytest

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.service import MqttJobsService
    from moto_iotjobs.services.jobs.backend import IoTJobsBackend

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"

_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
}


class IoTJobsHandle:
    """What the fixture yields: the mock's state and clients bound to it."""

    region_name = DEFAULT_REGION
    account_id = DEFAULT_ACCOUNT

    def __init__(self, session: Any = None) -> None:
        #: The test's boto3 session (new for every test; see `moto_iotjobs.shared_session`).
        self.session = session

    def backend(
        self, region_name: Optional[str] = None, account_id: Optional[str] = None
    ) -> IoTJobsBackend:
        """The job state of one account and region (defaults: the fixture's)."""
        from moto_iotjobs import jobs_backend

        return jobs_backend(region_name or self.region_name, account_id or self.account_id)

    def client(self, service_name: str = "iot", region_name: Optional[str] = None, **kwargs: Any) -> Any:
        """A boto3 client (`iot`, `iot-jobs-data`, ...) in the fixture's region."""
        if self.session is None:
            import boto3

            return boto3.client(service_name, region_name=region_name or self.region_name, **kwargs)
        return self.session.client(service_name, region_name=region_name or self.region_name, **kwargs)

    def notifications(self, thing_name: Optional[str] = None, topic: Optional[str] = None,
                      region_name: Optional[str] = None, account_id: Optional[str] = None) -> list:
        """MQTT messages the service published, decoded (see `moto_iotjobs.services.jobs.notifications`)."""
        from moto_iotjobs.services.jobs.notifications import published_notifications

        return published_notifications(
            thing_name=thing_name,
            topic=topic,
            region_name=region_name or self.region_name,
            account_id=account_id or self.account_id,
        )


@pytest.fixture
def iotjobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[IoTJobsHandle]:
    """Fake credentials and region, the IoT Jobs mock active, state reset afterwards.

    Clients come from a boto3 session made for this test that reuses botocore's parsed
    model and endpoint data (`moto_iotjobs.shared_session`); it is also boto3's default
    session during the test, so plain `boto3.client(...)` gets it too. Turn sharing off with
    `MOTO_IOTJOBS_SHARED_SESSION=0`.
    """
    for name, value in _FAKE_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    import boto3

    from moto_iotjobs import mock_iotjobs
    from moto_iotjobs.shared_session import new_boto3_session, sharing_enabled

    outer = boto3.DEFAULT_SESSION
    with mock_iotjobs():
        previous = boto3.DEFAULT_SESSION
        session = None
        if sharing_enabled():
            # mock_iotjobs installed a fresh shared-data session (outermost mock); when nested
            # in an active mock it did not, and this test gets its own
            fresh = previous is not None and previous is not outer
            session = previous if fresh else new_boto3_session()
            boto3.DEFAULT_SESSION = session
        try:
            yield IoTJobsHandle(session)
        finally:
            # restored by us, not only by moto: moto does not when an outer mock is active
            boto3.DEFAULT_SESSION = previous


@pytest.fixture
def iotjobs_mqtt(iotjobs: IoTJobsHandle, request: pytest.FixtureRequest) -> Iterator[MqttJobsService]:
    """The Jobs MQTT API on a local broker, serving the `iotjobs` mock: a started
    `moto_iotjobs.mqtt.MqttJobsService` (`.host`, `.port`), stopped afterwards.

    amqtt by default; `@pytest.mark.parametrize("iotjobs_mqtt", ["mosquitto"], indirect=True)`
    picks mosquitto. Skipped when the `[mqtt]` extra is not installed.
    """
    import importlib.util

    kind = getattr(request, "param", None) or "amqtt"
    missing = [
        name
        for name in ("paho", "amqtt" if kind == "amqtt" else "")
        if name and importlib.util.find_spec(name) is None
    ]
    if missing:
        pytest.skip(
            f"iotjobs_mqtt needs the [mqtt] extra (pip install 'moto-iotjobs[mqtt]'; amqtt needs "
            f"Python 3.10+): {', '.join(missing)} not installed"
        )
    from moto_iotjobs.mqtt.service import MqttJobsService

    with MqttJobsService(kind=kind, region_name=iotjobs.region_name) as service:  # type: ignore[arg-type]
        yield service


@pytest.fixture
def iotjobs_mqtt_tls(iotjobs: IoTJobsHandle, request: pytest.FixtureRequest) -> Iterator[MqttJobsService]:
    """Like `iotjobs_mqtt`, plus the mutual-TLS listener on a free port (`.tls_port`,
    `.ca_path`): devices connect with registry certificates and IoT policies are enforced.
    `@pytest.mark.parametrize("iotjobs_mqtt_tls", ["mosquitto"], indirect=True)` picks the
    broker behind it."""
    import importlib.util

    kind = getattr(request, "param", None) or "amqtt"
    if importlib.util.find_spec("amqtt" if kind == "amqtt" else "paho") is None:
        pytest.skip("iotjobs_mqtt_tls needs the [mqtt] extra (pip install 'moto-iotjobs[mqtt]')")
    from moto_iotjobs.mqtt.service import MqttJobsService

    with MqttJobsService(kind=kind, region_name=iotjobs.region_name, tls_port=0) as service:  # type: ignore[arg-type]
        yield service
