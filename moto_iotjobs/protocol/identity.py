"""Which account and region a request is for, resolved as moto resolves them.

Account: MOTO_ACCOUNT_ID, then the `x-moto-account-id` header, then the access key (keys
IAM or STS AssumeRole created map to their account), then 123456789012. Region: the host
(`iot.<region>.amazonaws.com`), then a `region/...` user agent, then the SigV4 scope (moto's
server rebuilds no host). moto's lookup of an access key walks every account and partition,
so its answer is cached: keys are random and never reused, and a cached account is checked
again against IAM on every hit, so a moto reset is honoured.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.moto_integration.environment import environment_variable

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"

_REGION_IN_HOST = re.compile(r"\.(?P<region>[^.]+)\.amazonaws\.com")
_REGION_IN_AGENT = re.compile(r"region/(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)")
_ACCESS_KEY = re.compile(r"Credential=(?P<key>[A-Z0-9]{16,128})/")
_SCOPE_REGION = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/")
#: host -> the region its name gives ("" for none): a client calls one host (#19)
_region_of_host: dict[str, str] = {}

#: access key -> (account, partition where IAM knows the key) or (default account, None)
_accounts_by_key: dict[str, tuple[str, Optional[str]]] = {}


def _lookup(access_key: str) -> tuple[str, Optional[str]]:
    found = moto_compat.iam_account_for_key(access_key)
    return found if found is not None else (DEFAULT_ACCOUNT, None)


def account_for_key(access_key: str) -> str:
    cached = _accounts_by_key.get(access_key)
    if cached is not None:
        account_id, partition = cached
        if partition is None or moto_compat.iam_knows_key(account_id, partition, access_key):
            return account_id
    cached = _lookup(access_key)
    if len(_accounts_by_key) > 10000:
        _accounts_by_key.clear()
    _accounts_by_key[access_key] = cached
    return cached[0]


_moto_account_id = environment_variable("MOTO_ACCOUNT_ID")


def request_account(headers: Any) -> str:
    account = _moto_account_id()
    if account:
        return account
    account = headers.get("x-moto-account-id")
    if account:
        return str(account)
    match = _ACCESS_KEY.search(headers.get("Authorization") or "")
    return account_for_key(match.group("key") if match else "AKIAEXAMPLE")


def request_region(host: str, headers: Any) -> str:
    region = _region_of_host.get(host)
    if region is None:
        match = _REGION_IN_HOST.search("." + host)
        region = match.group("region") if match else ""
        if len(_region_of_host) > 1024:
            _region_of_host.clear()
        _region_of_host[host] = region
    if region:
        return region
    agent = _REGION_IN_AGENT.search(headers.get("User-Agent") or "")
    if agent:
        return agent.group("region")
    scope = _SCOPE_REGION.search(headers.get("Authorization") or "")
    if scope:
        return scope.group("region")
    return DEFAULT_REGION
