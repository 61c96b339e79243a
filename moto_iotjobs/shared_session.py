"""boto3 sessions that share botocore's loaded data across tests (issue #19).

Why: moto resets ``boto3.DEFAULT_SESSION`` for every test, so the first ``boto3.client`` of
each test builds a new botocore session, whose new data loader reads and parses the service
model, endpoint rules and partition data from disk again: about 110 ms a test. A session
here is brand new (its own event handlers, credential resolution from the environment as it
is now, its own config) but is handed the process-wide loader and endpoint resolver, which
only hold parsed, read-only copies of botocore's JSON data files.

What is shared, and why it is safe:

- ``data_loader`` (``botocore.loaders.Loader``): caches the parsed JSON of service models,
  endpoint rule sets, ``endpoints.json`` and ``sdk-default-configuration.json``. botocore
  never mutates what it returns from these (clients build their own ``ServiceModel`` objects
  on top). One loader per ``AWS_DATA_PATH`` value, so a test pointing botocore at other
  model files still gets them.
- ``endpoint_resolver`` (``botocore.regions.EndpointResolver``): a lookup over the parsed
  ``endpoints.json``; it holds no per-session or per-credential state.
- botocore's built-in event handlers, registered once into a template emitter that every
  session gets a *copy* of (``copy.copy``, the way botocore gives each client its own copy
  of its session's emitter). Registering them costs ~0.1 ms each because botocore inspects
  every handler's signature; copying is cheap. The handlers are module-level functions
  (moto's ``botocore_stubber`` among them); a handler registered later on one session's or
  client's copy never reaches the template. The template is rebuilt when
  ``botocore.handlers.BUILTIN_HANDLERS`` changes.

Not shared: event emitters (a handler a test registers on its session or on a client's
``meta.events`` dies with that session), credentials, config store, region, user agent, the
clients themselves. Opt out with ``MOTO_IOTJOBS_SHARED_SESSION=0``.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

__all__ = ["ENV_SWITCH", "new_boto3_session", "sharing_enabled"]

#: ``0``/``false``/``no``/``off`` turns sharing off: every session loads its own data.
ENV_SWITCH = "MOTO_IOTJOBS_SHARED_SESSION"

_lock = threading.Lock()
_loaders: dict[Optional[str], Any] = {}
_resolvers: dict[Optional[str], Any] = {}
_template: Optional[tuple[tuple[Any, ...], Any]] = None  # (BUILTIN_HANDLERS as seen, emitter)


def sharing_enabled() -> bool:
    """True unless ``MOTO_IOTJOBS_SHARED_SESSION`` says 0/false/no/off."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def new_boto3_session(region_name: Optional[str] = None) -> Any:
    """A new ``boto3.Session``; with sharing on, its botocore session reuses the loaded data."""
    import boto3

    if not sharing_enabled():
        return boto3.Session(region_name=region_name)
    import botocore.session

    core = botocore.session.Session(event_hooks=_builtin_handlers_copy(), include_builtin_handlers=False)
    data_path = core.get_config_variable("data_path")
    loader, resolver = _shared_components(data_path)
    core.register_component("data_loader", loader)
    # botocore has no public setter for internal components; this is the one it reads.
    core._internal_components.register_component("endpoint_resolver", resolver)
    session = boto3.Session(botocore_session=core, region_name=region_name)
    # boto3.Session appends its own data directory to the loader's search path on every
    # construction: keep the shared list from growing by one entry per test.
    _dedupe(loader.search_paths)
    return session


def _builtin_handlers_copy() -> Any:
    """A new emitter holding botocore's built-in handlers, copied from a template."""
    import copy

    import botocore.session
    from botocore import handlers

    global _template
    builtins = tuple(handlers.BUILTIN_HANDLERS)
    with _lock:
        if _template is None or _template[0] != builtins:
            # the same registration code path botocore runs for a new session
            _template = (builtins, botocore.session.Session()._original_handler)
        return copy.copy(_template[1])


def _shared_components(data_path: Optional[str]) -> tuple[Any, Any]:
    from botocore.loaders import create_loader
    from botocore.regions import EndpointResolver

    with _lock:
        loader = _loaders.get(data_path)
        if loader is None:
            loader = _loaders[data_path] = create_loader(data_path)
        resolver = _resolvers.get(data_path)
        if resolver is None:
            endpoints, path = loader.load_data_with_path("endpoints")
            resolver = _resolvers[data_path] = EndpointResolver(
                endpoints, uses_builtin_data=loader.is_builtin_path(path)
            )
        return loader, resolver


def _dedupe(paths: list[str]) -> None:
    seen: set[str] = set()
    unique = [p for p in paths if not (p in seen or seen.add(p))]  # type: ignore[func-returns-value]
    if len(unique) != len(paths):
        with _lock:
            paths[:] = unique
