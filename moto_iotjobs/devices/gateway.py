"""The TLS front end of the MQTT broker: mutual TLS with registry certificates, IoT policies
checked at CONNECT and on every PUBLISH, SUBSCRIBE and delivered message.

Devices connect here; each authorised connection is relayed to the plain broker on loopback,
so authorisation holds whichever broker runs behind it (amqtt, mosquitto).

- TLS: the server certificate comes from the mock CA (``moto_iotjobs.devices.ca``). A client
  must present a certificate that is byte-for-byte one of the registry's certificates (any
  issuer: moto's are self-signed with a fake issuer) or one issued by the mock CA; the
  handshake proves it holds the key. Registry certificates are added to the trust store as
  they appear (checked at every ClientHello), with partial-chain verification so a trusted
  leaf needs no issuer. Unknown certificates fail the handshake, as at AWS.
- CONNECT: the certificate must be ACTIVE and a policy must allow ``iot:Connect`` on
  ``client/<clientId>``; otherwise the connection closes (MQTT 5: after CONNACK 0x87).
- PUBLISH from the device: ``iot:Publish`` (and ``iot:RetainPublish`` for retained messages);
  SUBSCRIBE: ``iot:Subscribe`` per filter; messages to the device: ``iot:Receive`` (a denied
  one is dropped, acknowledged to the broker). A denial closes an MQTT 3.1.1 connection; MQTT 5
  gets reason code 0x87 in PUBACK/PUBREC/SUBACK and stays connected (docs/devices-tls.md).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from typing import Optional, Protocol, Union

from moto_iotjobs.devices import packets, websocket
from moto_iotjobs.devices.ca import MockCertificateAuthority, mock_ca
from moto_iotjobs.devices.identity import identify, registry_pems
from moto_iotjobs.devices.packets import MalformedPacket, Packet, read_packet
from moto_iotjobs.devices.sigv4 import SignatureRejected, verify_presigned
from moto_iotjobs.mqtt.stopping import StopsOnExit

__all__ = ["DEFAULT_TLS_PORT", "TlsGateway", "GatewayError"]

log = logging.getLogger(__name__)

DEFAULT_TLS_PORT = 8883
#: ALPN protocol AWS IoT accepts for MQTT with client certificates on port 443.
ALPN_MQTT = "x-amzn-mqtt-ca"
CONNECT_TIMEOUT = 10.0  # seconds a client has to complete TLS and send CONNECT
START_TIMEOUT = 10.0


class GatewayError(RuntimeError):
    """The TLS gateway could not start."""


class Principal(Protocol):
    """Who a connection is: a registry certificate (DeviceIdentity) or an IAM identity."""

    def allows(self, action: str, name: str) -> bool: ...

    def status(self) -> Optional[str]: ...


ClientWriter = Union[asyncio.StreamWriter, websocket.FrameWriter]


class _Trust:
    """The server SSL context and the registry certificates already in its trust store."""

    def __init__(self, ca: MockCertificateAuthority, account_id: str, region_name: str) -> None:
        self.account_id, self.region_name = account_id, region_name
        self.ca = ca
        self.context = self._context(ssl.CERT_REQUIRED, [ALPN_MQTT, "mqtt"])
        # Port 443 at AWS: mTLS when the client names ALPN x-amzn-mqtt-ca, else WebSocket
        # (server-authenticated TLS, SigV4 in the upgrade request).
        self.port443_context = self._context(ssl.CERT_OPTIONAL, [ALPN_MQTT, "http/1.1"])
        self._trusted: set[str] = set()
        self._lock = threading.Lock()

    def _context(self, verify_mode: ssl.VerifyMode, alpn: list[str]) -> ssl.SSLContext:
        credentials = self.ca.server_credentials(self.region_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(credentials.cert_path, credentials.key_path)
        context.verify_mode = verify_mode
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.load_verify_locations(cadata=self.ca.ca_pem.decode("ascii"))
        context.set_alpn_protocols(alpn)
        context.sni_callback = self._on_client_hello
        return context

    def _on_client_hello(self, sock: object, server_name: Optional[str], context: object) -> None:
        """Runs before the client's certificate is verified: trust new registry certificates."""
        try:
            self.refresh()
        except Exception:  # never fail a handshake on our own error
            log.exception("could not read the registry's certificates")
        return None

    def refresh(self) -> None:
        with self._lock:
            for certificate_id, pem in registry_pems(self.account_id, self.region_name, self._trusted):
                self._trusted.add(certificate_id)
                try:
                    for context in (self.context, self.port443_context):
                        context.load_verify_locations(cadata=pem)
                except (ssl.SSLError, ValueError):
                    log.debug("registry certificate %s is not loadable", certificate_id)


class TlsGateway(StopsOnExit):
    """mTLS listener on ``host:port`` relaying authorised MQTT to ``broker_host:broker_port``."""

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
    ) -> None:
        self.broker_host, self.broker_port = broker_host, broker_port
        self.account_id, self.region_name = account_id, region_name
        self.host, self.port = host, port
        #: AWS's port 443: MQTT over mTLS with ALPN x-amzn-mqtt-ca, else MQTT over WebSocket.
        self.alpn_port = alpn_port
        self._alpn_server: Optional[asyncio.AbstractServer] = None
        self.ca = ca or mock_ca()
        self._trust = _Trust(self.ca, account_id, region_name)
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._server: Optional[asyncio.AbstractServer] = None
        self._thread: Optional[threading.Thread] = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def ca_path(self) -> str:
        return self.ca.ca_path

    @property
    def running(self) -> bool:
        return self._server is not None

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

    def _run(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(
                    self._serve_client,
                    self.host,
                    self.port,
                    ssl=self._trust.context,
                    ssl_handshake_timeout=CONNECT_TIMEOUT,
                    reuse_address=True,
                )
            )
            self.port = self._server.sockets[0].getsockname()[1]
            if self.alpn_port is not None:
                self._alpn_server = loop.run_until_complete(
                    asyncio.start_server(
                        self._serve_port443,
                        self.host,
                        self.alpn_port,
                        ssl=self._trust.port443_context,
                        ssl_handshake_timeout=CONNECT_TIMEOUT,
                        reuse_address=True,
                    )
                )
                self.alpn_port = self._alpn_server.sockets[0].getsockname()[1]
        except BaseException as error:  # bind failure: reported by start()
            self._error = error
            self._ready.set()
            if self._server is not None:
                self._server.close()
                loop.run_until_complete(self._server.wait_closed())
                self._server = None
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _shutdown(self) -> None:
        server, self._server = self._server, None
        alpn_server, self._alpn_server = self._alpn_server, None
        if alpn_server is not None:
            alpn_server.close()
        if server is not None:
            server.close()
        for writer in list(self._connections):
            writer.transport.abort()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2.0)
        if server is not None:
            await server.wait_closed()
        if alpn_server is not None:
            await alpn_server.wait_closed()

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
            await _Relay(self, reader, writer).run()
        except (MalformedPacket, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError,
                asyncio.TimeoutError, OSError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("MQTT TLS connection failed")
        finally:
            self._connections.discard(writer)
            await _close(writer)


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
        pump: Optional[asyncio.Task[None]] = None
        try:
            request = await asyncio.wait_for(websocket.read_upgrade(reader), CONNECT_TIMEOUT)
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
            await _Relay(self, stream, client, principal).run()
        except (MalformedPacket, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError,
                asyncio.TimeoutError, OSError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("MQTT WebSocket connection failed")
        finally:
            if pump is not None:
                pump.cancel()
            self._connections.discard(writer)
            await _close(client)


class _Relay:
    """One device connection: CONNECT authorised, then two pumps that judge each packet."""

    def __init__(self, gateway: TlsGateway, reader: asyncio.StreamReader,
                 writer: ClientWriter, principal: Optional[Principal] = None) -> None:
        self.gateway = gateway
        self.client_reader, self.client_writer = reader, writer
        self.level = 4
        self.principal = principal  # given: authenticated before MQTT (WebSocket SigV4)
        self.identity: Optional[Principal] = None
        self.client_aliases: dict[int, str] = {}
        self.broker_aliases: dict[int, str] = {}
        self.dropped_qos2: set[int] = set()
        self.partial_subacks: dict[int, tuple[int, list[int]]] = {}

    async def run(self) -> None:
        first = await asyncio.wait_for(read_packet(self.client_reader), CONNECT_TIMEOUT)
        if first is None or first.kind != packets.CONNECT:
            return
        connect = packets.parse_connect(first)
        self.level = connect.protocol_level
        if not self._authorise_connect(connect.client_id):
            # MQTT 5: CONNACK 0x87. MQTT 3.1.1: AWS IoT closes the connection without a
            # CONNACK (the SDKs report AWS_ERROR_MQTT_UNEXPECTED_HANGUP); docs/devices-tls.md.
            if self.level == packets.MQTT5:
                self.client_writer.write(packets.connack(self.level, refused=True))
                await self.client_writer.drain()
            return
        gateway = self.gateway
        broker_reader, broker_writer = await asyncio.open_connection(
            gateway.broker_host, gateway.broker_port
        )
        try:
            broker_writer.write(first.encode())
            upstream = asyncio.ensure_future(self._device_to_broker(broker_writer))
            downstream = asyncio.ensure_future(self._broker_to_device(broker_reader, broker_writer))
            done, pending = await asyncio.wait(
                {upstream, downstream}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            for task in done:
                task.exception()  # retrieved: a closed peer ends the relay either way
        finally:
            broker_writer.transport.abort()

    def _authorise_connect(self, client_id: str) -> bool:
        if self.principal is not None:
            self.identity = self.principal
            return self.principal.status() == "ACTIVE" and self.principal.allows("iot:Connect", client_id)
        ssl_object = self.client_writer.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if not der:
            return False
        identity = identify(self.gateway.account_id, self.gateway.region_name, der)
        if identity is None or identity.status() != "ACTIVE":
            return False
        identity.client_id = client_id
        self.identity = identity
        return identity.allows("iot:Connect", client_id)

    def _allows(self, action: str, name: str) -> bool:
        return self.identity is not None and self.identity.allows(action, name)

    async def _device_to_broker(self, broker_writer: asyncio.StreamWriter) -> None:
        while True:
            packet = await read_packet(self.client_reader)
            if packet is None:
                return
            if packet.kind == packets.PUBLISH:
                if not await self._publish_allowed(packet):
                    if self.level != packets.MQTT5:
                        return  # MQTT 3.1.1: AWS IoT closes the connection
                    continue
            elif packet.kind == packets.SUBSCRIBE:
                forwarded = await self._subscribe_allowed(packet)
                if forwarded is None:
                    if self.level != packets.MQTT5:
                        return
                    continue
                packet = forwarded
            elif packet.kind == packets.CONNECT:
                return  # a second CONNECT is a protocol violation
            broker_writer.write(packet.encode())
            await broker_writer.drain()

    async def _publish_allowed(self, packet: Packet) -> bool:
        publish = packets.parse_publish(packet, self.level)
        topic = _resolve_alias(publish, self.client_aliases)
        retained = bool(packet.first & 0x01)
        if self._allows("iot:Publish", topic) and (
            not retained or self._allows("iot:RetainPublish", topic)
        ):
            return True
        if self.level == packets.MQTT5 and publish.packet_id is not None:
            kind = packets.PUBACK if publish.qos == 1 else packets.PUBREC
            self.client_writer.write(
                packets.ack(kind, publish.packet_id, self.level, packets.NOT_AUTHORIZED_V5)
            )
            await self.client_writer.drain()
        return False

    async def _subscribe_allowed(self, packet: Packet) -> Optional[Packet]:
        """The SUBSCRIBE to forward (denied filters removed), or None when nothing is."""
        subscribe = packets.parse_subscribe(packet, self.level)
        denied = [
            index
            for index, (topic_filter, _options) in enumerate(subscribe.filters)
            if not self._allows("iot:Subscribe", topic_filter)
        ]
        if not denied:
            return packet
        if self.level != packets.MQTT5:
            return None
        if len(denied) == len(subscribe.filters):
            codes = [packets.NOT_AUTHORIZED_V5] * len(denied)
            self.client_writer.write(
                packets.encode_suback(subscribe.packet_id, self.level, codes).encode()
            )
            await self.client_writer.drain()
            return None
        self.partial_subacks[subscribe.packet_id] = (len(subscribe.filters), denied)
        subscribe.filters = [f for i, f in enumerate(subscribe.filters) if i not in denied]
        return packets.encode_subscribe(subscribe)

    async def _broker_to_device(
        self, broker_reader: asyncio.StreamReader, broker_writer: asyncio.StreamWriter
    ) -> None:
        while True:
            packet = await read_packet(broker_reader)
            if packet is None:
                return
            if packet.kind == packets.PUBLISH:
                publish = packets.parse_publish(packet, self.level)
                topic = _resolve_alias(publish, self.broker_aliases)
                if not self._allows("iot:Receive", topic):
                    self._acknowledge_dropped(publish, broker_writer)
                    continue
            elif packet.kind == packets.PUBREL:
                packet_id = packets.packet_id_of(packet)
                if packet_id in self.dropped_qos2:
                    self.dropped_qos2.discard(packet_id)
                    broker_writer.write(packets.ack(packets.PUBCOMP, packet_id, self.level))
                    continue
            elif packet.kind == packets.SUBACK:
                packet = self._merge_suback(packet)
            self.client_writer.write(packet.encode())
            await self.client_writer.drain()

    def _acknowledge_dropped(self, publish: packets.Publish, broker_writer: asyncio.StreamWriter) -> None:
        """The broker delivered a message the device may not receive: ack it, keep it away."""
        if publish.packet_id is None:
            return
        if publish.qos == 1:
            broker_writer.write(packets.ack(packets.PUBACK, publish.packet_id, self.level))
        else:
            self.dropped_qos2.add(publish.packet_id)
            broker_writer.write(packets.ack(packets.PUBREC, publish.packet_id, self.level))

    def _merge_suback(self, packet: Packet) -> Packet:
        packet_id, properties, codes = packets.parse_suback(packet, self.level)
        partial = self.partial_subacks.pop(packet_id, None)
        if partial is None:
            return packet
        count, denied = partial
        granted = iter(codes)
        merged = [
            packets.NOT_AUTHORIZED_V5 if i in denied else next(granted, 0x80) for i in range(count)
        ]
        return packets.encode_suback(packet_id, self.level, merged, properties)


async def _close(writer: ClientWriter) -> None:
    """Close after the last bytes (a refusing CONNACK, a SUBACK) reached the peer."""
    if writer.transport.is_closing():
        writer.transport.abort()
        return
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1.0)
    except (asyncio.TimeoutError, OSError, ssl.SSLError):
        pass
    finally:
        writer.transport.abort()


def _resolve_alias(publish: packets.Publish, aliases: dict[int, str]) -> str:
    """MQTT 5 topic aliases: a PUBLISH may name its topic by a number set earlier."""
    if publish.topic_alias is None:
        return publish.topic
    if publish.topic:
        aliases[publish.topic_alias] = publish.topic
        return publish.topic
    topic = aliases.get(publish.topic_alias)
    if topic is None:
        raise MalformedPacket("unknown topic alias")
    return topic
