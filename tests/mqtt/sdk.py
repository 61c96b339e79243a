"""An AWS IoT Device SDK (awscrt) MQTT 3.1.1 connection over plain TCP, for the SDK tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def sdk_connection(host: str, port: int) -> Iterator[Any]:
    """Connected for the `with` block: awscrt needs no TLS context (`Client(None, None)`)."""
    from awscrt import mqtt as awscrt_mqtt

    connection = awscrt_mqtt.Connection(
        client=awscrt_mqtt.Client(None, None),
        host_name=host,
        port=port,
        client_id=f"sdk-device-{uuid.uuid4().hex[:8]}",
        clean_session=True,
        keep_alive_secs=30,
        use_websockets=False,
    )
    connection.connect().result(10)
    try:
        yield connection
    finally:
        connection.disconnect().result(10)
