"""moto_iotjobs: a moto plugin that mocks AWS IoT Jobs.

`import moto_iotjobs` routes the `iot` job operations and the `iot-jobs-data` device plane
to this plugin, process-wide: after it, plain `mock_aws` serves them too. Everything else
of `iot` (things, thing groups, ...) stays with moto.

    from moto_iotjobs import mock_iotjobs

    @mock_iotjobs
    def test_rollout(): ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar, overload

from .registration import register

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig
    from moto.core.models import MockAWS

    from .backend import IoTJobsBackend

__version__ = "0.1.0"
__all__ = [
    "mock_iotjobs",
    "jobs_backend",
    "published_notifications",
    "inject_fault",
    "clear_faults",
    "register",
]

F = TypeVar("F", bound=Callable[..., Any])

register()


@overload
def mock_iotjobs(func: F) -> F: ...


@overload
def mock_iotjobs(func: None = None, config: Optional[DefaultConfig] = None) -> MockAWS: ...


def mock_iotjobs(func: Optional[F] = None, config: Optional[DefaultConfig] = None) -> Any:
    """moto's own `mock_aws`, with the IoT Jobs routes registered.

    A decorator (functions and unittest classes) or a context manager. It returns moto's
    mock rather than a subclass: moto keeps its nesting counters on the class, so a
    subclass nested with `mock_aws` would reset state or stop mocking on exit.
    """
    register()
    from moto import mock_aws

    if func is not None:
        return mock_aws(func)
    return mock_aws(config=config)


def jobs_backend(region_name: str = "us-east-1", account_id: str = "123456789012") -> IoTJobsBackend:
    """The job state of one account and region, for direct inspection in tests."""
    from .backend import iotjobs_backends

    return iotjobs_backends[account_id][region_name]


def published_notifications(
    thing_name: Optional[str] = None,
    topic: Optional[str] = None,
    region_name: str = "us-east-1",
    account_id: str = "123456789012",
) -> list:
    """The Jobs MQTT messages published so far, decoded: `[(topic, payload), ...]`,
    optionally only one thing's or one topic's (see `moto_iotjobs.notifications`)."""
    from .notifications import published_notifications as read

    return read(thing_name=thing_name, topic=topic, region_name=region_name, account_id=account_id)


def inject_fault(
    operation: str,
    error: str = "ThrottlingException",
    count: Optional[int] = 1,
    probability: Optional[float] = None,
    seed: Optional[int] = None,
    plane: Optional[str] = None,
    message: Optional[str] = None,
) -> Any:
    """Make the next `count` calls of `operation` ("*" for all) fail with a modelled error,
    or each call with `probability` (see `moto_iotjobs.faults`)."""
    from .faults import inject_fault as inject

    return inject(operation, error, count, probability, seed, plane, message)


def clear_faults() -> None:
    from .faults import clear_faults as clear

    clear()
