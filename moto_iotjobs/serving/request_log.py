"""One log line per request: plane, operation, outcome (HTTP status and error code), duration.

The operation is the one `protocol.dispatch` resolved (it notes it in the WSGI environ); a
request moto answers is logged by service host and path. Text by default, JSON lines with
`--log-json`; the logger is `moto_iotjobs.requests`, so it is silent wherever logging is not
configured (in-process tests), and `--log-level warning` keeps only failed requests (4xx/5xx
are logged at WARNING and ERROR).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import Any, Callable

from moto_iotjobs.protocol.dispatch import OPERATION_KEY

log = logging.getLogger("moto_iotjobs.requests")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class RequestLog:
    """WSGI middleware writing the line once the response has started."""

    def __init__(self, app: WSGIApp, json_lines: bool = False) -> None:
        self.app = app
        self.json_lines = json_lines

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def logging_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"] = status
            seen["error"] = next((v for k, v in headers if k.lower() == "x-amzn-errortype"), None)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.app(environ, logging_start_response)
        finally:
            self._write(environ, seen, (time.perf_counter() - started) * 1000)

    def _write(self, environ: dict[str, Any], seen: dict[str, Any], millis: float) -> None:
        status_text = str(seen.get("status", "500"))
        status = int(status_text.split(" ", 1)[0]) if status_text[:3].isdigit() else 500
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        if not log.isEnabledFor(level):
            return
        plane, operation = environ.get(OPERATION_KEY) or (
            (environ.get("HTTP_HOST") or "").split(".", 1)[0] or "-",
            f"{environ.get('REQUEST_METHOD', '?')} {environ.get('PATH_INFO', '')}",
        )
        record = {
            "plane": plane,
            "operation": operation,
            "status": status,
            "error": seen.get("error"),
            "ms": round(millis, 2),
        }
        if self.json_lines:
            log.log(level, json.dumps(record, separators=(",", ":")))
        else:
            error = f" {record['error']}" if record["error"] else ""
            log.log(level, "%s %s -> %d%s in %.1f ms", plane, operation, status, error, millis)
