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

from moto_iotjobs.moto_integration.registration import register

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig
    from moto.core.models import MockAWS

    from moto_iotjobs.faults.api import clear_faults, inject_fault
    from moto_iotjobs.services.jobs.backend import IoTJobsBackend
    from moto_iotjobs.services.jobs.notifications import published_notifications

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

    Where moto resets `boto3.DEFAULT_SESSION` (the outermost mock), the default session
    becomes a new one that reuses botocore's already parsed data (see
    `moto_iotjobs.shared_session`; `MOTO_IOTJOBS_SHARED_SESSION=0` turns this off).
    """
    register()
    from moto import mock_aws

    from moto_iotjobs.moto_integration.compat import share_default_session
    from moto_iotjobs.shared_session import new_boto3_session, sharing_enabled

    mock = mock_aws(config=config)
    if sharing_enabled():
        share_default_session(mock, new_boto3_session)
    if func is not None:
        return mock(func)
    return mock


def jobs_backend(region_name: str = "us-east-1", account_id: str = "123456789012") -> IoTJobsBackend:
    """The job state of one account and region, for direct inspection in tests."""
    from moto_iotjobs.services.jobs.backend import iotjobs_backends

    return iotjobs_backends[account_id][region_name]



_LAZY = {
    "inject_fault": ".faults.api",
    "clear_faults": ".faults.api",
    "published_notifications": ".services.jobs.notifications",
}


def __getattr__(name: str) -> Any:
    """Import the helpers on first use: `import moto_iotjobs` stays a few milliseconds."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
