"""Where an existing MQTT broker is: ``mqtt://[user[:password]@]host[:port]`` (issue #19).

The Jobs MQTT bridge can attach to a broker it did not start (a mosquitto shared by a fleet
simulator spread over several machines, for instance) instead of starting its own.
"""

from __future__ import annotations

from typing import NamedTuple, Optional
from urllib.parse import unquote, urlsplit

__all__ = ["BrokerAddress", "parse_broker_url"]

DEFAULT_MQTT_PORT = 1883


class BrokerAddress(NamedTuple):
    host: str
    port: int
    username: Optional[str] = None
    password: Optional[str] = None


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://host:port`` (port 1883 when left out), with optional percent-encoded
    ``user:password@``. ValueError, saying what is wrong, for anything else (TLS brokers,
    ``mqtts://``, are not supported: the bridge connects over plain TCP)."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt":
        raise ValueError(
            f"broker URL {url!r}: the scheme must be mqtt:// (plain TCP; mqtts:// and "
            "websockets are not supported)"
        )
    try:
        port = parts.port or DEFAULT_MQTT_PORT
    except ValueError as exc:
        raise ValueError(f"broker URL {url!r}: bad port ({exc})") from None
    if not parts.hostname:
        raise ValueError(f"broker URL {url!r}: no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker URL {url!r}: only mqtt://[user[:password]@]host[:port] is understood")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return BrokerAddress(parts.hostname, port, username, password)
