"""Plugging the two planes into moto's router (moto has no plugin API).

Two hooks (both reached through `moto_compat`, which checks them first):
1. `(name, host regex)` entries at the FRONT of `moto.backend_index.backend_url_patterns`,
   mutated in place (moto's werkzeug server and proxy hold references to that list);
2. `moto.<name>` importable for those names (an alias in `sys.modules`), so
   `moto.backends.get_backend(name)` finds `<name>_backends`.

A `{"global": routes}` mapping stands in for a BackendDict: moto's router then reads
`routes.urls` (in-process) or `routes.flask_paths` (server). Registering is a process-wide
side effect of importing `moto_iotjobs`, idempotent and thread-safe.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from moto_iotjobs.moto_integration import compat as moto_compat

CONTROL_PLANE_BACKEND = "iotjobs"
DEVICE_PLANE_BACKEND = "iotjobsdata"
SHADOW_PLANE_BACKEND = "iotjobsshadows"

_lock = threading.Lock()
_registered = False


def register() -> None:
    """Route IoT Jobs requests of both planes to moto_iotjobs (once per process)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        from moto_iotjobs.moto_integration.compat_router import install_direct_route
        from moto_iotjobs.moto_integration.routes import (
            control_plane_direct,
            control_plane_routes,
            control_plane_url_bases,
            device_plane_direct,
            device_plane_routes,
            device_plane_url_bases,
            shadow_plane_routes,
            shadow_plane_url_bases,
        )

        moto_compat.check_router()
        moto_compat.install_backend_module(CONTROL_PLANE_BACKEND, control_plane_routes)
        moto_compat.install_backend_module(DEVICE_PLANE_BACKEND, device_plane_routes)
        moto_compat.install_backend_module(SHADOW_PLANE_BACKEND, shadow_plane_routes)
        entries = [(DEVICE_PLANE_BACKEND, re.compile(base)) for base in device_plane_url_bases]
        entries += [(SHADOW_PLANE_BACKEND, re.compile(base)) for base in shadow_plane_url_bases]
        entries += [(CONTROL_PLANE_BACKEND, re.compile(base)) for base in control_plane_url_bases]
        patterns = moto_compat.router_patterns()
        patterns[:0] = [e for e in entries if e not in patterns]
        _register_moto_api_routes()
        # Our operations straight from moto's stubber, skipping its generic URL matching
        # and (moto 5.2.5) its werkzeug request (compat_router).
        install_direct_route({
            CONTROL_PLANE_BACKEND: (list(control_plane_routes.urls), control_plane_direct),
            DEVICE_PLANE_BACKEND: (list(device_plane_routes.urls), device_plane_direct),
        })
        _registered = True


def _register_moto_api_routes() -> None:
    """`/moto-api/iotjobs/faults` and `/moto-api/iotjobs/ca.pem` beside moto's own
    `/moto-api/...` endpoints."""
    paths = moto_compat.moto_api_url_paths()
    paths.setdefault("{0}/moto-api/iotjobs/faults", _faults_endpoint)
    paths.setdefault("{0}/moto-api/iotjobs/ca.pem", _ca_endpoint)


def _faults_endpoint(request: Any, full_url: str, headers: Any) -> Any:
    from moto_iotjobs.faults.api import faults_endpoint

    return faults_endpoint(request, full_url, headers)


def is_registered() -> bool:
    return _registered


def _ca_endpoint(request: Any, full_url: str, headers: Any) -> Any:
    """The mock CA that signs the MQTT TLS listener's certificate, for devices to trust."""
    if getattr(request, "method", "GET") not in ("GET", "HEAD"):
        return 405, {"Allow": "GET, HEAD", "Content-Type": "text/plain"}, "Method Not Allowed"
    from moto_iotjobs.devices.ca import mock_ca

    return 200, {"Content-Type": "application/x-pem-file"}, mock_ca().ca_pem.decode("ascii")
