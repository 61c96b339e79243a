"""What jobs do with packages
(https://docs.aws.amazon.com/iot/latest/developerguide/preparing-jobs-for-service-package-catalog.html):

- `check_destinations`: CreateJob's and CreateJobTemplate's `destinationPackageVersions`
  (at most 25; each version PUBLISHED or DEPRECATED when a job deploys it; `$default` names
  the package's default version, `$null` uninstalls the package);
- `substitute`: `${aws:iot:package:...}` placeholders of a job document, replaced when the
  document is served;
- `on_execution_succeeded`: with the package configuration's `versionUpdateByJobsConfig`
  enabled, a SUCCEEDED execution writes the versions to the thing's `$package` shadow.

Nothing here imports the jobs service: a job is read through its attributes.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.services.packages.backend import PackagesBackend, packages_backends
from moto_iotjobs.services.packages.lifecycle import DEPLOYABLE

#: "destinationPackageVersions ... up to 25 package version ARNs" (CreateJob).
MAX_DESTINATIONS = 25
DEFAULT_VERSION = "$default"
UNINSTALL = "$null"
SHADOW_NAME = "$package"
#: Where a job keeps its resolved destinations: [(package, version or None for $null)].

_VERSION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iot:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"package/(?P<package>[a-zA-Z0-9-_.]+)/version/(?P<version>[a-zA-Z0-9-_.]+|\$default|\$null)$"
)
_PLACEHOLDER = re.compile(
    r'(?P<quote>"?)\$\{aws:iot:package:(?P<package>[a-zA-Z0-9-_.]*):version:'
    r"(?P<version>[a-zA-Z0-9-_.]*|\$default):(?P<what>attributes(?::(?P<key>[a-zA-Z0-9:_-]+))?"
    r"|artifact-location:s3-presigned-url)\}(?P<endquote>\"?)"
)


def _backend(account_id: str, region_name: str) -> PackagesBackend:
    backend: PackagesBackend = moto_compat.backend_of(packages_backends, account_id, region_name)
    return backend


def check_destinations(
    account_id: str, region_name: str, arns: Optional[list[str]], document: Optional[str]
) -> Optional[list[tuple[str, Optional[str]]]]:
    """The (package, version) pairs of `destinationPackageVersions`, checked; None if none.

    Versions must exist and be PUBLISHED or DEPRECATED, for CreateJob and CreateJobTemplate
    alike (a template exists to create jobs; a job created from it is checked again)."""
    if not arns:
        if document and _PLACEHOLDER.search(document):
            raise InvalidRequestException(
                "The job document uses package placeholders but destinationPackageVersions is empty"
            )
        return None
    if len(arns) > MAX_DESTINATIONS:
        raise InvalidRequestException(
            f"destinationPackageVersions holds {len(arns)} ARNs; at most {MAX_DESTINATIONS} are allowed"
        )
    backend = _backend(account_id, region_name)
    resolved: list[tuple[str, Optional[str]]] = []
    with backend.lock:
        for arn in arns:
            match = _VERSION_ARN.match(arn)
            if match is None or match.group("account") != account_id or match.group("region") != region_name:
                raise InvalidRequestException(
                    f"{arn} in destinationPackageVersions is not a package version ARN of "
                    f"account {account_id} in {region_name}"
                )
            name, version = match.group("package"), match.group("version")
            resolved.append((name, _deployable(backend, name, version, arn)))
    packages = [name for name, _ in resolved]
    if len(set(packages)) != len(packages):
        raise InvalidRequestException("destinationPackageVersions names a package more than once")
    _check_placeholders(document or "", resolved)
    return resolved


def _deployable(backend: PackagesBackend, name: str, version: str, arn: str) -> Optional[str]:
    package = backend.packages.get(name)
    if package is None:
        raise InvalidRequestException(f"Package {name} of {arn} does not exist")
    if version == UNINSTALL:
        return None
    if version == DEFAULT_VERSION:
        if package.default_version is None:
            raise InvalidRequestException(f"Package {name} has no default version ({arn})")
        version = package.default_version
    record = package.versions.get(version)
    if record is None:
        raise InvalidRequestException(f"Package version {version} of package {name} does not exist")
    if record.status not in DEPLOYABLE:
        raise InvalidRequestException(
            f"Package version {version} of package {name} is {record.status}; a job can only "
            f"deploy a PUBLISHED or DEPRECATED version"
        )
    return version


def _check_placeholders(document: str, resolved: list[tuple[str, Optional[str]]]) -> None:
    """Every package a placeholder names must be a destination; `package::version::` needs
    exactly one destination."""
    names = {name for name, _ in resolved}
    for match in _PLACEHOLDER.finditer(document):
        name = match.group("package")
        if not name and not match.group("version"):
            if len(resolved) != 1:
                raise InvalidRequestException(
                    "${aws:iot:package::version::...} needs exactly one destinationPackageVersions entry"
                )
        elif name not in names:
            raise InvalidRequestException(
                f"The job document refers to package {name}, which is not in destinationPackageVersions"
            )


def substitute(
    account_id: str,
    region_name: str,
    document: str,
    resolved: Optional[list[tuple[str, Optional[str]]]],
    presign: Optional[Callable[[str], str]] = None,
) -> str:
    """The document with package placeholders replaced by the versions' attributes (and, when
    `presign` is given, artifact locations by presigned URLs). A placeholder whose version is
    gone is left as written."""
    if not resolved or "${aws:iot:package:" not in document:
        return document
    backend = _backend(account_id, region_name)
    defaults = dict(resolved)

    def replace(match: re.Match[str]) -> str:
        name, version = match.group("package"), match.group("version")
        if not name and not version:
            name, chosen = resolved[0]
        else:
            chosen = defaults.get(name) if version in ("", DEFAULT_VERSION) else version
        record = backend.find_version(name, chosen) if chosen else None
        if record is None:
            return match.group(0)
        quote, endquote = match.group("quote"), match.group("endquote")
        what, key = match.group("what"), match.group("key")
        if what == "attributes" and quote and endquote:
            return json.dumps(record.attributes)  # the whole object replaces the JSON string
        if what == "attributes":
            text = json.dumps(record.attributes)
        elif key is not None:
            text = record.attributes.get(key, "")
        else:
            location = (record.artifact or {}).get("s3Location") or {}
            if presign is None or not location.get("bucket") or not location.get("key"):
                return match.group(0)
            text = presign(f"s3://{location['bucket']}/{location['key']}")
        return quote + json.dumps(text)[1:-1] + endquote

    with backend.lock:
        return _PLACEHOLDER.sub(replace, document)


def on_execution_succeeded(account_id: str, region_name: str, thing_name: str, job: Any, now: float) -> None:
    """A job execution carrying destinationPackageVersions SUCCEEDED: with version updates
    by jobs enabled, report the versions in the thing's `$package` named shadow (`$null`
    reports null; a version deleted since the job was created is skipped)."""
    resolved = job.resolved_packages
    if not resolved:
        return
    backend = _backend(account_id, region_name)
    with backend.lock:
        if not backend.version_update_by_jobs.get("enabled"):
            return
        reported: dict[str, Any] = {}
        for name, version in resolved:
            if version is None:
                reported[name] = None
            elif backend.find_version(name, version) is not None:
                reported[name] = {"version": version}
    if reported:
        moto_compat.update_thing_shadow(
            account_id, region_name, thing_name, SHADOW_NAME, {"state": {"reported": reported}}
        )
