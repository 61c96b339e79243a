"""The HTTP server: moto's WSGI application behind the guard and the request log, on a
threaded server whose connections are bounded in number and in how long they may idle.

werkzeug's development server (what `moto_server` runs) starts a thread per connection with
no limit and waits forever for a slow sender: 1,100 held sockets stopped every other caller.
Here at most `max_connections` are served at once (more wait in the listen queue), and a
connection that sends nothing for `read_timeout` seconds is closed.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.serving.guard import Guard, GuardPolicy
from moto_iotjobs.serving.request_log import RequestLog

DEFAULT_READ_TIMEOUT = 20.0
DEFAULT_MAX_CONNECTIONS = 256


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without its access line (the request log replaces it), with a read
    timeout, and closing the connection after a refused oversized body (not reading it)."""

    timeout = DEFAULT_READ_TIMEOUT

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return

    def run_wsgi(self) -> None:
        super().run_wsgi()
        if self.environ.get("moto_iotjobs.close"):
            self.close_connection = True


class BoundedWSGIServer(ThreadedWSGIServer):
    """A thread per connection, at most `max_connections` at a time."""

    def __init__(self, *args: Any, max_connections: int = DEFAULT_MAX_CONNECTIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = threading.BoundedSemaphore(max_connections)
        self._stopping = threading.Event()

    def process_request(self, request: Any, client_address: Any) -> None:
        while not self._slots.acquire(timeout=0.25):
            if self._stopping.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self) -> None:
        self._stopping.set()
        super().shutdown()


def build_app(policy: GuardPolicy, json_log: bool = False) -> Any:
    """moto's server application (every moto service plus ours), guarded and logged."""
    return RequestLog(Guard(moto_compat.moto_server_app(), policy), json_lines=json_log)


def make_server(
    host: str,
    port: int,
    policy: GuardPolicy,
    ssl_context: Any = None,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    json_log: bool = False,
) -> BoundedWSGIServer:
    handler = type("RequestHandler", (QuietRequestHandler,), {"timeout": read_timeout})
    server = BoundedWSGIServer(
        host,
        port,
        build_app(policy, json_log),
        handler=handler,
        ssl_context=ssl_context,
        max_connections=max_connections,
    )
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return server
