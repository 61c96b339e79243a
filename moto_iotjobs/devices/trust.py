"""The gateway's TLS trust: the server SSL contexts and the registry certificates trusted in them.

A client must present a certificate that is byte-for-byte one of the registry's certificates
(any issuer: moto's are self-signed with a fake issuer) or one issued by the mock CA; the
handshake proves it holds the key. Registry certificates are added to the trust store as they
appear (checked at every ClientHello), with partial-chain verification so a trusted leaf needs
no issuer. Unknown certificates fail the handshake, as at AWS (docs/devices-tls.md).
"""

from __future__ import annotations

import logging
import ssl
import threading
from typing import Optional

from moto_iotjobs.devices.ca import MockCertificateAuthority
from moto_iotjobs.devices.identity import registry_pems

__all__ = ["ALPN_MQTT", "RegistryTrust"]

log = logging.getLogger(__name__)

#: ALPN protocol AWS IoT accepts for MQTT with client certificates on port 443.
ALPN_MQTT = "x-amzn-mqtt-ca"


class RegistryTrust:
    """The server SSL context and the registry certificates already in its trust store."""

    def __init__(self, ca: MockCertificateAuthority, account_id: str, region_name: str) -> None:
        self.account_id, self.region_name = account_id, region_name
        self.ca = ca
        self.context = self._context(ssl.CERT_REQUIRED, [ALPN_MQTT, "mqtt"])
        # Port 443 at AWS: mTLS when the client names ALPN x-amzn-mqtt-ca, else WebSocket
        # (server-authenticated TLS, SigV4 in the upgrade request).
        self.port443_context = self._context(ssl.CERT_OPTIONAL, [ALPN_MQTT, "http/1.1"])
        self._trusted: set[str] = set()
        self._lock = threading.Lock()

    def _context(self, verify_mode: ssl.VerifyMode, alpn: list[str]) -> ssl.SSLContext:
        credentials = self.ca.server_credentials(self.region_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(credentials.cert_path, credentials.key_path)
        context.verify_mode = verify_mode
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        context.load_verify_locations(cadata=self.ca.ca_pem.decode("ascii"))
        context.set_alpn_protocols(alpn)
        context.sni_callback = self._on_client_hello
        return context

    def _on_client_hello(self, sock: object, server_name: Optional[str], context: object) -> None:
        """Runs before the client's certificate is verified: trust new registry certificates."""
        try:
            self.refresh()
        except Exception:  # never fail a handshake on our own error
            log.exception("could not read the registry's certificates")
        return None

    def refresh(self) -> None:
        with self._lock:
            for certificate_id, pem in registry_pems(self.account_id, self.region_name, self._trusted):
                self._trusted.add(certificate_id)
                try:
                    for context in (self.context, self.port443_context):
                        context.load_verify_locations(cadata=pem)
                except (ssl.SSLError, ValueError):
                    log.debug("registry certificate %s is not loadable", certificate_id)
