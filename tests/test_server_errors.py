"""`python -m moto_iotjobs` refuses what it cannot do with exit 2 and one line on stderr: a busy
HTTP or MQTT port, and the amqtt broker on Python 3.9."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from moto_iotjobs import server

from .helpers import free_port

pytestmark = pytest.mark.server


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 with a listener on it for the duration of the test."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def run_server(*args: str) -> subprocess.CompletedProcess[str]:
    """The server command, expected to exit by itself (bounded, in case it does not)."""
    return subprocess.run(
        [sys.executable, "-m", "moto_iotjobs", "--host", "127.0.0.1", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("moto-iotjobs: error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_busy_http_port(busy_port: int) -> None:
    result = run_server("--port", str(busy_port))
    assert_one_line_error(result, f"HTTP port 127.0.0.1:{busy_port} is already in use")
    assert "HTTP on" not in result.stdout  # it never claimed to serve


@pytest.mark.parametrize("broker", ["amqtt", "mosquitto"])
def test_busy_mqtt_port(busy_port: int, broker: str) -> None:
    result = run_server("--port", str(free_port()), "--mqtt-port", str(busy_port), "--mqtt-broker", broker)
    assert_one_line_error(result, f"MQTT port 127.0.0.1:{busy_port} is already in use")


def test_amqtt_broker_on_python_39_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked on every Python: the server decides from sys.version_info."""
    monkeypatch.setattr(server.sys, "version_info", (3, 9, 18))
    with pytest.raises(SystemExit) as exited:
        server.start_mqtt("127.0.0.1", 0, "amqtt")
    assert exited.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs Python 3.10+" in err[0] and "--mqtt-broker mosquitto" in err[0]
