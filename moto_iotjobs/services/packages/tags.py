"""The tags of packages and package versions, for the tagging service: kept on the records
(CreatePackage's and CreatePackageVersion's `tags` map), deleted with them."""

from __future__ import annotations

from typing import Optional

from moto_iotjobs.moto_integration.compat import backend_of
from moto_iotjobs.services.packages.backend import packages_backends
from moto_iotjobs.services.tagging.owners import TagBinding


def package_tags(account_id: str, region_name: str, arn: str, resource: str) -> Optional[TagBinding]:
    """`package/<p>` or `package/<p>/version/<v>`."""
    backend = backend_of(packages_backends, account_id, region_name)
    package_name, _, version_name = resource.partition("/version/")
    with backend.lock:
        package = backend.packages.get(package_name)
        record = package if package is None or not version_name else package.versions.get(version_name)
    if record is None or record.arn != arn:
        return None

    def write(tags: dict[str, str]) -> None:
        record.tags = dict(tags)

    return TagBinding(lambda: dict(record.tags), write, backend.lock)
