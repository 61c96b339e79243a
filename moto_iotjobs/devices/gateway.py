"""The TLS front end of the MQTT broker: mutual TLS with registry certificates, IoT policies
checked at CONNECT and on every PUBLISH, SUBSCRIBE and delivered message.

Devices connect here; each authorised connection is relayed to the plain broker on loopback,
so authorisation holds whichever broker runs behind it (amqtt, mosquitto). This module owns
the listeners and their lifetime; ``trust`` the TLS side (mock CA, registry certificates),
``relay`` one connection's packets, ``websocket``/``sigv4`` the port-443 WebSocket clients.

A socket that has not completed the TLS handshake within ``connect_timeout`` (10 s), or that
sends no CONNECT (WebSocket: no upgrade request) within ``connect_timeout`` after it, is
closed, as the embedded amqtt broker does with idle sockets.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Awaitable
from typing import Any, Callable, Optional

from moto_iotjobs.devices import websocket
from moto_iotjobs.devices.ca import MockCertificateAuthority, mock_ca
from moto_iotjobs.devices.packets import MalformedPacket
from moto_iotjobs.devices.relay import Answer, ClientWriter, Publish, Relay, close
from moto_iotjobs.devices.sigv4 import SignatureRejected, verify_presigned
from moto_iotjobs.devices.trust import ALPN_MQTT, RegistryTrust
from moto_iotjobs.mqtt.stopping import StopsOnExit

__all__ = ["ALPN_MQTT", "DEFAULT_TLS_PORT", "TlsGateway", "GatewayError"]

log = logging.getLogger(__name__)

DEFAULT_TLS_PORT = 8883
CONNECT_TIMEOUT = 10.0  # seconds a client has to complete TLS, then to send CONNECT
START_TIMEOUT = 10.0
#: What ends one connection quietly (a peer gone, bad bytes, a timeout): nothing to log.
_CONNECTION_ENDED = (MalformedPacket, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError,
                     asyncio.TimeoutError, OSError)


class GatewayError(RuntimeError):
    """The TLS gateway could not start."""


class TlsGateway(StopsOnExit):
    """mTLS listener on ``host:port`` relaying authorised MQTT to ``broker_host:broker_port``.

    ``answer``/``publish`` (from ``MqttJobsService``): Jobs requests are answered here and the
    reply goes to the requesting connection only (``relay``); without them requests go to the
    broker like any message.
    """

    def __init__(
        self,
        broker_host: str,
        broker_port: int,
        account_id: str,
        region_name: str,
        host: str = "127.0.0.1",
        port: int = DEFAULT_TLS_PORT,
        ca: Optional[MockCertificateAuthority] = None,
        alpn_port: Optional[int] = None,
        answer: Optional[Answer] = None,
        publish: Optional[Publish] = None,
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.broker_host, self.broker_port = broker_host, broker_port
        self.account_id, self.region_name = account_id, region_name
        self.host, self.port = host, port
        #: AWS's port 443: MQTT over mTLS with ALPN x-amzn-mqtt-ca, else MQTT over WebSocket.
        self.alpn_port = alpn_port
        self.answer, self.publish = answer, publish
        self.connect_timeout = connect_timeout
        self.ca = ca or mock_ca()
        self._trust = RegistryTrust(self.ca, account_id, region_name)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._servers: list[asyncio.AbstractServer] = []
        self._thread: Optional[threading.Thread] = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def ca_path(self) -> str:
        return self.ca.ca_path

    @property
    def running(self) -> bool:
        return bool(self._servers)

    def start(self) -> TlsGateway:
        if self._thread is not None:
            return self
        self._trust.refresh()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"mqtt-tls-{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT) or self._error is not None:
            self.stop()
            raise GatewayError(f"MQTT TLS listener on {self.host}:{self.port}: {self._error}")
        return self

    def _listen(self, serve: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
                port: int, context: ssl.SSLContext) -> int:
        """One TLS listener on the gateway's loop; returns the port it bound."""
        assert self._loop is not None
        server = self._loop.run_until_complete(
            asyncio.start_server(
                serve, self.host, port, ssl=context,
                ssl_handshake_timeout=self.connect_timeout, reuse_address=True,
            )
        )
        self._servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self.port = self._listen(self._serve_client, self.port, self._trust.context)
            if self.alpn_port is not None:
                self.alpn_port = self._listen(
                    self._serve_port443, self.alpn_port, self._trust.port443_context
                )
        except BaseException as error:  # bind failure: reported by start()
            self._error = error
            self._ready.set()
            loop.run_until_complete(self._close_servers())
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _close_servers(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for server in servers:
            await server.wait_closed()

    async def _shutdown(self) -> None:
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        for server in servers:
            await server.wait_closed()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        self._thread = None
        if loop is not None and thread is not None and not loop.is_closed():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(START_TIMEOUT)

    def __enter__(self) -> TlsGateway:
        return self.start()

    # -- one device connection ------------------------------------------------------------

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            await Relay(self, reader, writer).run()
        except _CONNECTION_ENDED:
            pass
        except asyncio.CancelledError:  # the gateway stops; ending quietly keeps Python
            return  # 3.11's start_server from logging the cancelled handler as an error
        except Exception:
            log.exception("MQTT TLS connection failed")
        finally:
            self._connections.discard(writer)
            await close(writer)

    async def _serve_port443(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() == ALPN_MQTT:
            await self._serve_client(reader, writer)
        else:
            await self._serve_websocket(reader, writer)

    async def _serve_websocket(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """``wss://host:port/mqtt`` signed with SigV4: the IAM principal, then the relay."""
        self._connections.add(writer)
        client: ClientWriter = writer
        pump: Optional[asyncio.Task[Any]] = None
        try:
            request = await asyncio.wait_for(websocket.read_upgrade(reader), self.connect_timeout)
            if request is None:
                return
            problem = request.problem()
            if problem is not None:
                websocket.refuse(writer, 400, "Bad Request", problem)
                return
            try:
                principal = verify_presigned(
                    request.method, request.path, request.query, request.headers,
                    self.account_id, self.region_name,
                )
            except SignatureRejected as rejected:
                websocket.refuse(writer, 403, "Forbidden", str(rejected))
                return
            websocket.accept(writer, request)
            stream, client, pump = websocket.open_pipe(reader, writer)
            await Relay(self, stream, client, principal).run()
        except _CONNECTION_ENDED:
            pass
        except asyncio.CancelledError:  # the gateway stops; ending quietly keeps Python
            return  # 3.11's start_server from logging the cancelled handler as an error
        except Exception:
            log.exception("MQTT WebSocket connection failed")
        finally:
            if pump is not None:
                pump.cancel()
            self._connections.discard(writer)
            await close(client)
