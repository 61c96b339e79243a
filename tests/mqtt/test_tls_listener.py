"""The mutual-TLS listener: the mock CA and server certificate, registry certificates as device
identities, refusals at CONNECT."""

from __future__ import annotations

import datetime
import functools
import ssl
from typing import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .devices import (
    TlsDevice,
    allow,
    arn,
    policy_document,
    provision,
    tls_handshake,
    write_credentials,
)

pytestmark = pytest.mark.mqtt

CONNECT_ANY = policy_document(allow("iot:Connect", arn("client", "*")))


@pytest.fixture
def make_tls_device(make_tls_device: Callable[..., TlsDevice]) -> Callable[..., TlsDevice]:
    """The listener's tests look at refusals: a device that was refused is returned too."""
    return functools.partial(make_tls_device, must_connect=False)


def _self_made_certificate() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my device")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key_pem


def test_server_certificate_covers_loopback_and_the_data_ats_endpoint(iotjobs, iotjobs_mqtt_tls):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=CONNECT_ANY)
    endpoint = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    assert endpoint.endswith("-ats.iot.us-east-1.amazonaws.com")
    for server_name in ("localhost", "127.0.0.1", endpoint):
        with tls_handshake(
            iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, server_name, credentials
        ) as sock:
            assert sock.version() in ("TLSv1.2", "TLSv1.3")
    with pytest.raises(ssl.SSLCertVerificationError):
        tls_handshake(
            iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, "example.com", credentials
        )


def test_a_connection_without_a_client_certificate_is_refused(iotjobs_mqtt_tls):
    with pytest.raises((ssl.SSLError, ConnectionError)):  # noqa: PT012
        sock = tls_handshake(iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, "localhost")
        sock.sendall(b"\x10\x00")  # TLS 1.3 reports the server's refusal on first use
        assert sock.recv(1) == b"", "the server kept a connection without a client certificate"
        raise ConnectionError("closed")


def test_an_unknown_certificate_fails_the_handshake(iotjobs, iotjobs_mqtt_tls):
    pem, key = _self_made_certificate()
    credentials = write_credentials(pem, key, "", "")
    with pytest.raises((ssl.SSLError, ConnectionError)):  # noqa: PT012
        sock = tls_handshake(
            iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, "localhost", credentials
        )
        sock.sendall(b"\x10\x00")
        assert sock.recv(1) == b""
        raise ConnectionError("closed")


def test_registry_certificate_with_a_connect_policy_connects(iotjobs, make_tls_device):
    credentials = provision(iotjobs.client("iot"), policy=CONNECT_ANY)
    assert make_tls_device(credentials, "any-client").accepted


def test_a_certificate_created_after_start_is_trusted(iotjobs, iotjobs_mqtt_tls, make_tls_device):
    """The listener started before the certificate existed (dynamic trust)."""
    assert iotjobs_mqtt_tls.running
    first = provision(iotjobs.client("iot"), policy=CONNECT_ANY)
    assert make_tls_device(first, "first").accepted
    second = provision(iotjobs.client("iot"), policy=CONNECT_ANY)
    assert make_tls_device(second, "second").accepted


@pytest.mark.parametrize("status", ["INACTIVE", "REVOKED"])
def test_inactive_and_revoked_certificates_are_refused(iotjobs, make_tls_device, status):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=CONNECT_ANY)
    iot.update_certificate(certificateId=credentials.certificate_id, newStatus=status)
    device = make_tls_device(credentials, "dev1")
    assert device.refused_not_authorized


def test_a_certificate_created_inactive_is_refused_until_activated(iotjobs, make_tls_device):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=CONNECT_ANY, active=False)
    assert make_tls_device(credentials, "dev1").refused_not_authorized
    iot.update_certificate(certificateId=credentials.certificate_id, newStatus="ACTIVE")
    assert make_tls_device(credentials, "dev1").accepted


def test_a_deleted_certificate_is_refused(iotjobs, make_tls_device):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=None)
    refused_before = make_tls_device(credentials, "dev1")  # known to the listener by now
    assert refused_before.refused_not_authorized  # no policy yet
    iot.update_certificate(certificateId=credentials.certificate_id, newStatus="INACTIVE")
    iot.delete_certificate(certificateId=credentials.certificate_id)
    device = make_tls_device(credentials, "dev1")
    assert device.refused_not_authorized


def test_a_certificate_deleted_before_any_connection_fails_the_handshake(iotjobs, make_tls_device):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=None, active=False)
    iot.delete_certificate(certificateId=credentials.certificate_id)
    device = make_tls_device(credentials, "dev1")
    assert device.result is None and not device.accepted


def test_a_certificate_without_policy_is_refused(iotjobs, make_tls_device):
    credentials = provision(iotjobs.client("iot"), policy=None)
    device = make_tls_device(credentials, "dev1")
    assert device.refused_not_authorized


def test_a_detached_policy_no_longer_allows_connect(iotjobs, make_tls_device):
    iot = iotjobs.client("iot")
    credentials = provision(iot, policy=None)
    iot.create_policy(policyName="connect", policyDocument=CONNECT_ANY)
    iot.attach_policy(policyName="connect", target=credentials.certificate_arn)
    assert make_tls_device(credentials, "dev1").accepted
    iot.detach_policy(policyName="connect", target=credentials.certificate_arn)
    assert make_tls_device(credentials, "dev1").refused_not_authorized


def test_only_the_client_id_the_policy_names_may_connect(iotjobs, make_tls_device):
    """The policy allows client/<thing name>: another client id is refused."""
    credentials = provision(iotjobs.client("iot"), thing="dev1")
    assert make_tls_device(credentials, "dev1").accepted
    assert make_tls_device(credentials, "dev2").refused_not_authorized


def test_mqtt5_refusal_carries_reason_code_not_authorized(iotjobs, make_tls_device):
    credentials = provision(iotjobs.client("iot"), policy=None)
    device = make_tls_device(credentials, "dev1", mqtt5=True)
    assert device.result.value == 0x87


def test_registered_certificate_is_a_device_identity(iotjobs, make_tls_device):
    """RegisterCertificateWithoutCA: the device's own certificate and key."""
    iot = iotjobs.client("iot")
    pem, key = _self_made_certificate()
    registered = iot.register_certificate_without_ca(certificatePem=pem, status="ACTIVE")
    iot.create_policy(policyName="connect", policyDocument=CONNECT_ANY)
    iot.attach_policy(policyName="connect", target=registered["certificateArn"])
    credentials = write_credentials(pem, key, registered["certificateArn"], registered["certificateId"])
    assert make_tls_device(credentials, "my-device").accepted
