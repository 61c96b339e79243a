"""Local broker lifecycle: ports, readiness, clean idempotent stop, no leaks, both kinds."""

from __future__ import annotations

import gc
import os
import socket
import threading
import time
import warnings

import pytest

from moto_iotjobs.mqtt import BrokerNotAvailable, RunningBroker, start_broker
from moto_iotjobs.mqtt import broker as broker_module

pytestmark = pytest.mark.mqtt


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _open_fds() -> int | None:
    path = "/proc/self/fd"
    return len(os.listdir(path)) if os.path.isdir(path) else None


def test_port_zero_picks_a_free_port_that_accepts_on_return(broker_kind: str) -> None:
    running = start_broker(kind=broker_kind)
    try:
        assert running.host == "127.0.0.1"
        assert running.port > 0
        assert running.kind == broker_kind
        assert _accepts(running.host, running.port)
    finally:
        running.stop()
    assert not _accepts(running.host, running.port)


def test_explicit_port(broker_kind: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with start_broker(port=port, kind=broker_kind) as running:
        assert running.port == port
        assert _accepts("127.0.0.1", port)


def test_context_manager_and_idempotent_stop(broker_kind: str) -> None:
    with start_broker(kind=broker_kind) as running:
        assert isinstance(running, RunningBroker)
        assert running.running
        running.stop()
        assert not running.running
    running.stop()
    assert not running.running
    assert "stopped" in repr(running)


def test_two_brokers_side_by_side(broker_kind: str) -> None:
    with start_broker(kind=broker_kind) as first, start_broker(kind=broker_kind) as second:
        assert first.port != second.port
        assert _accepts(first.host, first.port) and _accepts(second.host, second.port)


def test_port_in_use_is_a_clear_error(broker_kind: str) -> None:
    with start_broker(kind=broker_kind) as running, pytest.raises(broker_module.BrokerError):
        start_broker(port=running.port, kind=broker_kind)


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown broker kind"):
        start_broker(kind="hivemq")  # type: ignore[arg-type]


def test_missing_mosquitto_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_module, "find_mosquitto", lambda: None)
    with pytest.raises(
        BrokerNotAvailable, match="mosquitto is not installed.*apt-get install mosquitto"
    ):
        start_broker(kind="mosquitto")


def test_many_start_stop_cycles_leak_nothing(
    broker_kind: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """Threads, file descriptors, subprocesses and temp dirs all go away; nothing is printed."""
    # Warm up once so lazy imports and logging handlers do not count as leaks.
    start_broker(kind=broker_kind).stop()
    gc.collect()
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(20):
            running = start_broker(kind=broker_kind)
            assert _accepts(running.host, running.port)
            running.stop()
            if broker_kind == "mosquitto":
                pid = running.pid  # type: ignore[attr-defined]
                assert running._process.returncode is not None  # type: ignore[attr-defined]
                assert not os.path.exists(running._workdir)  # type: ignore[attr-defined]
                with pytest.raises(ProcessLookupError):
                    os.kill(pid, 0)
        gc.collect()
    assert set(threading.enumerate()) == threads_before
    if fds_before is not None:
        assert _open_fds() == fds_before
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_stop_with_clients_still_connected(
    broker_kind: str, make_device, capfd: pytest.CaptureFixture[str]
) -> None:
    """Devices (and a half-open TCP connection that never sent CONNECT) do not block stop()."""
    threads_before = set(threading.enumerate())
    running = start_broker(kind=broker_kind)
    device = make_device(running)
    device.subscribe("$aws/things/t1/jobs/notify")
    raw = socket.create_connection((running.host, running.port))
    try:
        running.stop()
    finally:
        raw.close()
        device.close()
    gc.collect()
    assert set(threading.enumerate()) <= threads_before
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_amqtt_accepts_dollar_topics_but_not_sys(amqtt_broker: RunningBroker, make_device) -> None:
    """The patch: clients may publish to $aws/...; $SYS stays reserved to the broker."""
    listener = make_device(amqtt_broker)
    listener.subscribe("$aws/things/t1/jobs/notify")
    listener.subscribe("$SYS/test")
    sender = make_device(amqtt_broker)
    sender.publish("$aws/things/t1/jobs/notify", b"hello")
    assert listener.receive() == ("$aws/things/t1/jobs/notify", b"hello")
    sender.publish("$SYS/test", b"nope")
    listener.assert_nothing_received()


def test_amqtt_ordinary_topics_still_work(amqtt_broker: RunningBroker, make_device) -> None:
    listener = make_device(amqtt_broker)
    listener.subscribe("devices/+/status", qos=1)
    make_device(amqtt_broker).publish("devices/d1/status", b"up", qos=1)
    assert listener.receive() == ("devices/d1/status", b"up")


def test_amqtt_wildcard_filters_do_not_match_dollar_topics(
    amqtt_broker: RunningBroker, make_device
) -> None:
    """[MQTT-4.7.2-1]: '#' and '+' at the first level never match $ topics (same as AWS IoT)."""
    listener = make_device(amqtt_broker)
    listener.subscribe("#")
    make_device(amqtt_broker).publish("$aws/things/t1/jobs/notify", b"x")
    listener.assert_nothing_received()


def test_amqtt_stop_right_after_qos1_exchange_is_prompt(amqtt_kind: str, make_device) -> None:
    """amqtt's own shutdown hangs when a PUBACK is in flight; ours drops connections first."""
    running = start_broker(kind=amqtt_kind)
    listener = make_device(running)
    listener.subscribe("devices/+/status", qos=1)
    make_device(running).publish("devices/d1/status", b"up", qos=1)
    assert listener.receive() == ("devices/d1/status", b"up")
    started = time.monotonic()
    running.stop()
    assert time.monotonic() - started < 2.0


def _ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback(broker_kind: str, make_device) -> None:
    with start_broker(host="::1", kind=broker_kind) as running:
        assert running.host == "::1"
        listener = make_device(running)
        listener.subscribe("$aws/things/t1/jobs/notify")
        make_device(running).publish("$aws/things/t1/jobs/notify", b"v6")
        assert listener.receive() == ("$aws/things/t1/jobs/notify", b"v6")
        listener.close()
