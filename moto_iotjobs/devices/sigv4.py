"""SigV4 presigned WebSocket URLs (``wss://host/mqtt?X-Amz-...``), checked against moto's IAM.

Browsers and the SDKs' ``websockets_with_default_aws_signing`` connect to AWS IoT with a SigV4
query signature for the service ``iotdevicegateway``
(https://docs.aws.amazon.com/iot/latest/developerguide/protocols.html#mqtt-ws). The signed
request is the WebSocket upgrade ``GET /mqtt``; ``X-Amz-Security-Token`` is added after
signing (the SDKs sign without it), so both canonical forms are accepted. The key must be one
moto's IAM or STS issued, active, for the gateway's account; a session key needs its token.
The identity is then the IAM principal (``IamIdentity``); docs/devices-tls.md says why it may
do anything on MQTT.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote, unquote

from moto_iotjobs.moto_integration import compat

__all__ = ["IamIdentity", "SignatureRejected", "verify_presigned"]

SERVICE = "iotdevicegateway"
ALGORITHM = "AWS4-HMAC-SHA256"
#: AWS refuses requests signed more than 15 minutes from its clock (SigV4's skew window).
MAX_SKEW = datetime.timedelta(minutes=15)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class SignatureRejected(Exception):
    """The WebSocket upgrade is not signed by a known, active key (HTTP 403)."""


@dataclass
class IamIdentity:
    """A SigV4-authenticated connection: an IAM user or assumed role of the account."""

    account_id: str
    access_key_id: str
    principal_arn: str

    def allows(self, action: str, name: str) -> bool:
        """IAM policies are not evaluated: any verified signature may act (decision)."""
        return True

    def status(self) -> Optional[str]:
        key = compat.iam_access_key(self.access_key_id)
        return "ACTIVE" if key is not None and key.active else None


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw_query.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote(name), unquote(value)))
    return pairs


def _signature(secret: str, date: str, region: str, string_to_sign: str) -> str:
    key = ("AWS4" + secret).encode()
    for part in (date, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def verify_presigned(
    method: str,
    path: str,
    raw_query: str,
    headers: dict[str, str],
    account_id: str,
    region_name: str,
    now: Optional[datetime.datetime] = None,
) -> IamIdentity:
    """The principal whose key signed this request; SignatureRejected saying why not."""
    pairs = _query_pairs(raw_query)
    params = dict(pairs)
    if params.get("X-Amz-Algorithm") != ALGORITHM:
        raise SignatureRejected(f"X-Amz-Algorithm must be {ALGORITHM}")
    for required in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"):
        if not params.get(required):
            raise SignatureRejected(f"{required} is missing")
    scope = params["X-Amz-Credential"].split("/")
    if len(scope) != 5 or scope[3] != SERVICE or scope[4] != "aws4_request":
        raise SignatureRejected(f"X-Amz-Credential must be <key>/<date>/<region>/{SERVICE}/aws4_request")
    access_key_id, date, region = scope[0], scope[1], scope[2]
    if region != region_name:
        raise SignatureRejected(f"credential scope region {region} is not {region_name}")
    try:
        signed_at = datetime.datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        raise SignatureRejected("X-Amz-Date is not yyyymmddThhmmssZ") from None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    expires = params.get("X-Amz-Expires")
    late = datetime.timedelta(seconds=int(expires)) if expires and expires.isdigit() else MAX_SKEW
    if signed_at.strftime("%Y%m%d") != date or signed_at - now > MAX_SKEW or now - signed_at > late:
        raise SignatureRejected("the signature is expired or not yet valid")
    key = compat.iam_access_key(access_key_id)
    if key is None or not key.active or key.account_id != account_id:
        raise SignatureRejected("the access key is not an active key of this account")
    token = params.get("X-Amz-Security-Token")
    if key.session_token is not None and not hmac.compare_digest(token or "", key.session_token):
        raise SignatureRejected("the security token does not belong to the access key")
    signed_headers = params["X-Amz-SignedHeaders"].split(";")
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers
    )
    candidates = [pairs]
    if token is not None:  # the SDKs sign without the token and append it afterwards
        candidates.append([p for p in pairs if p[0] != "X-Amz-Security-Token"])
    for candidate in candidates:
        query = "&".join(
            f"{_encode(n)}={_encode(v)}" for n, v in sorted(candidate) if n != "X-Amz-Signature"
        )
        request = "\n".join(
            [method, _encode_path(path), query, canonical_headers, ";".join(signed_headers), _EMPTY_SHA256]
        )
        string_to_sign = "\n".join(
            [ALGORITHM, params["X-Amz-Date"], f"{date}/{region}/{SERVICE}/aws4_request",
             hashlib.sha256(request.encode()).hexdigest()]
        )
        expected = _signature(key.secret_access_key, date, region, string_to_sign)
        if hmac.compare_digest(expected, params["X-Amz-Signature"]):
            return IamIdentity(key.account_id, access_key_id, key.principal_arn)
    raise SignatureRejected("the signature does not match")


def _encode_path(path: str) -> str:
    return "/".join(_encode(unquote(segment)) for segment in path.split("/"))
