"""The mock's certificate authority and the TLS server certificate of its MQTT endpoint.

AWS IoT's data endpoint presents a certificate from a public CA (Amazon Root CA 1 for the
``-ats`` endpoints); devices pin that root. The mock cannot, so it creates its own CA once per
process (or keeps it in the state directory when the server persists its state) and signs a server certificate for ``localhost``, ``127.0.0.1``, ``::1`` and
``*.iot.<region>.amazonaws.com`` (moto's DescribeEndpoint(iot:Data-ATS) answers
``<random>-ats.iot.<region>.amazonaws.com`` with a fresh prefix on every call, so only the
wildcard covers every answer). Devices trust the CA file (``ca_path``), also served at
``GET /moto-api/iotjobs/ca.pem``. EC P-256 keys: signing a handshake costs well under 1 ms.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import os
import shutil
import tempfile
import threading
from typing import Optional

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "MockCertificateAuthority", "ServerCredentials", "csr_signature_valid", "keep_mock_ca_in", "mock_ca",
]

#: AWS IoT's device certificates (CreateKeysAndCertificate, CreateCertificateFromCsr) are valid
#: until the end of 2049 (https://docs.aws.amazon.com/iot/latest/developerguide/x509-client-certs.html).
DEVICE_NOT_AFTER = datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc)

CA_CERT_FILE, CA_KEY_FILE = "ca.pem", "ca.key"
_VALIDITY = datetime.timedelta(days=3650)
_BACKDATE = datetime.timedelta(days=1)  # clock skew between the mock and a device


class ServerCredentials:
    """Files a TLS server loads: its certificate chain and private key."""

    def __init__(self, cert_path: str, key_path: str) -> None:
        self.cert_path = cert_path
        self.key_path = key_path


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "moto-iotjobs"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class MockCertificateAuthority:
    """A self-signed CA whose files live in a private temporary directory until exit.

    ``keep_in``: a directory where the CA's certificate and key are kept (``ca.pem``,
    ``ca.key``): read when present, else created there. Server persistence uses it, so device
    certificates it issued stay valid and devices keep trusting ``ca.pem`` across restarts.
    """

    def __init__(self, directory: Optional[str] = None, keep_in: Optional[str] = None) -> None:
        self.directory = directory or tempfile.mkdtemp(prefix="moto-iotjobs-ca-")
        self.kept_in = keep_in
        kept = _read_kept(keep_in) if keep_in else None
        if kept is not None:
            self._key, self.certificate = kept
        else:
            self._key = ec.generate_private_key(ec.SECP256R1())
            self.certificate = self._self_signed()
        self.ca_pem = self.certificate.public_bytes(serialization.Encoding.PEM)
        if keep_in is not None:
            if kept is None:
                os.makedirs(keep_in, mode=0o700, exist_ok=True)
                _write(os.path.join(keep_in, CA_KEY_FILE), _pem_key(self._key))
                _write(os.path.join(keep_in, CA_CERT_FILE), self.ca_pem)
            self.ca_path = os.path.join(keep_in, CA_CERT_FILE)
        else:
            self.ca_path = os.path.join(self.directory, CA_CERT_FILE)
            _write(self.ca_path, self.ca_pem)
        self._servers: dict[tuple[str, ...], ServerCredentials] = {}
        self._lock = threading.Lock()

    def _self_signed(self) -> x509.Certificate:
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = _name("moto-iotjobs mock root CA")
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._key.public_key()), critical=False
            )
            .sign(self._key, hashes.SHA256())
        )

    def server_credentials(self, region_name: str) -> ServerCredentials:
        """The server certificate for the endpoints of one region (made once, then reused)."""
        names = ("localhost", f"*.iot.{region_name}.amazonaws.com")
        with self._lock:
            found = self._servers.get(names)
            if found is None:
                found = self._servers[names] = self._issue_server(names, region_name)
            return found

    def _issue_server(self, dns_names: tuple[str, ...], region_name: str) -> ServerCredentials:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        alt_names += [
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"*.iot.{region_name}.amazonaws.com"))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(now + _VALIDITY)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        stem = os.path.join(self.directory, f"server-{region_name}")
        cert_path, key_path = stem + ".pem", stem + ".key"
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM) + self.ca_pem)
        _write(key_path, _pem_key(key))
        return ServerCredentials(cert_path, key_path)

    def issue_device_certificate(self, csr: x509.CertificateSigningRequest) -> str:
        """A client certificate (PEM) for the CSR's own public key and subject, signed by this
        CA: the device keeps its private key and proves possession in the TLS handshake."""
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(csr.subject)
            .issuer_name(self.certificate.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _BACKDATE)
            .not_valid_after(DEVICE_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                critical=False,
            )
            .sign(self._key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def csr_signature_valid(csr: x509.CertificateSigningRequest) -> bool:
    """The CSR is signed by its own key. SHA-1 signatures count too: OpenSSL 3's own check
    refuses them, yet they prove possession alike (moto's IoT tests send one)."""
    if csr.is_signature_valid:
        return True
    algorithm = csr.signature_hash_algorithm
    key = csr.public_key()
    if not isinstance(algorithm, hashes.SHA1):
        return False
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(csr.signature, csr.tbs_certrequest_bytes, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return False
    return True


def _read_kept(directory: str) -> Optional[tuple[ec.EllipticCurvePrivateKey, x509.Certificate]]:
    """The CA kept in ``directory`` (None when there is none yet)."""
    key_path, cert_path = os.path.join(directory, CA_KEY_FILE), os.path.join(directory, CA_CERT_FILE)
    if not (os.path.exists(key_path) and os.path.exists(cert_path)):
        return None
    with open(key_path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    with open(cert_path, "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != certificate.public_key():
        raise ValueError(f"{directory}: {CA_KEY_FILE} is not the key of {CA_CERT_FILE}")
    return key, certificate


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


_ca: Optional[MockCertificateAuthority] = None
_ca_lock = threading.Lock()


def mock_ca() -> MockCertificateAuthority:
    """The process's CA, created on first use; its directory is removed at exit."""
    global _ca
    with _ca_lock:
        if _ca is None:
            _ca = MockCertificateAuthority()
            atexit.register(_ca.remove)
        return _ca


def keep_mock_ca_in(directory: str) -> MockCertificateAuthority:
    """From now on the process's CA is the one kept in ``directory`` (created there if new).
    Called by server persistence before its state is restored, and before any listener starts."""
    global _ca
    with _ca_lock:
        if _ca is not None and _ca.kept_in == directory:
            return _ca
        previous, _ca = _ca, MockCertificateAuthority(keep_in=directory)
        atexit.register(_ca.remove)
        if previous is not None:
            previous.remove()
        return _ca
