"""Package and package-version records (state only; rules in `lifecycle`, operations in
`catalog`). Timestamps are float epoch seconds."""

from __future__ import annotations

from typing import Any, Optional


class PackageVersion:
    __slots__ = (
        "package_name", "version_name", "arn", "seq", "status", "description", "attributes",
        "artifact", "recipe", "tags", "sbom", "sbom_status", "sbom_results", "sbom_pending",
        "created_at", "last_modified_at",
    )

    def __init__(self, package_name: str, version_name: str, arn: str, seq: int, now: float) -> None:
        self.package_name = package_name
        self.version_name = version_name
        self.arn = arn
        self.seq = seq
        self.status = "DRAFT"
        self.description: Optional[str] = None
        self.attributes: dict[str, str] = {}
        self.artifact: Optional[dict[str, Any]] = None
        self.recipe: Optional[str] = None
        self.tags: dict[str, str] = {}
        self.sbom: Optional[dict[str, Any]] = None
        self.sbom_status: Optional[str] = None
        #: (fileName, validationResult, errorCode or None, errorMessage or None) per file.
        self.sbom_results: list[tuple[str, str, Optional[str], Optional[str]]] = []
        #: Validation not yet run: Associate answers IN_PROGRESS, the next call sees the result.
        self.sbom_pending = False
        self.created_at = now
        self.last_modified_at = now


class Package:
    __slots__ = (
        "name", "arn", "seq", "description", "default_version", "tags", "versions",
        "created_at", "last_modified_at",
    )

    def __init__(self, name: str, arn: str, seq: int, now: float) -> None:
        self.name = name
        self.arn = arn
        self.seq = seq
        self.description: Optional[str] = None
        self.default_version: Optional[str] = None
        self.tags: dict[str, str] = {}
        #: Versions in creation order (ListPackageVersions pages through them in that order).
        self.versions: dict[str, PackageVersion] = {}
        self.created_at = now
        self.last_modified_at = now
