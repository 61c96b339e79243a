"""Fan-out for the embedded amqtt broker that does not scan every subscription per message.

amqtt 0.12.1 delivers each message by walking *all* topic filters of *all* clients
(``Broker._run_broadcast``: a ``_matches`` call and a debug f-string per filter). A fleet of
N devices subscribed to their own reply topics makes every message cost O(N): with 1,000
devices the broker spent ~15 s of CPU on 8,000 messages (``benchmarks/fleet_mqtt.py``,
issue #19), nearly all of it matching filters that cannot match.

Here the filter -> subscribers dict remembers which filters contain wildcards, so a message
looks up its exact topic and tests only the wildcard filters. The delivery steps per
subscriber are amqtt 0.12.1's, unchanged (``_broadcast_to``). Imported lazily (amqtt is
optional; Python 3.10+).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from moto_iotjobs.mqtt.bridge import SERVICE_CLIENT_PREFIX

#: Most messages one turn of the broadcast loop hands on (the rest wait for the next turn).
BROADCAST_BATCH = 256


class SubscriptionIndex(dict):
    """amqtt's ``_subscriptions`` (filter -> [(session, qos)]), plus its wildcard filters.

    amqtt adds keys with ``d[filter] = []``, removes them with ``del d[filter]`` and empties
    the dict with ``clear()``; those are tracked (``pop``/``setdefault``/``update`` too).
    """

    def __init__(self) -> None:
        super().__init__()
        self.wildcards: dict[str, None] = {}  # insertion-ordered set

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        if "+" in key or "#" in key:
            self.wildcards[key] = None

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.wildcards.pop(key, None)

    def pop(self, key: str, *default: Any) -> Any:
        self.wildcards.pop(key, None)
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def clear(self) -> None:
        super().clear()
        self.wildcards.clear()

    def candidates(self, topic: str) -> list[str]:
        """The filters that may match ``topic``: itself, and every wildcard filter."""
        found = [topic] if topic in self else []
        found.extend(self.wildcards)
        return found


def indexed_broadcast_mixin() -> type:
    """A mixin for amqtt's ``Broker`` (put before it in the bases) using ``SubscriptionIndex``."""
    from amqtt.contexts import Action
    from amqtt.events import BrokerEvents
    from amqtt.mqtt.constants import QOS_1, QOS_2

    class IndexedBroadcast:
        _subscriptions: Any
        _broadcast_queue: Any
        _tasks_queue: deque[asyncio.Task[Any]]
        plugins_manager: Any
        logger: Any

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._subscriptions = SubscriptionIndex()

        async def _run_broadcast(self, running_tasks: deque[asyncio.Task[Any]]) -> None:
            """amqtt 0.12.1's ``Broker._run_broadcast``, over the candidate filters only, and
            for every message queued so far (up to ``BROADCAST_BATCH``), not one.

            amqtt's broadcast loop spends a task and an ``asyncio.wait`` (several loop turns)
            per message while each connection's reader adds one per turn: under one client's
            flood the shared queue grew without end and every other client's messages waited
            behind it (issue #14). Draining it per turn keeps it short.
            """
            queue = self._broadcast_queue
            broadcast = await queue.get()
            for _ in range(BROADCAST_BATCH):
                await self._broadcast_one(broadcast, running_tasks)
                if queue.empty():
                    return
                broadcast = queue.get_nowait()
            await self._broadcast_one(broadcast, running_tasks)

        async def _broadcast_one(
            self, broadcast: dict[str, Any], running_tasks: deque[asyncio.Task[Any]]
        ) -> None:
            topic = broadcast["topic"]
            subscriptions_by_filter = self._subscriptions
            for k_filter in subscriptions_by_filter.candidates(topic):
                subscriptions = subscriptions_by_filter.get(k_filter)
                if not subscriptions or not self._matches(topic, k_filter):  # type: ignore[attr-defined]
                    continue
                for target_session, sub_qos in list(subscriptions):
                    await self._broadcast_to(broadcast, target_session, sub_qos, running_tasks)

        async def moto_publish_now(self, client_session: Any, app_message: Any) -> None:
            """A QoS 0 publish to an ``$aws/`` topic, fanned out by its reader's task at once.

            amqtt passes every publish through the session's queue, the session's message
            loop and the broadcast queue: about seven loop turns before a subscriber's write
            is scheduled, each turn shared with every other connection's work. Under one
            device's flood a quiet device's request and its reply spent most of their time
            there (#14). The steps are those of ``_handle_message_delivery`` (events, the
            publish ACL, the fan-out), in one task; a client's QoS 0 ``$aws/`` publishes keep
            their order (nothing here waits).
            """
            topic = app_message.topic
            await self.plugins_manager.fire_event(
                BrokerEvents.MESSAGE_RECEIVED, client_id=client_session.client_id, message=app_message
            )
            if not await self._topic_filtering(  # type: ignore[attr-defined]
                client_session, topic=topic, action=Action.PUBLISH
            ):
                self.logger.info(f"{client_session.client_id} not allowed to publish to TOPIC {topic}.")
                return
            await self.plugins_manager.fire_event(
                BrokerEvents.MESSAGE_BROADCAST, client_id=client_session.client_id, message=app_message
            )
            running_tasks = self._tasks_queue
            while running_tasks and running_tasks[0].done():  # the broadcast loop's reaping
                running_tasks.popleft()
            broadcast = {"session": client_session, "topic": topic, "data": app_message.data}
            await self._broadcast_one(broadcast, running_tasks)

        async def _broadcast_to(
            self, broadcast: dict[str, Any], target_session: Any, sub_qos: int,
            running_tasks: deque[asyncio.Task[Any]],
        ) -> None:
            """One subscriber: the body of amqtt 0.12.1's inner loop, step for step, except
            that the Jobs service's own publishes are not sent back to it (its filter
            ``$aws/things/+/jobs/#`` matches its replies, which it would only drop: that
            doubled the broker's work per request, #14)."""
            if _is_service(target_session) and broadcast.get("session") is target_session:
                return
            qos = broadcast.get("qos", sub_qos)
            sendable = await self._topic_filtering(  # type: ignore[attr-defined]
                target_session, topic=broadcast["topic"], action=Action.RECEIVE
            )
            if not sendable:
                self.logger.info(
                    f"{target_session.client_id} not allowed to receive messages from TOPIC "
                    f"{broadcast['topic']}."
                )
                return
            # Retain for disconnected persistent sessions at QoS 1/2 [MQTT 3.1.2.4]
            if (
                target_session.transitions.state != "connected"
                and not target_session.clean_session
                and qos in (QOS_1, QOS_2)
                and not target_session.is_anonymous
            ):
                await self._retain_broadcast_message(broadcast, qos, target_session)  # type: ignore[attr-defined]
                return
            if target_session.transitions.state != "connected":
                return
            handler = self._get_handler(target_session)  # type: ignore[attr-defined]
            if handler:
                task = asyncio.ensure_future(
                    handler.mqtt_publish(broadcast["topic"], broadcast["data"], qos, retain=False)
                )
                running_tasks.append(task)

    return IndexedBroadcast


def _is_service(session: Any) -> bool:
    """The Jobs service's own connection (the bridge's client id prefix)."""
    return str(getattr(session, "client_id", "") or "").startswith(SERVICE_CLIENT_PREFIX)


def publish_fast(handler: Any, broker: Any) -> None:
    """Route a connection's QoS 0 ``$aws/`` publishes through ``broker.moto_publish_now``.

    Set on the connection's amqtt protocol handler once its session exists; every other
    publish (QoS 1 and 2, retained, other topics) takes amqtt's own path unchanged.
    """
    from amqtt.session import IncomingApplicationMessage

    original = handler.handle_publish

    async def handle_publish(packet: Any) -> None:
        topic = packet.topic_name
        if (
            packet.qos == 0
            and not packet.retain_flag
            and topic
            and topic.startswith("$aws/")
            and "#" not in topic
            and "+" not in topic
            and packet.data is not None
            and handler.session is not None
        ):
            message = IncomingApplicationMessage(None, topic, 0, packet.data, False)
            message.publish_packet = packet
            await broker.moto_publish_now(handler.session, message)
            return
        await original(packet)

    handler.handle_publish = handle_publish
