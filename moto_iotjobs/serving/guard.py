"""A WSGI guard in front of moto's server: what a local mock must refuse before any work.

A server on 127.0.0.1 is still reachable from every web page the developer opens: a page can
POST `text/plain` to it without a preflight (wiping state through `/moto-api/reset`, injecting
faults, changing jobs), and DNS rebinding lets a page on `attacker.example` talk to it as
"same origin". As LocalStack does, the guard therefore
- answers only requests whose Host is a local name (or one the operator allowed): rebinding
  sends the attacker's host name;
- allows CORS only for local origins by default (configurable), refuses any request that a
  browser marks as coming from another origin, and never lets moto's blanket CORS through;
- caps request bodies (413, well above AWS's own limits) without reading what it refuses.
"""

from __future__ import annotations

import io
import ipaddress
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: Host names a local server answers to by default (ports are ignored).
LOCAL_HOSTS = ("localhost", "*.localhost", "127.0.0.1", "::1")
#: SDKs behind a proxy, or code that keeps the real host name: DNS rebinding cannot forge
#: these (the attacker does not control amazonaws.com's DNS).
AWS_HOSTS = ("*.amazonaws.com",)
DEFAULT_MAX_BODY = 16 * 1024 * 1024  # AWS's largest job-family request is far below this
EXPOSED_HEADERS = "x-amzn-RequestId, x-amzn-ErrorType, x-amz-request-id, ETag"
ADMIN_PREFIX = "/moto-api/"


def _hostname(host: str) -> str:
    """`[::1]:5000` -> `::1`, `localhost:5000` -> `localhost` (lower case)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        return host.split(":", 1)[0]
    return host


def _is_loopback(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class GuardPolicy:
    """What the guard lets through. `*` in `allowed_hosts`/`cors_origins` allows any."""

    allowed_hosts: list[str] = field(default_factory=list)  # beyond the local names
    cors_origins: Optional[list[str]] = None  # None: local origins (any port)
    max_body_bytes: int = DEFAULT_MAX_BODY

    def host_allowed(self, host: str, admin: bool) -> bool:
        name = _hostname(host)
        if not name:
            return False
        if _is_loopback(name) or any(fnmatchcase(name, p) for p in LOCAL_HOSTS):
            return True
        if any(p == "*" or fnmatchcase(name, p.lower()) for p in self.allowed_hosts):
            return True
        # the admin API is for local tools only; the AWS API also answers AWS host names
        return not admin and any(fnmatchcase(name, p) for p in AWS_HOSTS)

    def origin_allowed(self, origin: str) -> bool:
        if self.cors_origins is None:
            parts = urlsplit(origin)
            name = (parts.hostname or "").lower()
            return parts.scheme in ("http", "https") and (
                _is_loopback(name) or name == "localhost" or name.endswith(".localhost")
            )
        return any(o == "*" or o.rstrip("/") == origin.rstrip("/") for o in self.cors_origins)


def _refuse(start_response: Callable[..., Any], status: str, message: str) -> list[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


class Guard:
    """WSGI middleware applying a `GuardPolicy` before `app` sees the request."""

    def __init__(self, app: WSGIApp, policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        policy = self.policy
        path = environ.get("PATH_INFO", "")
        admin = path.startswith(ADMIN_PREFIX)
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if not policy.host_allowed(host, admin):
            return _refuse(
                start_response,
                "403 Forbidden",
                f"Host {host!r} is not allowed: this mock answers local host names only "
                "(start it with --allowed-hosts to add names)",
            )
        origin = environ.get("HTTP_ORIGIN")
        origin_ok = origin is not None and policy.origin_allowed(origin)
        if origin is not None and not origin_ok:
            return _refuse(start_response, "403 Forbidden", f"Origin {origin!r} is not allowed (--cors-origins)")
        if origin is None and environ.get("HTTP_SEC_FETCH_SITE") == "cross-site":
            return _refuse(start_response, "403 Forbidden", "Cross-site browser requests are not allowed")
        if origin_ok and environ.get("REQUEST_METHOD") == "OPTIONS" and environ.get(
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
        ):
            return self._preflight(environ, start_response, origin or "")
        refused = self._limit_body(environ, start_response)
        if refused is not None:
            return refused

        def cors_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # moto's server adds `Access-Control-Allow-Origin: *` everywhere: drop it
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if origin_ok:
                headers += [
                    ("Access-Control-Allow-Origin", origin or ""),
                    ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
                    ("Vary", "Origin"),
                ]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.app(environ, cors_start_response)

    def _preflight(self, environ: dict[str, Any], start_response: Callable[..., Any], origin: str) -> list[bytes]:
        headers = [
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", "GET, PUT, POST, PATCH, DELETE, HEAD"),
            ("Access-Control-Allow-Headers", environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "*")),
            ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
            ("Content-Length", "0"),
        ]
        start_response("200 OK", headers)
        return [b""]

    def _limit_body(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Optional[list[bytes]]:
        limit = self.policy.max_body_bytes
        too_large = f"Request body over the limit of {limit} bytes (--max-body-mb)"
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text.strip():
            try:
                length = int(length_text)
            except ValueError:
                return _refuse(start_response, "400 Bad Request", "Invalid Content-Length")
            if length > limit:
                environ["moto_iotjobs.close"] = True
                return _refuse(start_response, "413 Request Entity Too Large", too_large)
            return None
        if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            stream = environ["wsgi.input"]
            body = _read_at_most(stream, limit + 1)
            if len(body) > limit:
                environ["moto_iotjobs.close"] = True
                return _refuse(start_response, "413 Request Entity Too Large", too_large)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return None


def _read_at_most(stream: Any, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in _chunks(stream):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _chunks(stream: Any, size: int = 65536) -> Iterator[bytes]:
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk
