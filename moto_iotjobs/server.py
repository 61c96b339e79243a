"""`python -m moto_iotjobs` / `moto-iotjobs`: moto's server with the IoT Jobs routes in place.

Serves every moto service, in memory, threaded, on --host (127.0.0.1) and --port (5000).
The AWS CLI and other SDKs reach both planes with `--endpoint-url http://HOST:PORT`: moto's
server picks the backend from the SigV4 scope (`iot` or `iot-jobs-data`).
`POST /moto-api/reset` clears everything, IoT Jobs state and injected faults included.
With `--mqtt-port` an MQTT broker answering the Jobs MQTT API runs beside it (needs the
`[mqtt]` extra); that plain-TCP port is UNAUTHENTICATED. With `--mqtt-tls-port` (8883 at AWS)
devices connect with mutual TLS and a registry certificate, and IoT policies are enforced;
the mock CA's file is printed and served at `GET /moto-api/iotjobs/ca.pem`.

With `--state-dir DIR` (or `$MOTO_IOTJOBS_STATE_DIR`) the state survives restarts, crashes
and `kill -9`: every change that succeeded is journaled before its response and replayed at
the next start (docs/persistence.md); SIGTERM ends with a snapshot and exit code 0.

A port already in use, or an MQTT broker that cannot run here (amqtt needs Python 3.10+),
ends the command with exit code 2 and one line on stderr, not a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any, NoReturn, Optional

from moto_iotjobs.moto_integration.registration import register

if TYPE_CHECKING:
    from moto_iotjobs.mqtt.service import MqttJobsService

#: The exit code of a usage or environment problem (argparse uses 2 for its own errors).
EXIT_USAGE = 2
#: moto's published_payloads kept per account and region by the server (about 20,000 job
#: lifecycles' messages; each is a few hundred bytes).
DEFAULT_MAX_RECORDED = 100_000


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
        except PermissionError:
            fail(
                f"may not bind {host}:{port}: ports below 1024 (such as 443) need root or "
                "CAP_NET_BIND_SERVICE (e.g. sudo setcap cap_net_bind_service=+ep on the python "
                "binary); or choose a port above 1023"
            )
        except OSError:
            return True
    return False


def start_mqtt(
    host: str, port: Optional[int], kind: str, tls_port: Optional[int] = None,
    alpn_port: Optional[int] = None, broker_url: Optional[str] = None,
) -> MqttJobsService:
    """The MQTT broker for --mqtt-port (and the mutual-TLS listener for --mqtt-tls-port), or
    the bridge on an existing broker (--mqtt-broker-url); exit 2 saying why it cannot run here."""
    if broker_url:
        return attach_mqtt(broker_url, port, tls_port)
    port = port or 0
    if port_in_use(host, port):
        fail(f"MQTT port {host}:{port} is already in use (--mqtt-port); choose another, or 0 for any free port")
    if tls_port is not None and port_in_use(host, tls_port):
        fail(f"MQTT TLS port {host}:{tls_port} is already in use (--mqtt-tls-port); choose another, or 0")
    if alpn_port is not None and port_in_use(host, alpn_port):
        fail(f"MQTT port {host}:{alpn_port} is already in use (--mqtt-alpn-port); choose another, or 0")
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
        return MqttJobsService(
            host=host, port=port, kind=kind, tls_port=tls_port, alpn_port=alpn_port  # type: ignore[arg-type]
        ).start()
    except BrokerError as problem:
        fail(" ".join(str(problem).split()))  # a broker's log may span lines


def attach_mqtt(broker_url: str, port: Optional[int], tls_port: Optional[int]) -> MqttJobsService:
    """The Jobs MQTT bridge on the broker at --mqtt-broker-url, or exit 2 saying why not."""
    if port is not None or tls_port is not None:
        fail("--mqtt-broker-url attaches to an existing broker: it does not go with --mqtt-port or --mqtt-tls-port")
    try:
        from moto_iotjobs.mqtt.bridge import BridgeError
        from moto_iotjobs.mqtt.service import MqttJobsService
    except ImportError as problem:
        fail(f"--mqtt-broker-url needs the [mqtt] extra (pip install \".[mqtt]\" in the checkout): {problem}")
    try:
        return MqttJobsService(broker_url=broker_url).start()
    except (ValueError, BridgeError) as problem:
        fail(f"--mqtt-broker-url: {problem}")


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
        "--mqtt-alpn-port",
        type=int,
        default=None,
        help="also serve what AWS IoT serves on port 443 on this port: MQTT over mutual TLS for "
        "clients with ALPN x-amzn-mqtt-ca, MQTT over WebSocket (wss://host:port/mqtt, SigV4 "
        "with moto's IAM keys) for the others. 443 itself needs root or CAP_NET_BIND_SERVICE",
    )
    parser.add_argument(
        "--mqtt-broker",
        choices=("amqtt", "mosquitto"),
        default="amqtt",
        help="broker for --mqtt-port (default amqtt; mosquitto must be on PATH)",
    )
    parser.add_argument(
        "--mqtt-broker-url",
        default=None,
        help="answer the Jobs MQTT API on this existing broker instead of starting one: "
        "mqtt://[user[:password]@]host[:port]",
    )
    front = parser.add_argument_group("HTTP front (who may call, and how much)")
    front.add_argument(
        "--allowed-hosts",
        default=os.environ.get("MOTO_IOTJOBS_ALLOWED_HOSTS", ""),
        help="comma-separated Host names answered besides local ones (e.g. a compose service "
        "name; '*' for any); default $MOTO_IOTJOBS_ALLOWED_HOSTS",
    )
    front.add_argument(
        "--cors-origins",
        default=os.environ.get("MOTO_IOTJOBS_CORS_ORIGINS"),
        help="comma-separated browser origins allowed (default: http(s)://localhost, 127.0.0.1 "
        "and [::1] on any port; '*' for any); default $MOTO_IOTJOBS_CORS_ORIGINS",
    )
    front.add_argument("--max-body-mb", type=float, default=16.0, help="request body limit (default 16 MiB; 413 above)")
    front.add_argument("--read-timeout", type=float, default=20.0, help="seconds a connection may send nothing (default 20)")
    front.add_argument("--max-connections", type=int, default=256, help="connections served at once (default 256)")
    front.add_argument("--ssl", action="store_true", help="HTTPS with a self-signed certificate made at start")
    front.add_argument("--ssl-cert", help="HTTPS with this certificate (PEM; with --ssl-key)")
    front.add_argument("--ssl-key", help="the private key of --ssl-cert (PEM)")
    state = parser.add_argument_group("persistence (docs/persistence.md)")
    state.add_argument(
        "--state-dir",
        default=os.environ.get("MOTO_IOTJOBS_STATE_DIR"),
        help="keep the state in this directory across restarts and crashes (journal + "
        "snapshots); default $MOTO_IOTJOBS_STATE_DIR; none: in memory only",
    )
    state.add_argument(
        "--fsync",
        choices=("always", "batch"),
        default=os.environ.get("MOTO_IOTJOBS_FSYNC", "batch"),
        help="always: each change reaches the disk before its response (survives power loss); "
        "batch (default): written before the response (survives a crash or kill -9), synced "
        "to disk every second",
    )
    state.add_argument(
        "--compact-mb",
        type=float,
        default=64.0,
        help="snapshot the state and restart the journal when it exceeds this size (default 64)",
    )
    parser.add_argument(
        "--max-recorded-messages",
        type=int,  # applied to the default too: a bad variable is a usage error, not a traceback
        default=os.environ.get("MOTO_IOTJOBS_MAX_RECORDED_MESSAGES") or str(DEFAULT_MAX_RECORDED),
        help="MQTT messages kept per account and region in moto's published_payloads, oldest "
        f"dropped first (default {DEFAULT_MAX_RECORDED}, or $MOTO_IOTJOBS_MAX_RECORDED_MESSAGES; "
        "0: unbounded)",
    )
    logs = parser.add_argument_group("request log")
    logs.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=os.environ.get("MOTO_IOTJOBS_LOG_LEVEL", "info"),
        help="info: a line per request; warning: failed requests only (default info)",
    )
    logs.add_argument("--log-json", action="store_true", help="request log lines as JSON objects")
    args = parser.parse_args(argv)
    if bool(args.ssl_cert) != bool(args.ssl_key):
        parser.error("--ssl-cert and --ssl-key go together")
    return args


def _split(text: Optional[str]) -> Optional[list[str]]:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if port_in_use(args.host, args.port):
        fail(f"HTTP port {args.host}:{args.port} is already in use (--port); choose another")
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    register()
    from moto_iotjobs.services.jobs.notifications import set_max_recorded_messages

    set_max_recorded_messages(args.max_recorded_messages)  # a long-running server: bounded
    persistence = None
    if args.state_dir:
        persistence = start_persistence(args.state_dir, args.fsync, args.compact_mb)
    mqtt = None
    if (
        args.mqtt_port is not None
        or args.mqtt_tls_port is not None
        or args.mqtt_alpn_port is not None
        or args.mqtt_broker_url
    ):
        mqtt = start_mqtt(
            args.host, args.mqtt_port, args.mqtt_broker, args.mqtt_tls_port, args.mqtt_alpn_port,
            args.mqtt_broker_url,
        )
        print(
            f"moto-iotjobs: Jobs MQTT API on mqtt://{mqtt.host}:{mqtt.port} "
            + ("(an existing broker)" if args.mqtt_broker_url else "(plain TCP, unauthenticated)"),
            flush=True,
        )
        if mqtt.tls_port is not None:
            print(
                f"moto-iotjobs: Jobs MQTT API on mqtts://{mqtt.host}:{mqtt.tls_port} "
                f"(mutual TLS, IoT policies); CA file {mqtt.ca_path}",
                flush=True,
            )
        if mqtt.alpn_port is not None:
            print(
                f"moto-iotjobs: port-443 listener on {mqtt.host}:{mqtt.alpn_port}: MQTT over mutual "
                f"TLS with ALPN x-amzn-mqtt-ca, MQTT over WebSocket at "
                f"wss://{mqtt.host}:{mqtt.alpn_port}/mqtt (SigV4)",
                flush=True,
            )
    from moto_iotjobs.serving.guard import GuardPolicy
    from moto_iotjobs.serving.http import make_server

    policy = GuardPolicy(
        allowed_hosts=_split(args.allowed_hosts) or [],
        cors_origins=_split(args.cors_origins),
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
    )
    ssl_context: Any = (args.ssl_cert, args.ssl_key) if args.ssl_cert else ("adhoc" if args.ssl else None)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # moto builds some URLs from it
    try:
        server = make_server(
            args.host,
            args.port,
            policy,
            ssl_context=ssl_context,
            read_timeout=args.read_timeout,
            max_connections=args.max_connections,
            json_log=args.log_json,
        )
    except (OSError, ValueError) as problem:
        if mqtt is not None:
            mqtt.stop()
        fail(f"cannot serve HTTP on {args.host}:{args.port}: {problem}")
    scheme = "https" if ssl_context else "http"
    print(f"moto-iotjobs: HTTP on {scheme}://{args.host}:{server.server_port}", flush=True)
    stop_on_signals(server)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if mqtt is not None:
            mqtt.stop()
        if persistence is not None:
            from moto_iotjobs.serving.persistence import disable_persistence

            disable_persistence()
    print("moto-iotjobs: stopped", flush=True)


def start_persistence(state_dir: str, fsync: str, compact_mb: float) -> Any:
    """Restore the state of --state-dir and journal what follows, or exit 2 saying why not."""
    from moto_iotjobs.serving.persistence import IncompatibleState, StateDirBusy, enable_persistence

    try:
        persistence = enable_persistence(state_dir, fsync=fsync, compact_bytes=int(compact_mb * 1024 * 1024))
    except (IncompatibleState, StateDirBusy, OSError) as problem:
        fail(f"--state-dir: {problem}")
    from moto_iotjobs.serving import persistence as state

    restored = state.last_restore
    if restored is not None:
        print(
            f"moto-iotjobs: state dir {state_dir}: restored in {restored.seconds:.2f} s "
            f"(snapshot: {'yes' if restored.snapshot_loaded else 'no'}, "
            f"{restored.records_replayed} journal records)",
            flush=True,
        )
        if restored.dropped_bytes:
            print(
                f"moto-iotjobs: warning: dropped a damaged tail of {restored.dropped_bytes} bytes "
                "from the journal (a crash mid-write); everything before it is restored",
                flush=True,
            )
        if restored.records_diverged:
            print(
                f"moto-iotjobs: warning: {restored.records_diverged} journal records failed on "
                "replay (see the log)",
                flush=True,
            )
    return persistence


def stop_on_signals(server: Any) -> None:
    """SIGTERM (docker stop, systemd) and SIGINT end the serve loop; `main` then stops the
    broker and returns, so the process exits 0 well within docker's 10 s grace period."""

    def stop(signum: int, frame: Any) -> None:
        threading.Thread(target=server.shutdown, name="moto-iotjobs-shutdown", daemon=True).start()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)


if __name__ == "__main__":
    main()
