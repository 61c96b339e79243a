"""Devices with registry certificates for the mutual-TLS listener tests (paho over TLS)."""

from __future__ import annotations

import json
import os
import queue
import ssl
import tempfile
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.client import CallbackAPIVersion, Client, MQTTv5, MQTTv311

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class Credentials:
    certificate_arn: str
    certificate_id: str
    cert_path: str
    key_path: str
    cert_pem: str
    key_pem: str


def write_credentials(cert_pem: str, key_pem: str, arn: str, cert_id: str) -> Credentials:
    directory = tempfile.mkdtemp(prefix="tls17-device-")
    cert_path, key_path = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_path, "w") as handle:
        handle.write(cert_pem)
    with open(key_path, "w") as handle:
        handle.write(key_pem)
    return Credentials(arn, cert_id, cert_path, key_path, cert_pem, key_pem)


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: Any, resources: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iot:{REGION}:{ACCOUNT}:{kind}/{name}"


#: The policy AWS suggests for a device that uses the Jobs MQTT API as its own thing.
THING_JOBS_POLICY = policy_document(
    allow("iot:Connect", arn("client", "${iot:Connection.Thing.ThingName}")),
    allow("iot:Publish", arn("topic", "$aws/things/${iot:Connection.Thing.ThingName}/jobs/*")),
    allow("iot:Subscribe", arn("topicfilter", "$aws/things/${iot:Connection.Thing.ThingName}/jobs/*")),
    allow("iot:Receive", arn("topic", "$aws/things/${iot:Connection.Thing.ThingName}/jobs/*")),
)


def provision(
    iot: Any,
    thing: Optional[str] = None,
    policy: Optional[str] = THING_JOBS_POLICY,
    active: bool = True,
) -> Credentials:
    """CreateKeysAndCertificate, a policy attached to it, the thing created and attached."""
    created = iot.create_keys_and_certificate(setAsActive=active)
    cert_arn = created["certificateArn"]
    if policy is not None:
        name = f"policy-{uuid.uuid4().hex[:8]}"
        iot.create_policy(policyName=name, policyDocument=policy)
        iot.attach_policy(policyName=name, target=cert_arn)
    if thing is not None:
        iot.create_thing(thingName=thing)
        iot.attach_thing_principal(thingName=thing, principal=cert_arn)
    return write_credentials(
        created["certificatePem"], created["keyPair"]["PrivateKey"], cert_arn, created["certificateId"]
    )


class TlsDevice:
    """A paho client over mutual TLS; records CONNACK, messages, SUBACK codes, disconnects."""

    def __init__(
        self,
        port: int,
        ca_path: str,
        credentials: Credentials,
        client_id: str,
        mqtt5: bool = False,
        host: str = "localhost",
        alpn: Optional[list[str]] = None,
    ) -> None:
        self.mqtt5 = mqtt5
        self.client = Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTv5 if mqtt5 else MQTTv311
        )
        if alpn is None:
            self.client.tls_set(
                ca_certs=ca_path, certfile=credentials.cert_path, keyfile=credentials.key_path
            )
        else:  # as AWS IoT's port 443 expects: ALPN x-amzn-mqtt-ca
            context = ssl.create_default_context(cafile=ca_path)
            context.load_cert_chain(credentials.cert_path, credentials.key_path)
            context.set_alpn_protocols(alpn)
            self.client.tls_set_context(context)
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connack: queue.Queue[Any] = queue.Queue()
        self.disconnected = threading.Event()
        self.subacks: dict[int, queue.Queue[list[Any]]] = {}
        self.pubacks: dict[int, queue.Queue[Any]] = {}
        self.client.on_connect = lambda c, u, f, rc, p: self.connack.put(rc)
        self.client.on_disconnect = lambda *a: (self.disconnected.set(), self.connack.put(None))
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, bytes(m.payload)))
        self.client.on_subscribe = lambda c, u, mid, codes, p: self._queue(self.subacks, mid).put(codes)
        self.client.on_publish = lambda c, u, mid, rc, p: self._queue(self.pubacks, mid).put(rc)
        self.client.connect(host, port)
        self.client.loop_start()
        try:
            self.result: Any = self.connack.get(timeout=5)
        except queue.Empty:  # refused: TLS handshake, or MQTT 3.1.1 CONNECT (closed, no CONNACK)
            self.result = None

    @staticmethod
    def _queue(table: dict[int, queue.Queue[Any]], mid: int) -> queue.Queue[Any]:
        return table.setdefault(mid, queue.Queue())

    @property
    def accepted(self) -> bool:
        return self.result is not None and not self.result.is_failure

    @property
    def refused_not_authorized(self) -> bool:
        """Refused as AWS IoT refuses: MQTT 5 CONNACK 0x87; MQTT 3.1.1 the connection closed
        without a CONNACK."""
        if self.mqtt5:
            return self.result is not None and self.result.value == 0x87
        return self.result is None and self.disconnected.wait(5)

    def subscribe(self, topic_filter: str, qos: int = 1, timeout: float = 5.0) -> Optional[list[Any]]:
        """The SUBACK's codes, or None when the broker closed the connection instead."""
        _, mid = self.client.subscribe(topic_filter, qos)
        try:
            return self._queue(self.subacks, mid).get(timeout=timeout)
        except queue.Empty:
            return None

    def publish(self, topic: str, payload: bytes | str, qos: int = 0, retain: bool = False) -> int:
        return self.client.publish(topic, payload, qos=qos, retain=retain).mid

    def receive(self, timeout: float = 5.0) -> tuple[str, bytes]:
        return self.messages.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def tls_handshake(port: int, ca_path: str, server_hostname: str,
                  credentials: Optional[Credentials] = None) -> ssl.SSLSocket:
    """A raw TLS connection (no MQTT), for checking the server certificate and client auth."""
    import socket

    context = ssl.create_default_context(cafile=ca_path)
    if credentials is not None:
        context.load_cert_chain(credentials.cert_path, credentials.key_path)
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return context.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


CONNECT_ANY_POLICY = policy_document(allow("iot:Connect", arn("client", "*")))


def new_device_key() -> Any:
    """A device's own key, as the SDK samples make one: EC P-256."""
    return ec.generate_private_key(ec.SECP256R1())


def csr_pem(key: Any, common_name: str) -> str:
    """A certificate signing request for `key` with this subject common name (PEM), for
    CreateCertificateFromCsr."""
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: Any) -> str:
    """The private key as unencrypted PKCS#8 PEM, the form device clients read."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
