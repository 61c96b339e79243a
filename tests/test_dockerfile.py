"""The Dockerfile's steps, run without a container runtime: its install step in a fresh venv
(from a copy of what it COPYs), then its start command, on 127.0.0.1 and free ports instead
of 0.0.0.0 and the published ones, until its HEALTHCHECK passes; SIGTERM ends it with exit 0
and state written to the state directory."""

from __future__ import annotations

import json
import shlex
import shutil
import signal
import subprocess
import time
import venv
from pathlib import Path

import pytest

from .helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.server, pytest.mark.mqtt]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    steps: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        keyword, _, arguments = text.partition(" ")
        steps.append((keyword.upper(), arguments.strip()))
    return steps


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), "exec form (a JSON array): SIGTERM must reach python itself"
    return [str(v) for v in value]


def test_dockerfile_shape() -> None:
    steps = instructions()
    keywords = [keyword for keyword, _ in steps]
    assert steps[0] == ("FROM", "python:3.12-slim")
    users = [arguments for keyword, arguments in steps if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    exposed = {port for keyword, arguments in steps if keyword == "EXPOSE" for port in arguments.split()}
    assert {"5000", "1883", "8883"} <= exposed
    assert ("VOLUME", '["/data"]') in steps
    assert "HEALTHCHECK" in keywords and keywords.index("CMD") > keywords.index("USER")
    command = _exec_form(dict(steps)["CMD"])
    assert command[:3] == ["python", "-m", "moto_iotjobs"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--state-dir") + 1] == "/data"


@pytest.mark.timeout(900)
def test_install_and_start_steps_in_a_fresh_venv(tmp_path: Path) -> None:
    steps = instructions()
    context = tmp_path / "image"
    workdir = context
    environment: dict[str, str] = {}
    for keyword, arguments in steps:
        if keyword == "WORKDIR":
            workdir = context / arguments.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for pair in shlex.split(arguments):
                name, _, value = pair.partition("=")
                environment[name] = value
        elif keyword == "COPY":
            *sources, _target = shlex.split(arguments)
            for source in sources:
                origin = ROOT / source
                if origin.is_dir():
                    shutil.copytree(origin, workdir / source, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(origin, workdir / source)
    installs = [arguments for keyword, arguments in steps if keyword == "RUN" and arguments.startswith("pip install")]
    assert installs == ['pip install ".[mqtt]"']  # the README's install command
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = str(env_dir / "bin" / "python")
    run_env = {**environment, "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for install in installs:
        subprocess.run(shlex.split(install.replace("pip", f"{python} -m pip", 1)), cwd=workdir, env=run_env,
                       check=True, timeout=780, capture_output=True)

    state_dir = tmp_path / "data"
    http_port, mqtt_port, tls_port = free_port(), free_port(), free_port()
    ports = {"5000": str(http_port), "1883": str(mqtt_port), "8883": str(tls_port)}
    command = _exec_form(dict(steps)["CMD"])
    command = [{"python": python, "0.0.0.0": "127.0.0.1", "/data": str(state_dir)}.get(part, ports.get(part, part)) for part in command]
    health = _exec_form(dict(steps)["HEALTHCHECK"].split(" CMD ", 1)[1])
    health = [python if part == "python" else part.replace(":5000/", f":{http_port}/") for part in health]
    process = subprocess.Popen(command, cwd=tmp_path, env=run_env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while subprocess.run(health, env=run_env, capture_output=True, timeout=10).returncode != 0:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "HEALTHCHECK did not pass within 60 s"
            time.sleep(0.5)
        create = [python, "-c", (
            "import boto3; boto3.client('iot', region_name='us-east-1', endpoint_url="
            f"'http://127.0.0.1:{http_port}', aws_access_key_id='t', aws_secret_access_key='t')"
            ".create_thing(thingName='in-container')"
        )]
        subprocess.run(create, env=run_env, check=True, timeout=60, capture_output=True)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert (state_dir / "snapshot.pkl").exists()
    assert "moto-iotjobs: stopped" in output
