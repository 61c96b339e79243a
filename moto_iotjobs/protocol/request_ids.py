"""Request ids: every answer, success or error, carries `x-amzn-RequestId` as AWS's do.

SDKs surface it (boto3's `ResponseMetadata.RequestId`, the JS SDK's `$metadata.requestId`),
on errors too. A UUID-shaped id: a random prefix per process and a counter suffix, so ids are
unique and cheap (no uuid4 per call).
"""

from __future__ import annotations

import itertools
from uuid import uuid4

_counter = itertools.count(1)
_PREFIX = str(uuid4())[:24]


def next_request_id() -> str:
    return f"{_PREFIX}{next(_counter):012x}"
