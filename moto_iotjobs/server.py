"""`python -m moto_iotjobs` / `moto-iotjobs`: moto's server with the IoT Jobs routes in place.

Serves every moto service, in memory, threaded, on --host (127.0.0.1) and --port (5000).
The AWS CLI and other SDKs reach both planes with `--endpoint-url http://HOST:PORT`: moto's
server picks the backend from the SigV4 scope (`iot` or `iot-jobs-data`).
`POST /moto-api/reset` clears everything, IoT Jobs state and injected faults included.
With `--mqtt-port` an MQTT broker answering the Jobs MQTT API runs beside it (needs the
`[mqtt]` extra).

A port already in use, or an MQTT broker that cannot run here (amqtt needs Python 3.10+),
ends the command with exit code 2 and one line on stderr, not a traceback.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import TYPE_CHECKING, NoReturn, Optional

from moto_iotjobs.moto_integration.registration import register

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.service import MqttJobsService

#: The exit code of a usage or environment problem (argparse uses 2 for its own errors).
EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    """One line on stderr and exit 2: the user needs the reason, not our stack."""
    print(f"moto-iotjobs: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_USAGE)


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on host:port (checked by binding, as a server would,
    with SO_REUSEADDR so that a port only lingering in TIME_WAIT counts as free)."""
    if port == 0:
        return False
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as problem:
        fail(f"cannot resolve --host {host!r}: {problem}")
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError:
            return True
    return False


def start_mqtt(host: str, port: int, kind: str) -> MqttJobsService:
    """The MQTT broker for --mqtt-port, or exit 2 saying why it cannot run here."""
    if port_in_use(host, port):
        fail(f"MQTT port {host}:{port} is already in use (--mqtt-port); choose another, or 0 for any free port")
    if kind == "amqtt" and sys.version_info < (3, 10):
        fail(
            f"--mqtt-port with the default amqtt broker needs Python 3.10+ (this is "
            f"{sys.version.split()[0]}); use --mqtt-broker mosquitto (with mosquitto installed) "
            "or Python 3.10+"
        )
    try:
        from moto_iotjobs.mqtt.broker import BrokerError
        from moto_iotjobs.mqtt.service import MqttJobsService
    except ImportError as problem:
        fail(f"--mqtt-port needs the [mqtt] extra (pip install \".[mqtt]\" in the checkout): {problem}")
    try:
        return MqttJobsService(host=host, port=port, kind=kind).start()  # type: ignore[arg-type]
    except BrokerError as problem:
        fail(" ".join(str(problem).split()))  # a broker's log may span lines


def parse_args(argv: Optional[list[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="moto-iotjobs",
        description="moto server with AWS IoT Jobs (control plane and iot-jobs-data device plane)",
    )
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "-p",
        "--port",
        type=int,
        default=int(os.environ.get("MOTO_PORT", 5000)),
        help="HTTP port (default 5000, or $MOTO_PORT)",
    )
    parser.add_argument(
        "--mqtt-port",
        type=int,
        default=None,
        help="also run an MQTT broker answering the Jobs MQTT API on this port (0: any free port)",
    )
    parser.add_argument(
        "--mqtt-broker",
        choices=("amqtt", "mosquitto"),
        default="amqtt",
        help="broker for --mqtt-port (default amqtt; mosquitto must be on PATH)",
    )
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if port_in_use(args.host, args.port):
        fail(f"HTTP port {args.host}:{args.port} is already in use (--port); choose another")
    register()
    mqtt = None
    if args.mqtt_port is not None:
        mqtt = start_mqtt(args.host, args.mqtt_port, args.mqtt_broker)
        print(f"moto-iotjobs: Jobs MQTT API on mqtt://{mqtt.host}:{mqtt.port}", flush=True)
    from moto.server import main as moto_server_main

    print(f"moto-iotjobs: HTTP on http://{args.host}:{args.port}", flush=True)
    try:
        moto_server_main(["-H", args.host, "-p", str(args.port)])
    finally:
        if mqtt is not None:
            mqtt.stop()


if __name__ == "__main__":
    main()
