"""What both MQTT device APIs (jobs, commands) share: the account and region they answer for."""

from __future__ import annotations

import os
from typing import Callable, Optional

from moto_iotjobs.timing import clock

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"


class AccountScopedApi:
    """An MQTT device API answering from the backend of one account and region.

    ``account_id=None`` means ``$MOTO_ACCOUNT_ID`` or ``123456789012``, as moto resolves it;
    ``now`` is the clock each request reads (tests pass a fake one).
    """

    def __init__(
        self,
        region_name: str = DEFAULT_REGION,
        account_id: Optional[str] = None,
        now: Callable[[], float] = clock.now,
    ) -> None:
        self.region_name = region_name
        self.account_id = account_id or os.environ.get("MOTO_ACCOUNT_ID") or DEFAULT_ACCOUNT
        self._now = now
