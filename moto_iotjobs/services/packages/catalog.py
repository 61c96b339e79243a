"""The package catalog operations: packages, versions, default version, package
configuration. Each checks everything before it changes anything."""

from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Optional, TypeVar

from moto_iotjobs.protocol.errors import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from moto_iotjobs.protocol.pagination import decode_token, take_page
from moto_iotjobs.services.packages import lifecycle
from moto_iotjobs.services.packages.records import Package, PackageVersion
from moto_iotjobs.services.tagging.operations import tags_at_creation

#: "The combined size of all the attributes on a package version is limited to 3KB."
#: (CreatePackageVersionRequest.attributes)
MAX_ATTRIBUTES_BYTES = 3 * 1024
#: Page size without maxResults: the model's maximum (PackageCatalogMaxResults, 100).
PAGE_SIZE = 100


Record = TypeVar("Record", Package, PackageVersion)


def _request(p: dict[str, Any]) -> dict[str, Any]:
    """A request as clientToken replay compares it: everything but the token."""
    return {k: v for k, v in p.items() if k != "clientToken"}


def check_attributes(attributes: Optional[dict[str, str]]) -> None:
    if not attributes:
        return
    size = sum(len(k.encode("utf-8")) + len(v.encode("utf-8")) for k, v in attributes.items())
    if size > MAX_ATTRIBUTES_BYTES:
        raise ValidationException(
            f"The attributes of a package version total {size} bytes; the limit is "
            f"{MAX_ATTRIBUTES_BYTES} bytes (keys and values combined)"
        )


class PackageCatalog:
    """State of one account and region; every entry point runs under `self.lock`."""

    region_name: str
    account_id: str
    partition: str

    def _init_catalog(self) -> None:
        self.lock = threading.RLock()
        self.packages: dict[str, Package] = {}
        self.version_update_by_jobs: dict[str, Any] = {"enabled": False}
        #: (operation, clientToken) -> (the request without its token, the record it created,
        #: a copy of it as created: a replay answers what the first call answered)
        self.client_tokens: dict[tuple[str, str], tuple[dict[str, Any], Any, Any]] = {}
        self._seq = 0

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _arn(self, resource: str) -> str:
        return f"arn:{self.partition}:iot:{self.region_name}:{self.account_id}:{resource}"

    # --- lookups ------------------------------------------------------------------------

    def get_package(self, name: str) -> Package:
        package = self.packages.get(name)
        if package is None:
            raise ResourceNotFoundException(f"Package {name} does not exist")
        return package

    def get_version(self, package_name: str, version_name: str) -> PackageVersion:
        version = self.get_package(package_name).versions.get(version_name)
        if version is None:
            raise ResourceNotFoundException(
                f"Package version {version_name} of package {package_name} does not exist"
            )
        return version

    def find_version(self, package_name: str, version_name: str) -> Optional[PackageVersion]:
        package = self.packages.get(package_name)
        return None if package is None else package.versions.get(version_name)

    # --- clientToken replay --------------------------------------------------------------

    def _replayed(self, operation: str, p: dict[str, Any], live: Callable[[Any], bool]) -> Any:
        """The record an earlier call with this clientToken and the same request created (while
        it exists), None for a new token; ConflictException when the token came with another
        request (docs/device-management.md, "clientToken")."""
        token = p.get("clientToken")
        if token is None:
            return None
        key = (operation, str(token))
        entry = self.client_tokens.get(key)
        if entry is None:
            return None
        request, record, as_created = entry
        if not live(record):
            del self.client_tokens[key]  # the token goes with the resource it created
            return None
        if request != _request(p):
            name = record.name if isinstance(record, Package) else record.version_name
            raise ConflictException(
                f"clientToken {token} was used by another {operation} request", resource_id=name
            )
        return as_created

    def _remember(self, operation: str, p: dict[str, Any], record: Record) -> Record:
        token = p.get("clientToken")
        if token is not None:
            self.client_tokens[(operation, token)] = (_request(p), record, copy.copy(record))
        return record

    # --- packages -----------------------------------------------------------------------

    def create_package(self, p: dict[str, Any], now: float) -> Package:
        name = p["packageName"]
        replayed: Optional[Package] = self._replayed(
            "CreatePackage", p, lambda record: self.packages.get(record.name) is record
        )
        if replayed is not None:
            return replayed
        if name in self.packages:
            raise ConflictException(f"Package {name} already exists", resource_id=name)
        tags = tags_at_creation(p.get("tags"))
        package = Package(name, self._arn(f"package/{name}"), self._next_seq(), now)
        package.description = p.get("description")
        package.tags = tags
        self.packages[name] = package
        return self._remember("CreatePackage", p, package)

    def update_package(self, p: dict[str, Any], now: float) -> None:
        package = self.get_package(p["packageName"])
        default = p.get("defaultVersionName")
        unset = bool(p.get("unsetDefaultVersion"))
        if default is not None and unset:
            raise ValidationException(
                "Specify either defaultVersionName or unsetDefaultVersion=true, not both"
            )
        if default is not None:
            version = self.get_version(package.name, default)
            if version.status not in lifecycle.DEPLOYABLE:
                raise ConflictException(
                    f"Package version {default} is {version.status}; the default version must "
                    f"be {' or '.join(sorted(lifecycle.DEPLOYABLE))}",
                    resource_id=default,
                )
            package.default_version = default
        elif unset:
            package.default_version = None
        if p.get("description") is not None:
            package.description = p["description"]
        package.last_modified_at = now

    def delete_package(self, p: dict[str, Any], now: float) -> None:
        """Deleting an absent package succeeds; one with versions is refused (delete them,
        and so unset the default version, first)."""
        package = self.packages.get(p["packageName"])
        if package is None:
            return
        if package.versions:
            raise ValidationException(
                f"Package {package.name} still has {len(package.versions)} version(s); delete "
                "every package version before deleting the package"
            )
        del self.packages[package.name]

    def list_packages(self, p: dict[str, Any]) -> tuple[list[Package], Optional[str]]:
        context = "ListPackages"
        after = decode_token(p.get("nextToken"), context) or 0
        items = (pkg for pkg in self.packages.values() if pkg.seq > after)
        return take_page(items, p.get("maxResults") or PAGE_SIZE, lambda pkg: pkg.seq, context)

    # --- versions -----------------------------------------------------------------------

    def create_package_version(self, p: dict[str, Any], now: float) -> PackageVersion:
        replayed: Optional[PackageVersion] = self._replayed(
            "CreatePackageVersion", p,
            lambda record: self.find_version(record.package_name, record.version_name) is record,
        )
        if replayed is not None:
            return replayed
        package = self.packages.get(p["packageName"])
        if package is None:
            raise ValidationException(
                f"Package {p['packageName']} does not exist; create the package first"
            )
        name = p["versionName"]
        if name in package.versions:
            raise ConflictException(
                f"Package version {name} of package {package.name} already exists", resource_id=name
            )
        check_attributes(p.get("attributes"))
        tags = tags_at_creation(p.get("tags"))
        version = PackageVersion(
            package.name, name, self._arn(f"package/{package.name}/version/{name}"),
            self._next_seq(), now,
        )
        version.description = p.get("description")
        version.attributes = dict(p.get("attributes") or {})
        version.artifact = p.get("artifact")
        version.recipe = p.get("recipe")
        version.tags = tags
        package.versions[name] = version
        return self._remember("CreatePackageVersion", p, version)

    def update_package_version(self, p: dict[str, Any], now: float) -> None:
        version = self.get_version(p["packageName"], p["versionName"])
        what = f"{version.version_name} of package {version.package_name}"
        edits = [m for m in ("description", "attributes", "artifact", "recipe") if p.get(m) is not None]
        lifecycle.check_editable(version.status, [m for m in edits if m != "description"], what)
        check_attributes(p.get("attributes"))
        action = p.get("action")
        status = lifecycle.next_status(version.status, action, what) if action else version.status
        if "description" in edits:
            version.description = p["description"]
        if "attributes" in edits:
            version.attributes = dict(p["attributes"])
        if "artifact" in edits:
            version.artifact = p["artifact"]
        if "recipe" in edits:
            version.recipe = p["recipe"]
        version.status = status
        version.last_modified_at = now

    def delete_package_version(self, p: dict[str, Any], now: float) -> None:
        """Absent versions delete fine; the default version must be unset first."""
        package = self.packages.get(p["packageName"])
        version = None if package is None else package.versions.get(p["versionName"])
        if package is None or version is None:
            return
        if package.default_version == version.version_name:
            raise ValidationException(
                f"Package version {version.version_name} is the default version of package "
                f"{package.name}; unset the default version (UpdatePackage) before deleting it"
            )
        del package.versions[version.version_name]

    def list_package_versions(self, p: dict[str, Any]) -> tuple[list[PackageVersion], Optional[str]]:
        name = p["packageName"]
        status = p.get("status")
        context = f"ListPackageVersions:{name}:{status}"
        after = decode_token(p.get("nextToken"), context) or 0
        package = self.packages.get(name)
        versions = package.versions.values() if package is not None else ()
        items = (v for v in versions if v.seq > after and (status is None or v.status == status))
        return take_page(items, p.get("maxResults") or PAGE_SIZE, lambda v: v.seq, context)

    # --- package configuration ----------------------------------------------------------

    def update_package_configuration(self, p: dict[str, Any], now: float) -> None:
        config = p.get("versionUpdateByJobsConfig")
        if config is None:
            return
        enabled = config.get("enabled")
        role_arn = config.get("roleArn")
        if enabled and not (role_arn or self.version_update_by_jobs.get("roleArn")):
            raise ValidationException(
                "versionUpdateByJobsConfig.roleArn is required to enable version updates by jobs"
            )
        updated = dict(self.version_update_by_jobs)
        if enabled is not None:
            updated["enabled"] = bool(enabled)
        if role_arn is not None:
            updated["roleArn"] = role_arn
        self.version_update_by_jobs = updated
