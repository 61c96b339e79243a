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
  `moto.core.utils.convert_regex_to_flask_path` turns a route into a werkzeug rule;
  `moto.moto_server.werkzeug_app.DomainDispatcherApplication` is moto's server application.
- `moto.iot.responses.IoTResponse`: moto's IoT response class, subclassed to observe
  registry changes (group membership, deleted things) that continuous jobs follow;
  `moto.iotdata.responses.IoTDataPlaneResponse`, which answers the rest of the Data-ATS host.
- `moto.iot.models.iot_backends` (`things`, `thing_groups`, a group's `things`),
  `moto.iotdata.models.iotdata_backends` (`published_payloads`, `update_thing_shadow` for
  the `$package` shadow jobs write),
  the IoT registry's `certificates` (`arn`, `status`, `certificate_pem`), `policies`
  (`document` of the default version), `principal_policies` and `principal_things` (dicts
  keyed by `(principal ARN, name)`; thing-group ARNs are principals too), a thing group's
  `arn` and `metadata["rootToParentThingGroups"]`, a thing's `thing_type` and `attributes`: what the TLS
  gateway (`moto_iotjobs.devices`) needs to authenticate devices and evaluate IoT policies,
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
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import moto
from moto.core.base_backend import BackendDict, BaseBackend

from moto_iotjobs.moto_integration.compat_state import (  # noqa: F401 - re-exported
    IamAccessKey,
    RegistryCertificate,
    RegistryThing,
    backend_dict_key,
    backend_dicts_in_use,
    backend_of,
    create_thing_group,
    delete_thing_group,
    find_backend_dict,
    find_thing,
    forget_thing_in_groups,
    group_member_setter,
    group_version,
    iam_access_key,
    iam_account_for_key,
    iam_knows_key,
    iot_certificate,
    iot_certificate_ids,
    iot_certificates,
    iot_principal_policy_documents,
    iot_principal_things,
    iot_register_issued_certificate,
    iot_registry,
    iot_thing,
    iot_thing_group_policy_documents,
    iotdata_backend,
    membership_snapshot,
    moto_version,
    random_uuid,
    registry_snapshot,
    restore_backend_dict,
    s3_object,
    seed_random,
    set_group_member,
    thing_arn,
    thing_fields,
    thing_indexing_mode,
    thing_names,
    update_thing_group,
    update_thing_shadow,
    wrap_server_apps,
)

if TYPE_CHECKING:
    pass

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
    "moto_server_app",
    "iotdata_response_class",
    "membership_snapshot",
    "iot_registry",
    "RegistryCertificate",
    "RegistryThing",
    "iot_certificates",
    "iot_certificate",
    "iot_certificate_ids",
    "iot_register_issued_certificate",
    "IamAccessKey",
    "iam_access_key",
    "iot_principal_policy_documents",
    "iot_principal_things",
    "iot_thing",
    "iot_thing_group_policy_documents",
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
    "share_default_session",
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


def iotdata_response_class() -> Any:
    """moto's iot-data response class: it answers the rest of the shared Data-ATS host, and
    is subclassed to see the shadow changes dynamic thing groups follow."""
    from moto.iotdata.responses import IoTDataPlaneResponse

    return IoTDataPlaneResponse


def moto_server_app() -> Any:
    """moto's server WSGI application: every moto service, dispatched by host and SigV4 scope
    (`moto.moto_server.werkzeug_app.DomainDispatcherApplication`, as `moto_server` builds it)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def iot_response_class() -> type:
    """moto's IoT response class: every `iot` operation that is not a job operation."""
    from moto.iot.responses import IoTResponse

    return IoTResponse


# --- response forms -----------------------------------------------------------------------


def response_for_moto(status: int, headers: dict[str, str], body: str) -> tuple[str, dict[str, Any]]:
    """What a moto response method returns to answer with `status` (`call_action` reads
    a (body, headers) pair, the status from headers["status"])."""
    return body, {**headers, "status": status}



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
    for attribute in (
        "things",
        "thing_groups",
        "describe_thing",
        "create_thing_group",
        "update_thing_group",
        "certificates",
        "policies",
        "principal_policies",
        "principal_things",
        "register_certificate",
    ):
        _require(hasattr(registry, attribute), f"moto's IoTBackend has no {attribute}")
    _require(
        isinstance(registry.principal_policies, dict) and isinstance(registry.principal_things, dict),
        "moto's IoTBackend principal_policies/principal_things are no longer dicts",
    )
    certificate, _keys = registry.create_keys_and_certificate(set_as_active=True)
    for attribute in ("certificate_id", "arn", "status", "certificate_pem"):
        _require(hasattr(certificate, attribute), f"moto's FakeCertificate has no {attribute}")
    policy = registry.create_policy("p", '{"Statement": []}')  # type: ignore[arg-type,unused-ignore]
    _require(hasattr(policy, "document"), "moto's FakePolicy has no document")
    registry.attach_policy("p", certificate.arn)
    _require(
        (certificate.arn, "p") in registry.principal_policies,
        "moto's principal_policies is no longer keyed by (principal ARN, policy name)",
    )
    parent = registry.create_thing_group("parent", "", {})  # type: ignore[arg-type,unused-ignore]
    child = registry.create_thing_group("child", "parent", {})  # type: ignore[arg-type,unused-ignore]
    # (a moto that cannot attach policies to groups refuses AttachPolicy itself: not checked)
    chain = registry.thing_groups[child[1]].metadata.get("rootToParentThingGroups")
    _require(
        isinstance(registry.thing_groups[child[1]].things, dict)
        and chain == [{"groupName": "parent", "groupArn": parent[1]}],
        "moto's thing groups changed: a group's things dict, metadata rootToParentThingGroups "
        "(thing-group policies of the TLS gateway)",
    )
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


# --- boto3's default session under a mock (#19) --------------------------------------------


class _FreshDefaultSession:
    """Stands in for moto's ``patch("boto3.DEFAULT_SESSION", None)``: instead of leaving the
    default session to be rebuilt from disk, it installs ``factory()`` (a new session that
    reuses botocore's parsed data) and puts the previous default back on ``stop()``."""

    def __init__(self, factory: Any) -> None:
        self._factory = factory
        self._saved: Any = None

    def start(self) -> Any:
        import boto3

        self._saved = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = self._factory()
        return boto3.DEFAULT_SESSION

    def stop(self) -> None:
        import boto3

        boto3.DEFAULT_SESSION = self._saved
        self._saved = None


def share_default_session(mock: Any, factory: Any) -> bool:
    """Make a plain in-process ``MockAWS`` reset ``boto3.DEFAULT_SESSION`` to ``factory()``.

    moto starts and stops ``mock._default_session_mock`` exactly where it resets boto3's
    default session (outermost mock only, unless ``reset_boto3_session`` is off). Server and
    proxy mode mocks, or a moto without that attribute, are left alone (False)."""
    from moto.core.models import MockAWS

    if type(mock) is not MockAWS or not hasattr(getattr(mock, "_default_session_mock", None), "start"):
        return False
    mock._default_session_mock = _FreshDefaultSession(factory)  # type: ignore[assignment]
    return True
