"""One device connection through the gateway: CONNECT authorised, then two pumps that judge
every packet (docs/devices-tls.md).

- CONNECT: the certificate (or SigV4 principal) must be ACTIVE and a policy must allow
  ``iot:Connect`` on ``client/<clientId>``; otherwise the connection closes (MQTT 5: after
  CONNACK 0x87).
- PUBLISH from the device: ``iot:Publish`` (and ``iot:RetainPublish`` for retained messages);
  SUBSCRIBE: ``iot:Subscribe`` per filter; messages to the device: ``iot:Receive`` (a denied
  one is dropped, acknowledged to the broker). A denial closes an MQTT 3.1.1 connection; MQTT 5
  gets reason code 0x87 in PUBACK/PUBREC/SUBACK and stays connected.
- Jobs requests (``$aws/things/<thing>/jobs/...``) are answered here, not through the broker:
  the ``/accepted`` or ``/rejected`` reply goes to this connection only, subscribed or not,
  as AWS IoT delivers them
  (https://docs.aws.amazon.com/iot/latest/developerguide/reserved-topics.html#reserved-topics-job);
  the broker's copies of Jobs replies are never delivered to gateway connections.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Callable, Optional, Protocol, Union

from moto_iotjobs.devices import packets, websocket
from moto_iotjobs.devices.identity import identify
from moto_iotjobs.devices.packets import MalformedPacket, Packet, read_packet
from moto_iotjobs.mqtt.jobs_api import is_jobs_request_candidate

__all__ = ["Answer", "Principal", "Publish", "Relay", "RelayConfig", "close", "is_jobs_reply"]

#: Answers one Jobs request: every message it causes, its reply first (``_handle`` of
#: ``MqttJobsService``). Runs on a worker thread (it takes the backend's lock).
Answer = Callable[[str, bytes], list[tuple[str, Any]]]
#: Publishes a message on the broker for its subscribers (notifications a request caused).
Publish = Callable[[str, bytes], None]
ClientWriter = Union[asyncio.StreamWriter, websocket.FrameWriter]


class Principal(Protocol):
    """Who a connection is: a registry certificate (DeviceIdentity) or an IAM identity."""

    def allows(self, action: str, name: str) -> bool: ...

    def status(self) -> Optional[str]: ...


class RelayConfig(Protocol):
    """What a relay needs of its gateway."""

    broker_host: str
    broker_port: int
    account_id: str
    region_name: str
    connect_timeout: float
    answer: Optional[Answer]
    publish: Optional[Publish]


def is_jobs_reply(topic: str) -> bool:
    """``$aws/things/<thing>/jobs/.../accepted`` or ``/rejected``: a reply to one requester."""
    levels = topic.split("/")
    return (
        len(levels) >= 6 and levels[0] == "$aws" and levels[1] == "things"
        and levels[3] == "jobs" and levels[-1] in ("accepted", "rejected")
    )


class Relay:
    """One device connection: CONNECT authorised, then two pumps that judge each packet."""

    def __init__(self, gateway: RelayConfig, reader: asyncio.StreamReader,
                 writer: ClientWriter, principal: Optional[Principal] = None) -> None:
        self.gateway = gateway
        self.client_reader, self.client_writer = reader, writer
        self.level = 4
        self.principal = principal  # given: authenticated before MQTT (WebSocket SigV4)
        self.identity: Optional[Principal] = None
        self.client_aliases: dict[int, str] = {}
        self.broker_aliases: dict[int, str] = {}
        self.dropped_qos2: set[int] = set()
        self.answered_qos2: set[int] = set()  # QoS 2 Jobs requests answered here: PUBREL next
        self.partial_subacks: dict[int, tuple[int, list[int]]] = {}

    async def run(self) -> None:
        gateway = self.gateway
        first = await asyncio.wait_for(read_packet(self.client_reader), gateway.connect_timeout)
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
                publish = packets.parse_publish(packet, self.level)
                topic = _resolve_alias(publish, self.client_aliases)
                if not await self._publish_allowed(packet, publish, topic):
                    if self.level != packets.MQTT5:
                        return  # MQTT 3.1.1: AWS IoT closes the connection
                    continue
                if self.gateway.answer is not None and is_jobs_request_candidate(topic):
                    await self._answer_jobs_request(publish, topic)
                    continue
            elif packet.kind == packets.PUBREL:
                packet_id = packets.packet_id_of(packet)
                if packet_id in self.answered_qos2:
                    self.answered_qos2.discard(packet_id)
                    self.client_writer.write(packets.ack(packets.PUBCOMP, packet_id, self.level))
                    await self.client_writer.drain()
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

    async def _publish_allowed(self, packet: Packet, publish: packets.Publish, topic: str) -> bool:
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

    async def _answer_jobs_request(self, publish: packets.Publish, topic: str) -> None:
        """The Jobs MQTT API answers this connection alone; the notifications the request
        causes (notify, notify-next, events) go to the broker's subscribers after the reply."""
        if publish.packet_id is not None:  # the request is acknowledged as the broker would
            kind = packets.PUBACK if publish.qos == 1 else packets.PUBREC
            if kind == packets.PUBREC:
                self.answered_qos2.add(publish.packet_id)
            self.client_writer.write(packets.ack(kind, publish.packet_id, self.level))
        answer, publish_on_broker = self.gateway.answer, self.gateway.publish
        assert answer is not None
        loop = asyncio.get_running_loop()
        messages = await loop.run_in_executor(None, answer, topic, publish.payload)
        caused = []
        for reply_topic, payload in messages:
            data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
            if reply_topic.startswith(topic + "/"):  # .../accepted or .../rejected
                if self._allows("iot:Receive", reply_topic):
                    self.client_writer.write(packets.encode_publish(reply_topic, data, self.level))
            else:
                caused.append((reply_topic, data))
        await self.client_writer.drain()
        if caused and publish_on_broker is not None:
            await loop.run_in_executor(None, _publish_all, publish_on_broker, caused)

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
                if not self._allows("iot:Receive", topic) or (
                    self.gateway.answer is not None and is_jobs_reply(topic)
                ):
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


def _publish_all(publish: Publish, messages: list[tuple[str, bytes]]) -> None:
    for topic, payload in messages:
        publish(topic, payload)


async def close(writer: ClientWriter) -> None:
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
