"""The package catalog operations as named handler functions, with their output shapes
(members appear only when they have a value, as AWS shows them)."""

from __future__ import annotations

from typing import Any, Callable, Optional

from moto_iotjobs.services.packages.backend import PackagesBackend
from moto_iotjobs.services.packages.records import Package, PackageVersion

Handler = Callable[[PackagesBackend, dict[str, Any], float], Any]


def _time(value: float) -> float:
    return round(value, 3)


def _present(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if v is not None}


def _page(key: str, items: list, token: Optional[str], item: Callable[[Any], Any]) -> dict[str, Any]:
    return _present({key: [item(i) for i in items], "nextToken": token})


def _no_output(operation: Callable[[PackagesBackend, dict[str, Any], float], None]) -> Handler:
    """The handler of an operation whose output is empty: the backend method does it all."""

    def handler(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
        operation(b, p, now)
        return {}

    return handler


def package_summary(p: Package) -> dict[str, Any]:
    return _present({
        "packageName": p.name,
        "defaultVersionName": p.default_version,
        "creationDate": _time(p.created_at),
        "lastModifiedDate": _time(p.last_modified_at),
    })


def version_summary(v: PackageVersion) -> dict[str, Any]:
    return {
        "packageName": v.package_name,
        "versionName": v.version_name,
        "status": v.status,
        "creationDate": _time(v.created_at),
        "lastModifiedDate": _time(v.last_modified_at),
    }


def create_package(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    package = b.create_package(p, now)
    return _present({"packageName": package.name, "packageArn": package.arn,
                     "description": package.description})


def get_package(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    package = b.get_package(p["packageName"])
    return _present({
        "packageName": package.name,
        "packageArn": package.arn,
        "description": package.description,
        "defaultVersionName": package.default_version,
        "creationDate": _time(package.created_at),
        "lastModifiedDate": _time(package.last_modified_at),
    })


def list_packages(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return _page("packageSummaries", *b.list_packages(p), package_summary)


def _version_fields(v: PackageVersion) -> dict[str, Any]:
    """What CreatePackageVersion answers; GetPackageVersion answers more."""
    return {
        "packageVersionArn": v.arn,
        "packageName": v.package_name,
        "versionName": v.version_name,
        "description": v.description,
        "attributes": v.attributes or None,
        "status": v.status,
    }


def create_package_version(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return _present(_version_fields(b.create_package_version(p, now)))


def get_package_version(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    v = b.get_version(p["packageName"], p["versionName"])
    return _present({
        **_version_fields(v),
        "artifact": v.artifact,
        "creationDate": _time(v.created_at),
        "lastModifiedDate": _time(v.last_modified_at),
        "sbom": v.sbom,
        "sbomValidationStatus": v.sbom_status,
        "recipe": v.recipe,
    })


def list_package_versions(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return _page("packageVersionSummaries", *b.list_package_versions(p), version_summary)


def get_package_configuration(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    return {"versionUpdateByJobsConfig": dict(b.version_update_by_jobs)}


def associate_sbom_with_package_version(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    v = b.associate_sbom(p, now)
    return {"packageName": v.package_name, "versionName": v.version_name, "sbom": v.sbom,
            "sbomValidationStatus": v.sbom_status}


def list_sbom_validation_results(b: PackagesBackend, p: dict[str, Any], now: float) -> dict[str, Any]:
    def summary(result: tuple[str, str, Optional[str], Optional[str]]) -> dict[str, Any]:
        file_name, outcome, code, message = result
        return _present({"fileName": file_name, "validationResult": outcome,
                         "errorCode": code, "errorMessage": message})

    return _page("validationResultSummaries", *b.list_sbom_validation_results(p), summary)


PACKAGE_HANDLERS: dict[str, Handler] = {
    "CreatePackage": create_package,
    "GetPackage": get_package,
    "UpdatePackage": _no_output(PackagesBackend.update_package),
    "DeletePackage": _no_output(PackagesBackend.delete_package),
    "ListPackages": list_packages,
    "CreatePackageVersion": create_package_version,
    "GetPackageVersion": get_package_version,
    "UpdatePackageVersion": _no_output(PackagesBackend.update_package_version),
    "DeletePackageVersion": _no_output(PackagesBackend.delete_package_version),
    "ListPackageVersions": list_package_versions,
    "GetPackageConfiguration": get_package_configuration,
    "UpdatePackageConfiguration": _no_output(PackagesBackend.update_package_configuration),
    "AssociateSbomWithPackageVersion": associate_sbom_with_package_version,
    "DisassociateSbomFromPackageVersion": _no_output(PackagesBackend.disassociate_sbom),
    "ListSbomValidationResults": list_sbom_validation_results,
}
