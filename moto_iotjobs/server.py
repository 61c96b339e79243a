"""`python -m moto_iotjobs` / `moto-iotjobs`: moto's server with the IoT Jobs routes in place.

Serves every moto service, in memory, threaded, on --host (127.0.0.1) and --port (5000).
The AWS CLI and other SDKs reach both planes with `--endpoint-url http://HOST:PORT`: moto's
server picks the backend from the SigV4 scope (`iot` or `iot-jobs-data`).
`POST /moto-api/reset` clears everything, IoT Jobs state and injected faults included.
With `--mqtt-port` an MQTT broker answering the Jobs MQTT API runs beside it (needs the
`[mqtt]` extra); that plain-TCP port is UNAUTHENTICATED. With `--mqtt-tls-port` (8883 at AWS)
devices connect with mutual TLS and a registry certificate, and IoT policies are enforced;
the mock CA's file is printed and served at `GET /moto-api/iotjobs/ca.pem`.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

from moto_iotjobs.moto_integration.registration import register


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
        "--mqtt-tls-port",
        type=int,
        default=None,
        help="also run the mutual-TLS MQTT listener (registry certificates, IoT policies) on this "
        "port (AWS: 8883; 0: any free port); implies a broker (plain port: --mqtt-port or any)",
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
    register()
    mqtt = None
    if args.mqtt_port is not None or args.mqtt_tls_port is not None:
        from moto_iotjobs.mqtt.service import MqttJobsService

        mqtt = MqttJobsService(
            host=args.host,
            port=args.mqtt_port or 0,
            kind=args.mqtt_broker,
            tls_port=args.mqtt_tls_port,
        ).start()
        print(
            f"moto-iotjobs: Jobs MQTT API on mqtt://{mqtt.host}:{mqtt.port} "
            "(plain TCP, unauthenticated)",
            flush=True,
        )
        if mqtt.tls_port is not None:
            print(
                f"moto-iotjobs: Jobs MQTT API on mqtts://{mqtt.host}:{mqtt.tls_port} "
                f"(mutual TLS, IoT policies); CA file {mqtt.ca_path}",
                flush=True,
            )
    from moto.server import main as moto_server_main

    print(f"moto-iotjobs: HTTP on http://{args.host}:{args.port}", flush=True)
    try:
        moto_server_main(["-H", args.host, "-p", str(args.port)])
    finally:
        if mqtt is not None:
            mqtt.stop()


if __name__ == "__main__":
    main()
