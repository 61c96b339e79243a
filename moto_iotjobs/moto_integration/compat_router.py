"""A direct route to the plugin's own operations in front of moto's generic router (#19).

Every in-process boto3 call reaches moto through one object, `moto.core.models.
botocore_stubber` (a `BotocoreStubber` on botocore's `before-send` event), whose
`process_request` finds the backend by trying every service's URL patterns, and, since
moto 5.2.5, first rebuilds botocore's request as a werkzeug `Request` (`normalize_request`,
about 60 % of the router's time). For a job operation, all of that only finds what the
plugin already knows: the host is one of ours and the route is one of our tables'.

`install_direct_route` sets `process_request` on that one instance (the class is left
alone) to a function that takes exactly moto's decisions, with moto's own helpers and in
moto's order, and hands botocore's request straight to the plugin when all of these hold:
- it is botocore's `AWSPreparedRequest` (anything else, e.g. `requests` calls that moto
  intercepts through `responses`, goes the usual way);
- the first router entry matching the URL (after moto's `get_equivalent_url_in_aws_domain`)
  is one of ours, and the URL matches that entry's route, as moto would find it;
- moto's passthrough URLs and services and its service allow-list let the request through,
  and moto's request recorder is off (moto records every request it routes);
- the plane's table has the operation (`handler` returns a response, not None).
Otherwise the request goes to moto's own `process_request`, unchanged; it routes it as
before (the plugin's fall-backs to moto's IoT and iot-data included).

The internals, checked by `check_direct_route()` before the route is installed (a
`MotoCompatibilityError` naming the moto version and the broken assumption otherwise):
`moto.core.models.botocore_stubber` and its class's `__call__` calling
`self.process_request`; `moto.core.utils.get_equivalent_url_in_aws_domain`;
`moto.core.config.passthrough_url`, `passthrough_service`, `service_whitelisted`;
`moto.settings.get_s3_custom_endpoints` reading `MOTO_S3_CUSTOM_ENDPOINTS` (a URL's routing
is remembered, keyed on that variable);
`moto.moto_api.recorder._user_enabled`. moto 5.1 to 5.2.5 route the same way here.
`MOTO_IOTJOBS_DIRECT_ROUTE=0` (or false/no/off) leaves moto's router alone.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any, Callable, Optional

from moto_iotjobs.moto_integration.compat import MotoCompatibilityError, router_patterns
from moto_iotjobs.moto_integration.environment import environment_variable

#: handler(botocore request, its URL) -> moto's (status, headers, body), or None: not ours
DirectHandler = Callable[[Any, str], Optional[tuple[int, dict[str, str], Any]]]
#: a plane: (its route regexes, as in its Routes.urls; a function giving its handler, called
#: on the plane's first request so that `import moto_iotjobs` loads no plane)
DirectPlane = tuple[list[str], Callable[[], DirectHandler]]

_OFF = ("0", "false", "no", "off")
_CUSTOM_ENDPOINTS = "MOTO_S3_CUSTOM_ENDPOINTS"
_lock = threading.Lock()
_installed: Optional[_DirectRoute] = None
#: the planes of the last install (tests take the route down and put it back)
registered_planes: dict[str, DirectPlane] = {}
#: URLs whose routing is remembered (a test reads the same few; cleared when full)
_URL_CACHE_SIZE = 1024


def direct_route_enabled() -> bool:
    """False when `MOTO_IOTJOBS_DIRECT_ROUTE` says off."""
    return os.environ.get("MOTO_IOTJOBS_DIRECT_ROUTE", "1").strip().lower() not in _OFF


def _require(condition: bool, assumption: str) -> None:
    if not condition:
        raise MotoCompatibilityError(assumption)


def check_direct_route() -> Any:
    """The stubber moto sends every in-process request through, once its shape is checked."""
    try:
        from moto.core import config as moto_config
        from moto.core import utils as moto_utils
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.core.models import botocore_stubber
        from moto.moto_api import recorder
        from moto.settings import get_s3_custom_endpoints
    except (ImportError, AttributeError) as error:
        raise MotoCompatibilityError(f"a moto module moved ({error})") from None
    _require(isinstance(botocore_stubber, BotocoreStubber),
             "moto.core.models.botocore_stubber is no longer a BotocoreStubber")
    _require(callable(getattr(BotocoreStubber, "process_request", None)),
             "moto's BotocoreStubber has no process_request")
    _require("process_request" in BotocoreStubber.__call__.__code__.co_names,
             "moto's BotocoreStubber.__call__ no longer routes through self.process_request")
    for module, name in ((moto_utils, "get_equivalent_url_in_aws_domain"),
                         (moto_config, "passthrough_url"), (moto_config, "passthrough_service"),
                         (moto_config, "service_whitelisted")):
        _require(callable(getattr(module, name, None)), f"{module.__name__}.{name} is gone")
    _require(callable(get_s3_custom_endpoints) and isinstance(get_s3_custom_endpoints(), list),
             "moto.settings.get_s3_custom_endpoints no longer gives a list")
    code = getattr(get_s3_custom_endpoints, "__code__", None)
    _require(_CUSTOM_ENDPOINTS in getattr(code, "co_consts", ()),
             f"moto.settings.get_s3_custom_endpoints no longer reads {_CUSTOM_ENDPOINTS}")
    _require(isinstance(getattr(recorder, "_user_enabled", None), bool),
             "moto's request recorder has no _user_enabled flag")
    return botocore_stubber


class _DirectRoute:
    """`process_request` of moto's stubber, answering our own operations directly."""

    def __init__(self, original: Callable[[Any], Any], planes: dict[str, DirectPlane]) -> None:
        from botocore.awsrequest import AWSPreparedRequest
        from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
        from moto.core.utils import get_equivalent_url_in_aws_domain
        from moto.moto_api import recorder

        self.original = original
        self._request_type = AWSPreparedRequest
        self._equivalent_url = get_equivalent_url_in_aws_domain
        self._passthrough_url = passthrough_url
        self._passthrough_service = passthrough_service
        self._whitelisted = service_whitelisted
        self._recorder = recorder
        self._patterns = router_patterns()
        # moto's router tries each route with re.compile(url).match(clean_url): the same here
        self._routes = {name: [re.compile(url) for url in urls] for name, (urls, _) in planes.items()}
        self._loaders = {name: loader for name, (_, loader) in planes.items()}
        self._handlers: dict[str, DirectHandler] = {}
        # What moto's get_s3_custom_endpoints reads (checked above), read without its
        # os.environ.get (a raised and caught KeyError when unset, #19)
        self._custom_endpoints = environment_variable(_CUSTOM_ENDPOINTS)
        self._urls: dict[str, tuple[Optional[str], int, tuple[str, str, bool]]] = {}

    def _first_service(self, clean_url: str) -> str:
        """The router entry moto tries first for this URL ("" for none), as moto's loop."""
        for name, pattern in self._patterns:
            if pattern.match(clean_url):
                return str(name)
        return ""

    def _resolve(self, url: str) -> tuple[str, str, bool]:
        """(clean URL, first router entry, whether one of that entry's routes matches), as
        moto's router finds them."""
        parsed, _ = self._equivalent_url(url)
        clean_url = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
        service = self._first_service(clean_url)
        routes = self._routes.get(service)
        ours = routes is not None and any(route.match(clean_url) for route in routes)
        return clean_url, service, ours

    def _resolved(self, url: str) -> tuple[str, str, bool]:
        """`_resolve(url)`, remembered (#19: 2.5 µs of moto's URL helper and a few regexes,
        about three times that inside a real call). The answer depends on the URL, on
        moto's S3 custom endpoints (the environment variable moto's helper reads, read on
        every call) and on moto's router list (its length is compared; moto only ever
        appends or inserts): a change of either is seen on the next call."""
        endpoints = self._custom_endpoints()
        patterns = len(self._patterns)
        cached = self._urls.get(url)
        if cached is not None and cached[0] == endpoints and cached[1] == patterns:
            return cached[2]
        resolved = self._resolve(url)
        if len(self._urls) >= _URL_CACHE_SIZE:
            self._urls.clear()
        self._urls[url] = (endpoints, patterns, resolved)
        return resolved

    def __call__(self, request: Any) -> Any:
        if type(request) is not self._request_type or self._recorder._user_enabled:
            return self.original(request)
        clean_url, service, ours = self._resolved(request.url)
        if self._passthrough_url(clean_url):
            return None
        if (service not in self._routes or self._passthrough_service(service)
                or not self._whitelisted(service) or not ours):
            return self.original(request)
        handler = self._handlers.get(service)
        if handler is None:
            handler = self._handlers[service] = self._loaders[service]()
        response = handler(request, request.url)
        return self.original(request) if response is None else response


def install_direct_route(planes: dict[str, DirectPlane]) -> bool:
    """Answer `planes` (router name -> DirectPlane) before moto's router.

    Idempotent; False when switched off by `MOTO_IOTJOBS_DIRECT_ROUTE`."""
    global _installed
    if not direct_route_enabled():
        return False
    with _lock:
        registered_planes.update(planes)
        if _installed is not None:
            return True
        stubber = check_direct_route()
        original = stubber.process_request  # the bound method of moto's class
        _installed = _DirectRoute(original, planes)
        stubber.process_request = _installed
        return True


def uninstall_direct_route() -> None:
    """moto's own `process_request` again (tests compare both routes)."""
    global _installed
    with _lock:
        if _installed is None:
            return
        stubber = check_direct_route()
        if stubber.__dict__.get("process_request") is _installed:
            del stubber.process_request
        _installed = None
