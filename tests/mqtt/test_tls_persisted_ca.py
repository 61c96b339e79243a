"""With `--state-dir` the mock CA is kept with the state: after a restart the server presents a
certificate from the same CA, so a device that saved `ca.pem` and a CreateCertificateFromCsr
certificate (issued by that CA) connects again unchanged (docs/persistence.md)."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from cryptography import x509

from ..helpers import free_port, start_server_process
from .devices import (
    CONNECT_ANY_POLICY,
    TlsDevice,
    csr_pem,
    key_pem,
    new_device_key,
    write_credentials,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.server]


class _Server:
    def __init__(self, state_dir: Path) -> None:
        self.http_port, self.tls_port = free_port(), free_port()
        self.process = start_server_process(
            self.http_port, "--state-dir", str(state_dir), "--mqtt-tls-port", str(self.tls_port))
        self.endpoint = f"http://127.0.0.1:{self.http_port}"

    def ca_pem(self) -> bytes:
        return requests.get(f"{self.endpoint}/moto-api/iotjobs/ca.pem", timeout=5).content

    def iot(self) -> Any:
        return boto3.client("iot", region_name="us-east-1", endpoint_url=self.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> str:
        self.process.terminate()
        return str(self.process.communicate(timeout=60)[0])


@pytest.fixture
def servers() -> Any:
    started: list[_Server] = []

    def start(state_dir: Path) -> _Server:
        started.append(_Server(state_dir))
        return started[-1]

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate(timeout=10)


def _csr_device(iot: Any, directory: Path) -> Any:
    key = new_device_key()
    created = iot.create_certificate_from_csr(
        certificateSigningRequest=csr_pem(key, "kept-device"), setAsActive=True)
    iot.create_policy(policyName="connect", policyDocument=CONNECT_ANY_POLICY)
    iot.attach_policy(policyName="connect", target=created["certificateArn"])
    return write_credentials(created["certificatePem"], key_pem(key), created["certificateArn"],
                             created["certificateId"])


def _connects(server: _Server, ca_path: str, credentials: Any) -> bool:
    try:
        device = TlsDevice(server.tls_port, ca_path, credentials, "kept-device")
    except ssl.SSLCertVerificationError:
        return False
    try:
        return bool(device.accepted)
    finally:
        device.close()


@pytest.mark.timeout(180)
def test_the_mock_ca_survives_a_restart_with_the_same_state_dir(tmp_path: Path, servers: Any) -> None:
    state_dir, saved_ca = tmp_path / "state", str(tmp_path / "device-ca.pem")
    first = servers(state_dir)
    ca_pem = first.ca_pem()
    with open(saved_ca, "wb") as handle:
        handle.write(ca_pem)
    credentials = _csr_device(first.iot(), tmp_path)
    issuer = x509.load_pem_x509_certificate(credentials.cert_pem.encode()).issuer
    assert issuer == x509.load_pem_x509_certificate(ca_pem).subject
    assert _connects(first, saved_ca, credentials)
    output = first.stop()
    kept = state_dir / "mock-ca" / "ca.pem"
    assert kept.read_bytes() == ca_pem
    assert str(kept) in output  # the CA file printed at start is the kept one
    assert oct(os.stat(state_dir / "mock-ca" / "ca.key").st_mode & 0o777) == "0o600"

    second = servers(state_dir)
    assert second.ca_pem() == ca_pem
    assert second.iot().describe_certificate(
        certificateId=credentials.certificate_id)["certificateDescription"]["status"] == "ACTIVE"
    assert _connects(second, saved_ca, credentials)
    second.stop()

    # another state directory has another CA: the saved ca.pem does not verify its server
    other = servers(tmp_path / "other-state")
    assert other.ca_pem() != ca_pem
    assert not _connects(other, saved_ca, credentials)
    other.stop()
