"""Job templates, custom and AWS-managed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .errors import InvalidRequestException

if TYPE_CHECKING:
    from .documents import JobSource
    from .store import JobStore


def source_from_template(
    store: JobStore,
    template_arn: str,
    parameters: Optional[dict[str, str]],
    document: Optional[str],
    document_source: Optional[str],
) -> JobSource:
    raise InvalidRequestException(f"Job template {template_arn} does not exist")
