"""moto's state that the plugin reads and writes: the IoT registry (things, groups, certificates,
policies, shadows), iot-data's recorded publishes, S3 objects and IAM access keys.

With `compat.py` the only module that touches moto internals; `compat` re-exports all of it
and its self-check covers these assumptions too.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Callable, NamedTuple, Optional

from moto.core.base_backend import BackendDict

if TYPE_CHECKING:
    from moto.iot.models import IoTBackend


def _iot_backends() -> Any:
    from moto.iot.models import iot_backends

    return iot_backends


def iot_registry(account_id: str, region_name: str) -> IoTBackend:
    """moto's own IoT backend (things, thing groups, certificates) of an account and region."""
    from moto.iot.models import iot_backends

    return iot_backends[account_id][region_name]


class RegistryCertificate(NamedTuple):
    """A device certificate of the registry, as the TLS gateway needs it."""

    certificate_id: str
    arn: str
    status: str
    pem: str


class RegistryThing(NamedTuple):
    name: str
    type_name: Optional[str]
    attributes: dict[str, str]


def iot_certificates(account_id: str, region_name: str) -> list[RegistryCertificate]:
    """Every device certificate (not CA certificates) of the registry."""
    registry = iot_registry(account_id, region_name)
    return [
        RegistryCertificate(cert.certificate_id, cert.arn, cert.status, cert.certificate_pem)
        for cert in list(registry.certificates.values())
    ]


def iot_principal_policy_documents(
    account_id: str, region_name: str, principal_arn: str
) -> list[str]:
    """The default-version documents of the policies attached to a principal (JSON text)."""
    registry = iot_registry(account_id, region_name)
    return [
        str(policy.document)
        for (principal, _name), (_target, policy) in list(registry.principal_policies.items())
        if principal == principal_arn
    ]


def iot_thing_group_policy_documents(account_id: str, region_name: str, thing_name: str) -> list[str]:
    """The default-version documents of the policies attached to the thing groups a thing is
    in and to their ancestors (a group's ``things``, its metadata's rootToParentThingGroups)."""
    registry = iot_registry(account_id, region_name)
    arn = thing_arn(account_id, region_name, thing_name)
    if arn not in registry.things:
        return []
    groups: set[str] = set()
    for group in list(registry.thing_groups.values()):
        if arn in group.things:
            groups.add(group.arn)
            groups.update(p["groupArn"] for p in group.metadata.get("rootToParentThingGroups", []))
    return [
        str(policy.document)
        for (principal, _name), (_target, policy) in list(registry.principal_policies.items())
        if principal in groups
    ]


def iot_principal_things(account_id: str, region_name: str, principal_arn: str) -> list[str]:
    """Names of the things a principal (certificate ARN) is attached to."""
    registry = iot_registry(account_id, region_name)
    return [
        thing_name
        for (principal, thing_name) in list(registry.principal_things.keys())
        if principal == principal_arn
    ]


def iot_thing(account_id: str, region_name: str, thing_name: str) -> Optional[RegistryThing]:
    """A thing's name, type and attributes, or None when the registry has no such thing."""
    from moto.utilities.utils import get_partition

    registry = iot_registry(account_id, region_name)
    arn = f"arn:{get_partition(region_name)}:iot:{region_name}:{account_id}:thing/{thing_name}"
    thing = registry.things.get(arn)
    if thing is None:
        return None
    thing_type = getattr(thing, "thing_type", None)
    return RegistryThing(
        thing.thing_name,
        getattr(thing_type, "thing_type_name", None) if thing_type else None,
        {str(k): str(v) for k, v in (thing.attributes or {}).items()},
    )


def registry_snapshot(registry: IoTBackend) -> Callable[[], None]:
    """A function that puts back what a registry call may change in moto's IoT backend:
    its `things` and `thing_groups`, each group's `things`, each billing group's `things`
    (and the things' `billing_group_name`). Containers are restored in place, since moto's
    objects hold references to them."""
    things = dict(registry.things)
    groups = dict(registry.thing_groups)
    members = [(group, dict(group.things)) for group in groups.values()]
    billing = [(group, list(group.things)) for group in registry.billing_groups.values()]
    billing_names = [(thing, thing.billing_group_name) for thing in things.values()]

    def restore() -> None:
        registry.things.clear()
        registry.things.update(things)
        registry.thing_groups.clear()
        registry.thing_groups.update(groups)
        for group, group_things in members:
            group.things.clear()
            group.things.update(group_things)
        for billing_group, billing_things in billing:
            billing_group.things[:] = billing_things
        for thing, name in billing_names:
            thing.billing_group_name = name

    return restore


def membership_snapshot(registry: IoTBackend) -> Callable[[], None]:
    """A function that puts back only the members of the thing groups that exist now: what
    a failed registry call may have left half-changed (moto's UpdateThingGroupsForThing adds
    groups before it finds a missing one). Unlike `registry_snapshot`, it cannot undo a thing
    or group another thread created meanwhile."""
    members = [(group, dict(group.things)) for group in registry.thing_groups.values()]

    def restore() -> None:
        for group, group_things in members:
            group.things.clear()
            group.things.update(group_things)

    return restore


def find_thing(registry: IoTBackend, thing_name: str) -> Any:
    """The registry's thing of that name, or None (moto's describe_thing raises instead)."""
    for thing in registry.things.values():
        if thing.thing_name == thing_name:
            return thing
    return None


def forget_thing_in_groups(registry: IoTBackend, thing_arn: str) -> None:
    """Take a deleted thing out of every thing group (moto's DeleteThing leaves it there)."""
    for group in registry.thing_groups.values():
        group.things.pop(thing_arn, None)


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


def iot_certificate(account_id: str, region_name: str, certificate_id: str) -> Optional[RegistryCertificate]:
    """One registry certificate by id (a dict lookup: per-connection checks stay O(1))."""
    cert = iot_registry(account_id, region_name).certificates.get(certificate_id)
    if cert is None:
        return None
    return RegistryCertificate(cert.certificate_id, cert.arn, cert.status, cert.certificate_pem)


def iot_certificate_ids(account_id: str, region_name: str) -> list[str]:
    """The ids of every registry certificate (cheap: no certificate is copied)."""
    return list(iot_registry(account_id, region_name).certificates.keys())


def iot_register_issued_certificate(
    account_id: str, region_name: str, certificate_pem: str, set_as_active: bool
) -> RegistryCertificate:
    """Store a certificate the mock issued (CreateCertificateFromCsr) as moto stores its own:
    INACTIVE unless ``set_as_active``, with moto's certificate id for that PEM."""
    registry = iot_registry(account_id, region_name)
    cert = registry.register_certificate(
        certificate_pem, ca_certificate_pem=None, set_as_active=set_as_active, status="INACTIVE"
    )
    return RegistryCertificate(cert.certificate_id, cert.arn, cert.status, cert.certificate_pem)


class IamAccessKey(NamedTuple):
    """An access key of moto's IAM (a user's, or an STS session's with its token)."""

    account_id: str
    access_key_id: str
    secret_access_key: str
    active: bool
    principal_arn: str
    session_token: Optional[str]


def iam_access_key(access_key: str) -> Optional[IamAccessKey]:
    """The secret and principal of an access key moto's IAM (or STS) issued, or None."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    found = iam_account_for_key(access_key)
    if found is None:
        return None
    account_id, partition = found
    key = iam_backends[account_id][partition].access_keys[access_key]
    token = None
    principal = f"arn:{partition}:iam::{account_id}:user/{key.user_name}"
    if key.role_arn or key.user_name is None:
        principal = str(key.role_arn or "")
        account = sts_backends.get(account_id)
        if account is not None and partition in account.keys():  # noqa: SIM118
            for role in list(account[partition].assumed_roles):
                if role.access_key_id == access_key:
                    token, principal = role.session_token, role.arn
    return IamAccessKey(
        account_id, access_key, str(key.secret_access_key), key.status == "Active", principal, token
    )


# --- whole-process state (persistence snapshots) -------------------------------------------


def backend_dicts_in_use() -> list[Any]:
    """Every moto `BackendDict` that holds state (moto's services and ours): what a snapshot
    of the whole mock saves. moto lists them in `BackendDict._instances` for its own reset."""
    from moto.core.base_backend import BackendDict

    return list(BackendDict._instances)  # type: ignore[misc]


def backend_dict_key(backends: Any) -> str:
    """A name for a `BackendDict` that is the same in every process of the same versions."""
    cls = backends.backend
    return f"{cls.__module__}:{cls.__qualname__}:{backends.service_name}"


def find_backend_dict(key: str) -> Any:
    """The live `BackendDict` named `key` (its module imported); KeyError if there is none."""
    import importlib

    from moto.core.base_backend import BackendDict

    module_name = key.split(":", 1)[0]
    candidates = [importlib.import_module(module_name)]
    candidates += [m for n, m in list(sys.modules.items()) if n.startswith(("moto.", "moto_iotjobs.")) and m]
    for module in candidates:
        for value in list(vars(module).values()):
            if isinstance(value, BackendDict) and backend_dict_key(value) == key:
                return value
    raise KeyError(key)


def restore_backend_dict(live: Any, accounts: dict[str, Any]) -> None:
    """Put saved per-account backends in a live `BackendDict`, and list it as in use (so that
    `/moto-api/reset` clears it)."""
    from moto.core.base_backend import BackendDict

    live.clear()
    live.update(accounts)
    if live not in BackendDict._instances:  # type: ignore[misc]
        BackendDict._instances.append(live)  # type: ignore[misc]


def wrap_server_apps(middleware: Any) -> None:
    """Route every request of moto's server application (ours and `ThreadedMotoServer`'s)
    through `middleware(app, environ, start_response)`, where `app` is the original dispatch.
    Idempotent; `middleware` is read at each request from the returned hook."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    current = DomainDispatcherApplication.__call__
    original = getattr(current, "_moto_iotjobs_original", current)

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        return middleware(lambda env, start: original(self, env, start), environ, start_response)

    __call__._moto_iotjobs_original = original  # type: ignore[attr-defined]
    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]


def seed_random(seed: int) -> None:
    """Seed moto's one source of identifiers (`mock_random`): a replayed request then makes
    the same thing ids, request ids and ARNs as when it was first applied."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


def random_uuid() -> str:
    """A UUID from moto's seedable source (see `seed_random`)."""
    from moto.moto_api._internal import mock_random

    return str(mock_random.uuid4())


def moto_version() -> str:
    """moto's version: state files record it, since they hold moto's classes."""
    import moto

    return str(moto.__version__)
