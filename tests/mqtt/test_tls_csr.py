"""CreateCertificateFromCsr certifies the CSR's own public key (issued by the mock CA), so the
device that generated the key pair connects over mutual TLS and works through its jobs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from .devices import THING_JOBS_POLICY, TlsDevice, csr_pem, key_pem, write_credentials

pytestmark = pytest.mark.mqtt


def _provision_from_csr(iot: Any, key: Any, thing: str) -> Any:
    created = iot.create_certificate_from_csr(certificateSigningRequest=csr_pem(key, thing), setAsActive=True)
    policy = f"csr-{uuid.uuid4().hex[:8]}"
    iot.create_policy(policyName=policy, policyDocument=THING_JOBS_POLICY)
    iot.attach_policy(policyName=policy, target=created["certificateArn"])
    iot.create_thing(thingName=thing)
    iot.attach_thing_principal(thingName=thing, principal=created["certificateArn"])
    return created, write_credentials(
        created["certificatePem"], key_pem(key), created["certificateArn"], created["certificateId"]
    )


@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)],
                         ids=["ec-p256", "rsa-2048"])
def test_csr_certificate_certifies_the_csr_key_and_is_described_alike(iotjobs, key):
    iot = iotjobs.client("iot")
    created = iot.create_certificate_from_csr(certificateSigningRequest=csr_pem(key, "dev"), setAsActive=False)
    cert = x509.load_pem_x509_certificate(created["certificatePem"].encode())
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(serialization.Encoding.PEM, public) == key.public_key().public_bytes(
        serialization.Encoding.PEM, public
    )
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "dev"
    described = iot.describe_certificate(certificateId=created["certificateId"])["certificateDescription"]
    assert described["certificateArn"] == created["certificateArn"]
    assert described["certificatePem"] == created["certificatePem"]
    assert described["status"] == "INACTIVE"


def test_an_invalid_csr_is_an_invalid_request_and_stores_nothing(iotjobs):
    iot = iotjobs.client("iot")
    before = iot.list_certificates()["certificates"]
    with pytest.raises(ClientError) as raised:
        iot.create_certificate_from_csr(certificateSigningRequest="not a csr")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert iot.list_certificates()["certificates"] == before


def test_device_with_a_csr_certificate_connects_over_mtls_and_takes_a_job_to_succeeded(
    iotjobs, iotjobs_mqtt_tls
):
    iot = iotjobs.client("iot")
    key = ec.generate_private_key(ec.SECP256R1())
    _created, credentials = _provision_from_csr(iot, key, "csr-device")
    thing_arn = iot.describe_thing(thingName="csr-device")["thingArn"]
    iot.create_job(jobId="csr-job", targets=[thing_arn], document=json.dumps({"op": "flash"}))

    device = TlsDevice(iotjobs_mqtt_tls.tls_port, iotjobs_mqtt_tls.ca_path, credentials, "csr-device")
    try:
        assert device.accepted
        base = "$aws/things/csr-device/jobs"
        assert device.subscribe(f"{base}/+/accepted") is not None
        assert device.subscribe(f"{base}/+/+/accepted") is not None
        device.publish(f"{base}/start-next", json.dumps({"clientToken": "c1"}), qos=1)
        topic, payload = device.receive()
        assert topic == f"{base}/start-next/accepted"
        assert json.loads(payload)["execution"]["jobId"] == "csr-job"
        device.publish(f"{base}/csr-job/update", json.dumps({"status": "SUCCEEDED"}), qos=1)
        topic, _payload = device.receive()
        assert topic == f"{base}/csr-job/update/accepted"
    finally:
        device.close()
    execution = iot.describe_job_execution(jobId="csr-job", thingName="csr-device")["execution"]
    assert execution["status"] == "SUCCEEDED"



def test_a_sha1_signed_csr_is_certified_and_a_tampered_one_is_refused(iotjobs):
    """OpenSSL 3 no longer verifies SHA-1 signatures; a SHA-1-signed CSR (moto's own IoT tests
    send one) is still certified. A CSR whose signature does not match its content is not."""
    iot = iotjobs.client("iot")
    key = rsa.generate_private_key(65537, 2048)
    sha1 = _sha1_signed_csr(key, "old-device")
    pem = sha1.public_bytes(serialization.Encoding.PEM).decode()
    created = iot.create_certificate_from_csr(certificateSigningRequest=pem)
    assert x509.load_pem_x509_certificate(created["certificatePem"].encode()).subject == sha1.subject

    der = bytearray(_load_der(csr_pem(key, "honest")))
    index = der.find(b"honest")
    der[index:index + 6] = b"forged"
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM).decode()
    with pytest.raises(ClientError) as raised:
        iot.create_certificate_from_csr(certificateSigningRequest=tampered)
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _sha1_signed_csr(key: Any, common_name: str) -> x509.CertificateSigningRequest:
    """A CSR signed with sha1WithRSAEncryption, assembled by hand (OpenSSL 3 refuses to)."""
    tbs = x509.load_pem_x509_csr(csr_pem(key, common_name).encode()).tbs_certrequest_bytes
    signature = key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    sha1_with_rsa = bytes.fromhex("300d06092a864886f70d0101050500")
    return x509.load_der_x509_csr(_der(0x30, tbs + sha1_with_rsa + _der(0x03, b"\x00" + signature)))


def _load_der(pem: str) -> bytes:
    return x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER)
