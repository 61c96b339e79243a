"""SBOM validation: an SBOM is one zip archive of SPDX or CycloneDX JSON files, or one such
file (https://docs.aws.amazon.com/iot/latest/developerguide/preparing-to-use-software-package-catalog.html),
read from moto's S3."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Optional

#: A validation result per file: (fileName, SUCCEEDED or FAILED, errorCode, errorMessage).
Result = tuple[str, str, Optional[str], Optional[str]]

#: Largest SBOM file accepted (AWS does not document a figure; see docs/device-management.md).
MAX_FILE_BYTES = 5 * 1024 * 1024


def _validate_file(name: str, data: bytes) -> Result:
    if len(data) > MAX_FILE_BYTES:
        return (name, "FAILED", "FILE_SIZE_LIMIT_EXCEEDED",
                f"{name} is larger than {MAX_FILE_BYTES} bytes")
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return (name, "FAILED", "INCOMPATIBLE_FORMAT", f"{name} is not a JSON document")
    if isinstance(document, dict) and (
        "spdxVersion" in document or document.get("bomFormat") == "CycloneDX"
    ):
        return (name, "SUCCEEDED", None, None)
    return (name, "FAILED", "INCOMPATIBLE_FORMAT",
            f"{name} is neither an SPDX nor a CycloneDX JSON document")


def validate_sbom(key: str, data: bytes) -> list[Result]:
    """One result per file of the archive (or of the single file)."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                return [
                    _validate_file(info.filename, archive.read(info))
                    for info in archive.infolist()
                    if not info.is_dir()
                ] or [(key, "FAILED", "INCOMPATIBLE_FORMAT", f"{key} is an empty archive")]
        except (zipfile.BadZipFile, OSError, RuntimeError):
            return [(key, "FAILED", "INCOMPATIBLE_FORMAT", f"{key} is not a readable zip archive")]
    return [_validate_file(key.rsplit("/", 1)[-1], data)]
