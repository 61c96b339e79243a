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
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .devices import THING_JOBS_POLICY, TlsDevice, write_credentials

pytestmark = pytest.mark.mqtt


def _csr(key: Any, common_name: str) -> str:
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _provision_from_csr(iot: Any, key: Any, thing: str) -> Any:
    created = iot.create_certificate_from_csr(certificateSigningRequest=_csr(key, thing), setAsActive=True)
    policy = f"csr-{uuid.uuid4().hex[:8]}"
    iot.create_policy(policyName=policy, policyDocument=THING_JOBS_POLICY)
    iot.attach_policy(policyName=policy, target=created["certificateArn"])
    iot.create_thing(thingName=thing)
    iot.attach_thing_principal(thingName=thing, principal=created["certificateArn"])
    return created, write_credentials(
        created["certificatePem"], _key_pem(key), created["certificateArn"], created["certificateId"]
    )


@pytest.mark.parametrize("key", [ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)],
                         ids=["ec-p256", "rsa-2048"])
def test_csr_certificate_certifies_the_csr_key_and_is_described_alike(iotjobs, key):
    iot = iotjobs.client("iot")
    created = iot.create_certificate_from_csr(certificateSigningRequest=_csr(key, "dev"), setAsActive=False)
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

