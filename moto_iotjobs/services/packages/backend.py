"""The packages backend: the catalog (`catalog`), the SBOMs of its versions, one per account
and region, as every moto service."""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.compat import BackendDict, BaseBackend
from moto_iotjobs.protocol.errors import ValidationException
from moto_iotjobs.protocol.pagination import decode_token, take_page
from moto_iotjobs.services.packages.catalog import PAGE_SIZE, PackageCatalog
from moto_iotjobs.services.packages.records import PackageVersion
from moto_iotjobs.services.packages.sbom import Result, validate_sbom


class PackagesBackend(PackageCatalog, BaseBackend):
    def __init__(self, region_name: str, account_id: str) -> None:
        BaseBackend.__init__(self, region_name, account_id)
        self._init_catalog()
        self._sbom_pending: list[PackageVersion] = []

    def advance(self, now: float) -> None:
        """Finish the SBOM validations started by earlier calls: Associate answers
        IN_PROGRESS, every later call sees SUCCEEDED or FAILED."""
        pending, self._sbom_pending = self._sbom_pending, []
        for version in pending:
            if version.sbom_pending:
                version.sbom_pending = False
                failed = any(r[1] == "FAILED" for r in version.sbom_results)
                version.sbom_status = "FAILED" if failed else "SUCCEEDED"

    # --- SBOMs --------------------------------------------------------------------------

    def associate_sbom(self, p: dict[str, Any], now: float) -> PackageVersion:
        version = self.get_version(p["packageName"], p["versionName"])
        location = p["sbom"].get("s3Location") or {}
        bucket, key = location.get("bucket"), location.get("key")
        if not bucket or not key:
            raise ValidationException("sbom.s3Location must name a bucket and a key")
        data = moto_compat.s3_object(self.account_id, bucket, key)
        if data is None:
            raise ValidationException(
                f"The SBOM s3://{bucket}/{key} could not be read: no such object in Amazon S3"
            )
        version.sbom = {"s3Location": dict(location)}
        version.sbom_results = validate_sbom(key, data)
        version.sbom_status = "IN_PROGRESS"
        version.sbom_pending = True
        version.last_modified_at = now
        self._sbom_pending.append(version)
        return version

    def disassociate_sbom(self, p: dict[str, Any], now: float) -> None:
        version = self.get_version(p["packageName"], p["versionName"])
        version.sbom = None
        version.sbom_status = None
        version.sbom_results = []
        version.sbom_pending = False
        version.last_modified_at = now

    def list_sbom_validation_results(self, p: dict[str, Any]) -> tuple[list[Result], Optional[str]]:
        version = self.get_version(p["packageName"], p["versionName"])
        wanted = p.get("validationResult")
        context = f"ListSbomValidationResults:{version.arn}:{version.seq}:{wanted}"
        after = decode_token(p.get("nextToken"), context) or 0
        results = [] if version.sbom_pending else version.sbom_results
        items = (
            (position, result)
            for position, result in enumerate(results, start=1)
            if position > after and (wanted is None or result[1] == wanted)
        )
        page, token = take_page(
            items, p.get("maxResults") or PAGE_SIZE, lambda item: item[0], context
        )
        return [result for _, result in page], token


#: `packages_backends[account_id][region_name]`, reset with every other moto backend.
packages_backends: BackendDict[PackagesBackend] = BackendDict(PackagesBackend, "iot")
