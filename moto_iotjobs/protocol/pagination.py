"""Opaque, filter-bound page tokens.

A token carries the sequence number where the next page starts and a fingerprint of the
operation and filters it was issued for: a garbled token, or one reused with other filters,
is an InvalidRequestException, as AWS answers.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Iterable, Iterator
from typing import Callable, Optional, TypeVar

from moto_iotjobs.protocol.errors import InvalidRequestException

T = TypeVar("T")

#: Page size when maxResults is not given. AWS does not document it; the maximum (250)
#: means a listing of fewer than 250 items never needs a second call.
DEFAULT_PAGE_SIZE = 250


def _fingerprint(context: str) -> str:
    return format(zlib.crc32(context.encode("utf-8")), "08x")


def encode_token(position: int, context: str) -> str:
    raw = f"v1:{position}:{_fingerprint(context)}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: Optional[str], context: str) -> Optional[int]:
    """The position a token stands for; None when there is no token."""
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        version, position, fingerprint = (
            base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii").split(":")
        )
        if version != "v1":
            raise ValueError(version)
        value = int(position)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidRequestException(f"Invalid pagination token: {token}") from None
    if fingerprint != _fingerprint(context):
        raise InvalidRequestException(
            "The pagination token was issued for a request with other parameters"
        )
    return value


def take_page(
    items: Iterable[T], max_results: Optional[int], position_of: Callable[[T], int], context: str
) -> tuple[list[T], Optional[str]]:
    """Up to `max_results` items and the token of the next page (None on the last one)."""
    limit = max_results or DEFAULT_PAGE_SIZE
    page: list[T] = []
    iterator: Iterator[T] = iter(items)
    for item in iterator:
        if len(page) == limit:
            return page, encode_token(position_of(page[-1]), context)
        page.append(item)
    return page, None
