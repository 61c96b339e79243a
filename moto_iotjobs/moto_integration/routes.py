"""URL patterns of the two planes, in moto's `urls.py` form, and the route objects moto's
router asks for (`.urls` in-process, `.flask_paths` in the server).

The planes share paths (GET /things/{thing}/jobs exists in both), so they are told apart by
host: the `iot` host for the control plane; for the device plane the default endpoint
`data.jobs.iot.<region>`, the older `<prefix>.jobs.iot.<region>` endpoints,
`iot-jobs-data.<region>` (the host moto's server rebuilds from the SigV4 scope), and the
Data-ATS host (`<prefix>-ats.iot.<region>`, from DescribeEndpoint(iot:Data-ATS)), where
whatever is not a device-plane operation falls through to moto's iot-data.
"""

from __future__ import annotations

from typing import Any, Callable

from moto_iotjobs.moto_integration.compat import flask_path


def control_plane_dispatch(request: Any, full_url: str, headers: Any) -> Any:
    """Imports the dispatch machinery on first use, keeping `import moto_iotjobs` cheap."""
    from moto_iotjobs.moto_integration import planes

    return planes.control_plane_dispatch(request, full_url, headers)


def device_plane_dispatch(request: Any, full_url: str, headers: Any) -> Any:
    from moto_iotjobs.moto_integration import planes

    return planes.device_plane_dispatch(request, full_url, headers)


def control_plane_direct() -> Callable[[Any, str], Any]:
    """What answers the `iot` host's job operations on the direct route (compat_router);
    it returns None for the others, which then take moto's router to the dispatch above."""
    from moto_iotjobs.moto_integration import planes

    return planes.control_plane_direct


def device_plane_direct() -> Callable[[Any, str], Any]:
    from moto_iotjobs.moto_integration import planes

    return planes.device_plane_direct


def shadow_plane_dispatch(request: Any, full_url: str, headers: Any) -> Any:
    from moto_iotjobs.moto_integration import shadow_watch

    return shadow_watch.shadow_plane_dispatch(request, full_url, headers)


#: moto's own iot-data hosts: answered by moto's iot-data responses, watched for shadow
#: changes (dynamic thing groups).
shadow_plane_url_bases = [
    r"https?://data\.iot\.(.+)\.amazonaws.com",
    r"https?://data-ats\.iot\.(.+)\.amazonaws.com",
]
shadow_plane_url_paths = {"{0}/.*$": shadow_plane_dispatch}

control_plane_url_bases = [r"https?://iot\.(.+)\.amazonaws\.com"]
device_plane_url_bases = [
    r"https?://(?:[a-zA-Z0-9-]+\.)?jobs\.iot\.(.+)\.amazonaws\.com",
    r"https?://iot-jobs-data\.(.+)\.amazonaws\.com",
    # Data-ATS: the device planes' current endpoint, shared with moto's iot-data
    r"https?://(?:[a-z0-9]+-ats|data-ats)\.iot\.(.+)\.amazonaws\.com",
]

control_plane_url_paths = {"{0}/.*$": control_plane_dispatch}
device_plane_url_paths = {"{0}/.*$": device_plane_dispatch}


def _flask_path(path: str) -> str:
    if path.rstrip("$") == "/.*":
        return '/<regex("(?s:.*)"):route>'
    return flask_path(path)


class Routes:
    """What moto's router reads from a backend: `urls` and `flask_paths`, computed once.

    (moto's `BaseBackend.urls` rebuilds its dict on every request.)
    """

    def __init__(self, url_bases: list[str], url_paths: dict[str, Callable[..., Any]]) -> None:
        self.url_bases = url_bases
        self.urls = {
            path.format(base): handler for base in url_bases for path, handler in url_paths.items()
        }
        # moto's server turns `/.*` into `<path:route>`, which werkzeug matches without
        # DOTALL: a path label holding an encoded newline (%0A) got Flask's bare 404 instead
        # of our InvalidRequestException. `(?s:.*)` also spans newlines.
        self.flask_paths = {
            _flask_path(path.format("")): handler for path, handler in url_paths.items()
        }


control_plane_routes = Routes(control_plane_url_bases, control_plane_url_paths)
device_plane_routes = Routes(device_plane_url_bases, device_plane_url_paths)
shadow_plane_routes = Routes(shadow_plane_url_bases, shadow_plane_url_paths)
