"""Everything moto_iotjobs relies on inside moto, in one place, checked before it is used.

moto has no plugin API, so the plugin leans on a handful of moto internals. Each function
here names the one it uses; no other module imports from `moto` beyond the public
`moto.mock_aws`, `moto.server` and these wrappers. `check_router()` runs when the routes are
registered, `check_services()` on the first request; `request_target()` cross-checks the
request line on the first request that carries a query string. Either raises
`MotoCompatibilityError` naming the installed moto version and the assumption that broke:
a loud failure is better than silently wrong answers (moto 5.2.4 changed what the in-process
environ's RAW_URI holds, and a plugin that trusted it lost every query string).

The internals, and why each is needed:
- `moto.backend_index.backend_url_patterns`: the router's (name, host regex) list; our entries
  go at its front, mutated in place (the server and proxy hold references to the list).
- `moto.<name>` modules with `<name>_backends`: how `moto.backends.get_backend` finds routes.
- `moto.moto_api._internal.urls.url_paths`: where `/moto-api/...` endpoints are declared;
  `moto.core.utils.convert_regex_to_flask_path` turns a route into a werkzeug rule.
- `moto.iot.responses.IoTResponse`: moto's IoT response class, subclassed to observe
  registry changes (group membership, deleted things) that continuous jobs follow.
- `moto.iot.models.iot_backends` (`things`, `thing_groups`, a group's `things`),
  `moto.iotdata.models.iotdata_backends` (`published_payloads`, `update_thing_shadow` for
  the `$package` shadow jobs write),
  `moto.s3.models.s3_backends` (`buckets`, a bucket's `keys`),
  `moto.iam.models.iam_backends` (`access_keys`), `moto.utilities.utils.PARTITION_NAMES`.
- `moto.core.base_backend.BackendDict` / `BaseBackend`: per-account, per-region state that
  moto's resets clear; a BackendDict is a dict of dicts, read without its lock on hot paths.
- The request: the WSGI `QUERY_STRING` (PEP 3333) for the query; the still-encoded path from
  `RAW_URI`/`REQUEST_URI` where the server gives one (gunicorn/werkzeug extensions: it holds a
  path, a path with its query, or a whole URL depending on the server and moto version), else
  from `full_url`.
"""

from __future__ import annotations

import sys
import threading
import types
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

import moto
from moto.core.base_backend import BackendDict, BaseBackend

if TYPE_CHECKING:
    from moto.iot.models import IoTBackend

__all__ = [
    "MOTO_VERSION",
    "BackendDict",
    "BaseBackend",
    "MotoCompatibilityError",
    "check_router",
    "check_services",
    "router_patterns",
    "install_backend_module",
    "moto_api_url_paths",
    "flask_path",
    "iot_response_class",
    "iotdata_response_class",
    "iot_registry",
    "iotdata_backend",
    "s3_object",
    "update_thing_shadow",
    "thing_fields",
    "thing_arn",
    "thing_names",
    "thing_indexing_mode",
    "create_thing_group",
    "update_thing_group",
    "delete_thing_group",
    "set_group_member",
    "group_member_setter",
    "group_version",
    "add_to_result",
    "response_from_method",
    "iam_account_for_key",
    "backend_of",
    "request_target",
]

MOTO_VERSION: str = getattr(moto, "__version__", "unknown")
SUPPORTED = ">=5.1,<6"


class MotoCompatibilityError(RuntimeError):
    """The installed moto no longer works the way moto_iotjobs relies on."""

    def __init__(self, assumption: str) -> None:
        super().__init__(
            f"moto_iotjobs does not work with the installed moto {MOTO_VERSION}: {assumption}. "
            f"moto_iotjobs supports moto {SUPPORTED}; install a supported moto or a newer "
            f"moto_iotjobs, and report this message if the version is in that range."
        )


# --- the router ---------------------------------------------------------------------------


def router_patterns() -> list[Any]:
    """moto's router list of `(backend name, compiled host regex)`, tried in order."""
    import moto.backend_index as backend_index

    return backend_index.backend_url_patterns  # type: ignore[no-any-return,unused-ignore]


def install_backend_module(name: str, routes: object) -> None:
    """Make `moto.<name>.<name>_backends` resolve to `{"global": routes}`.

    moto's router imports `moto.<name>` and reads `<name>_backends`; a plain dict with a
    "global" entry makes it read `routes.urls` (in-process) and `routes.flask_paths` (server).
    """
    module = types.ModuleType(f"moto.{name}", f"moto_iotjobs routes for {name}")
    setattr(module, f"{name}_backends", {"global": routes})
    sys.modules[f"moto.{name}"] = module
    setattr(moto, name, module)


def flask_path(regex_path: str) -> str:
    """moto's conversion of a `urls.py` regex path into a werkzeug rule (server mode)."""
    from moto.core.utils import convert_regex_to_flask_path

    return convert_regex_to_flask_path(regex_path)  # type: ignore[no-any-return,unused-ignore]


def moto_api_url_paths() -> dict[str, Any]:
    """The `{0}/moto-api/...` path table of moto's own API (reset, recorder, ...)."""
    from moto.moto_api._internal import urls as moto_api_urls

    return moto_api_urls.url_paths  # type: ignore[no-any-return,unused-ignore]


def iotdata_response_class() -> type:
    """moto's iot-data response class (UpdateThingShadow, ...), subclassed to see shadow
    changes that dynamic thing groups follow."""
    from moto.iotdata.responses import IoTDataPlaneResponse

    return IoTDataPlaneResponse


def iot_response_class() -> type:
    """moto's IoT response class: every `iot` operation that is not a job operation."""
    from moto.iot.responses import IoTResponse

    return IoTResponse


# --- other services' state ----------------------------------------------------------------


def _iot_backends() -> Any:
    from moto.iot.models import iot_backends

    return iot_backends


def iot_registry(account_id: str, region_name: str) -> IoTBackend:
    """moto's own IoT backend (things, thing groups, certificates) of an account and region."""
    from moto.iot.models import iot_backends

    return iot_backends[account_id][region_name]


def iotdata_backend(account_id: str, region_name: str) -> Any:
    """moto's iot-data backend, whose `published_payloads` records every MQTT publish."""
    from moto.iotdata.models import iotdata_backends

    return iotdata_backends[account_id][region_name]


def update_thing_shadow(
    account_id: str, region_name: str, thing_name: str, shadow_name: str, document: dict[str, Any]
) -> bool:
    """Update a (named) shadow through moto's iot-data, as UpdateThingShadow does; False when
    moto refuses (the thing is gone, the payload is invalid)."""
    import json

    from moto.core.exceptions import JsonRESTError

    try:
        iotdata_backend(account_id, region_name).update_thing_shadow(
            thing_name, json.dumps(document), shadow_name
        )
    except JsonRESTError:
        return False
    return True


def thing_fields(account_id: str, region_name: str, thing_name: str) -> Optional[dict[str, Any]]:
    """A registered thing as fleet indexing sees it, or None: name, id, type, attributes and
    the reported/desired state of its classic (key None) and named shadows."""
    registry = backend_of(_iot_backends(), account_id, region_name)
    arn = thing_arn(account_id, region_name, thing_name)
    thing = registry.things.get(arn)
    if thing is None:
        return None
    # Shadows count only as the indexing configuration says: the classic shadow with
    # REGISTRY_AND_SHADOW, a named one with namedShadowIndexingMode ON and its name in the filter.
    indexing = registry.indexing_configuration.configuration.thingIndexingConfiguration
    classic = indexing.thingIndexingMode == "REGISTRY_AND_SHADOW"
    # moto keeps `filter` as the dict UpdateIndexingConfiguration was given, or its default.
    filter_ = indexing.filter
    names = filter_.get("namedShadowNames") if isinstance(filter_, dict) else filter_.namedShadowNames
    named = set(names or ()) if indexing.namedShadowIndexingMode == "ON" else set()
    shadows: dict[Optional[str], dict[str, Any]] = {}
    for name, shadow in getattr(thing, "thing_shadows", {}).items():
        if getattr(shadow, "deleted", False) or not (classic if name is None else name in named):
            continue
        shadows[name] = {
            "reported": shadow.reported or {},
            "desired": shadow.desired or {},
            "version": shadow.version,
        }
    return {
        "arn": arn,
        "thingName": thing.thing_name,
        "thingId": thing.thing_id,
        "thingTypeName": thing.thing_type.thing_type_name if thing.thing_type else None,
        "attributes": dict(thing.attributes or {}),
        "shadows": shadows,
    }


def thing_arn(account_id: str, region_name: str, thing_name: str) -> str:
    """The ARN moto gives a thing (its registry's key)."""
    from moto.utilities.utils import get_partition

    return f"arn:{get_partition(region_name)}:iot:{region_name}:{account_id}:thing/{thing_name}"


def thing_names(account_id: str, region_name: str) -> list[str]:
    return [thing.thing_name for thing in iot_registry(account_id, region_name).things.values()]


def thing_indexing_mode(account_id: str, region_name: str) -> str:
    """UpdateIndexingConfiguration's thingIndexingMode (OFF, REGISTRY, REGISTRY_AND_SHADOW)."""
    configuration = iot_registry(account_id, region_name).indexing_configuration.configuration
    return str(configuration.thingIndexingConfiguration.thingIndexingMode)


def create_thing_group(
    account_id: str, region_name: str, name: str, properties: Optional[dict[str, Any]]
) -> tuple[str, str]:
    """A new thing group in moto's registry (a dynamic group is a thing group there too, so
    DescribeThingGroup, ListThingGroups, ListThingsInThingGroup and job targets see it):
    (arn, id)."""
    _, arn, group_id = iot_registry(account_id, region_name).create_thing_group(
        name, None, dict(properties or {})  # type: ignore[arg-type]
    )
    return arn, group_id


def update_thing_group(
    account_id: str, region_name: str, name: str, properties: dict[str, Any]
) -> int:
    """moto's UpdateThingGroup: merges the properties, bumps and returns the version."""
    return int(iot_registry(account_id, region_name).update_thing_group(name, properties, 0))


def delete_thing_group(account_id: str, region_name: str, group_arn: str) -> None:
    iot_registry(account_id, region_name).thing_groups.pop(group_arn, None)


def set_group_member(account_id: str, region_name: str, group_arn: str, thing_arn_: str, member: bool) -> bool:
    """Add or remove a thing in a group of moto's registry; whether membership changed."""
    return group_member_setter(account_id, region_name)(group_arn, thing_arn_, member)


def group_member_setter(account_id: str, region_name: str) -> Callable[[str, str, bool], bool]:
    """`set_group_member` bound to one registry, for many groups in a row (one registry
    lookup: BackendDict's takes a lock and copies its keys)."""
    registry = iot_registry(account_id, region_name)
    groups = registry.thing_groups
    things = registry.things

    def set_member(group_arn: str, thing_arn_: str, member: bool) -> bool:
        group = groups.get(group_arn)
        if group is None:
            return False
        members = group.things
        if member:
            if thing_arn_ in members:
                return False
            thing = things.get(thing_arn_)
            if thing is None:
                return False
            members[thing_arn_] = thing
            return True
        if thing_arn_ in members:
            del members[thing_arn_]
            return True
        return False

    return set_member


def group_version(account_id: str, region_name: str, group_arn: str) -> Optional[int]:
    group = iot_registry(account_id, region_name).thing_groups.get(group_arn)
    return None if group is None else int(group.version)


def response_from_method(response: tuple[int, dict[str, str], str]) -> tuple[int, dict[str, str], str]:
    """A complete answer returned from a method of moto's IoTResponse: moto's call_action
    takes the status from a `status` header of a (status, headers, body) triple."""
    status, headers, body = response
    return status, {**headers, "status": str(status)}, body


def add_to_result(result: Any, fields: dict[str, Any]) -> Any:
    """A moto IoT response result (an ActionResult around a dict, or a JSON string in older
    moto) with `fields` added."""
    import json

    body = getattr(result, "result", None)
    if isinstance(body, dict):
        body.update(fields)
        return result
    if isinstance(result, str):
        parsed = json.loads(result)
        parsed.update(fields)
        return json.dumps(parsed)
    return result


def s3_object(account_id: str, bucket: str, key: str) -> Optional[bytes]:
    """An object's bytes from moto's S3, or None when the bucket or key does not exist."""
    from moto.s3.models import s3_backends

    backend = s3_backends[account_id]["aws"]
    if bucket not in backend.buckets:
        return None
    obj = backend.buckets[bucket].keys.get(key)
    return None if obj is None else bytes(obj.value)


def iam_account_for_key(access_key: str) -> Optional[tuple[str, str]]:
    """(account, partition) of an access key moto's IAM issued, or None."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    for account_id, account in list(iam_backends.items()):
        for partition in PARTITION_NAMES:
            # .keys(): AccountSpecificBackend.__contains__ would answer for absent partitions
            if partition in account.keys() and access_key in account[partition].access_keys:  # noqa: SIM118
                return account_id, partition
    return None


def iam_knows_key(account_id: str, partition: str, access_key: str) -> bool:
    from moto.iam.models import iam_backends

    account = iam_backends.get(account_id)
    return bool(
        account and partition in account.keys() and access_key in account[partition].access_keys  # noqa: SIM118
    )


def backend_of(backends: BackendDict[Any], account_id: str, region_name: str) -> Any:
    """`backends[account][region]`, without BackendDict's lock when the backend exists.

    BackendDict.__getitem__ takes a lock and copies its keys on every call; a plain dict read
    finds an existing backend for a fraction of that. KeyError for an unknown region.
    """
    existing = dict.get(backends, account_id)
    backend = dict.get(existing, region_name) if existing is not None else None
    if backend is not None:
        return backend
    return backends[account_id][region_name]


# --- the request line ---------------------------------------------------------------------

_query_checked = False
_check_lock = threading.Lock()


def _path_of(uri: str) -> str:
    """The path of a RAW_URI value: a path, a path with a query, or a whole URL."""
    if "://" in uri.split("?", 1)[0]:
        return urlsplit(uri).path or "/"
    return uri.split("?", 1)[0].split("#", 1)[0] or "/"


def request_target(request: Any, full_url: str) -> tuple[str, str, str]:
    """(host, still percent-encoded path, query string) of a request, in any moto mode."""
    url = urlsplit(full_url)
    environ = getattr(request, "environ", None)
    if environ is None:  # botocore's AWSPreparedRequest (older moto in-process)
        return url.netloc, url.path or "/", url.query
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    path = _path_of(raw_uri) if raw_uri else (url.path or "/")
    query = environ.get("QUERY_STRING", "")
    if not _query_checked and (query or url.query):
        _check_query(query, url.query)
    return url.netloc, path, query


def _check_query(query: str, url_query: str) -> None:
    """Once per process: the WSGI query and the URL moto passed must say the same thing."""
    global _query_checked
    with _check_lock:
        if _query_checked:
            return
        if parse_qs(query, keep_blank_values=True) != parse_qs(url_query, keep_blank_values=True):
            raise MotoCompatibilityError(
                f"the request's QUERY_STRING {query!r} and the URL moto passed "
                f"({unquote(url_query)!r}) disagree"
            )
        _query_checked = True


# --- the structural self-check ------------------------------------------------------------


def _require(condition: bool, assumption: str) -> None:
    if not condition:
        raise MotoCompatibilityError(assumption)


def check_router() -> None:
    """The routing assumptions, checked when the routes are registered (cheap: no service
    module is imported, so `import moto_iotjobs` stays fast)."""
    try:
        patterns = router_patterns()
        paths = moto_api_url_paths()
        from moto import backends
    except (ImportError, AttributeError) as error:
        raise MotoCompatibilityError(f"a moto module moved ({error})") from None
    _require(isinstance(patterns, list), "moto.backend_index.backend_url_patterns is not a list")
    _require(
        all(isinstance(p, tuple) and len(p) == 2 and hasattr(p[1], "match") for p in patterns),
        "moto.backend_index.backend_url_patterns no longer holds (name, regex) pairs",
    )
    _require(callable(getattr(backends, "get_backend", None)), "moto.backends.get_backend is gone")
    _require(isinstance(paths, dict), "moto's /moto-api url_paths is not a dict")
    _require(issubclass(BackendDict, dict), "moto's BackendDict is no longer a dict")


_services_checked = False


def check_services() -> None:
    """The assumptions about moto's IoT, iot-data, S3 and IAM state, checked once, on the
    first request the plugin answers."""
    global _services_checked
    if _services_checked:
        return
    try:
        response_class = iot_response_class()
        shadow_class = iotdata_response_class()
        from moto.iam import models as iam_models
        from moto.iot import models as iot_models
        from moto.iotdata import models as iotdata_models
        from moto.s3 import models as s3_models
    except (ImportError, AttributeError) as error:
        raise MotoCompatibilityError(f"a moto module moved ({error})") from None
    for method in (
        "dispatch",
        "_get_param",
        "add_thing_to_thing_group",
        "remove_thing_from_thing_group",
        "update_thing_groups_for_thing",
        "delete_thing_group",
        "delete_thing",
        "create_thing",
        "update_thing",
        "describe_thing_group",
        "create_thing_group",
        "create_thing_type",
        "update_indexing_configuration",
    ):
        _require(hasattr(response_class, method), f"moto's IoTResponse has no {method}")
    for method in ("dispatch", "_get_param", "update_thing_shadow", "delete_thing_shadow"):
        _require(hasattr(shadow_class, method), f"moto's IoTDataPlaneResponse has no {method}")
    for module, name in (
        (iot_models, "iot_backends"),
        (iotdata_models, "iotdata_backends"),
        (s3_models, "s3_backends"),
        (iam_models, "iam_backends"),
    ):
        _require(hasattr(module, name), f"{module.__name__}.{name} is gone")
    registry = iot_models.IoTBackend("us-east-1", "123456789012")
    _require(
        hasattr(getattr(registry, "indexing_configuration", None), "configuration"),
        "moto's IoTBackend has no indexing_configuration",
    )
    for attribute in ("things", "thing_groups", "describe_thing", "create_thing_group", "update_thing_group"):
        _require(hasattr(registry, attribute), f"moto's IoTBackend has no {attribute}")
    iotdata = iotdata_models.IoTDataPlaneBackend("us-east-1", "123456789012")
    _require(
        isinstance(getattr(iotdata, "published_payloads", None), list),
        "moto's iot-data backend has no published_payloads list",
    )
    _require(
        callable(getattr(iotdata, "update_thing_shadow", None)),
        "moto's iot-data backend has no update_thing_shadow",
    )
    _services_checked = True
