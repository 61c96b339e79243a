"""Who a TLS client is: the registry certificate it presented, and what its policies see.

A certificate is matched by its DER bytes against the registry's certificates. Everything is
read through ``moto_integration.compat`` on each decision, so a policy attached, detached or a
certificate deactivated after the device connected takes effect on the next packet, as
AWS IoT re-evaluates policies (https://docs.aws.amazon.com/iot/latest/developerguide/iot-policies.html).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from moto_iotjobs.devices.policy import PolicyContext, is_allowed
from moto_iotjobs.moto_integration import compat

__all__ = ["DeviceIdentity", "identify", "pem_to_der", "registry_pems"]

_NAME_FIELDS = {
    "CommonName": NameOID.COMMON_NAME,
    "Organization": NameOID.ORGANIZATION_NAME,
    "OrganizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "Country": NameOID.COUNTRY_NAME,
    "State": NameOID.STATE_OR_PROVINCE_NAME,
    "Locality": NameOID.LOCALITY_NAME,
    "SerialNumber": NameOID.SERIAL_NUMBER,
    "Title": NameOID.TITLE,
    "Surname": NameOID.SURNAME,
    "GivenName": NameOID.GIVEN_NAME,
    "Initials": NameOID.INITIALS,
    "Pseudonym": NameOID.PSEUDONYM,
    "GenerationQualifier": NameOID.GENERATION_QUALIFIER,
    "DistinguishedNameQualifier": NameOID.DN_QUALIFIER,
}


@functools.lru_cache(maxsize=65536)
def pem_to_der(pem: str) -> Optional[bytes]:
    """The DER of a PEM certificate (None for text that is not one)."""
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(
            serialization.Encoding.DER
        )
    except (ValueError, UnicodeEncodeError):
        return None


def registry_pems(
    account_id: str, region_name: str, known: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str]]:
    """(certificate id, PEM) of every registry certificate not in ``known``, whatever its
    status (the ids are listed; only new certificates are read: cheap with a large fleet)."""
    found = []
    for certificate_id in compat.iot_certificate_ids(account_id, region_name):
        if certificate_id not in known:
            cert = compat.iot_certificate(account_id, region_name, certificate_id)
            if cert is not None:
                found.append((certificate_id, cert.pem))
    return found


#: DER -> certificate id per (account, region), rebuilt when a certificate is not found.
_der_index: dict[tuple[str, str], dict[bytes, str]] = {}


def _certificate_variables(der: bytes) -> dict[str, str]:
    """The ``iot:Certificate.*`` policy variables of a certificate."""
    cert = x509.load_der_x509_certificate(der)
    found: dict[str, str] = {}
    for prefix, name in (("Subject", cert.subject), ("Issuer", cert.issuer)):
        for key, oid in _NAME_FIELDS.items():
            values = name.get_attributes_for_oid(oid)
            if values:
                found[f"{prefix}.{key}"] = str(values[0].value)
    found["SerialNumber"] = str(cert.serial_number)
    found["Validity.NotBefore"] = cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    found["Validity.NotAfter"] = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = sans.get_values_for_type(x509.DNSName)
        if dns:
            found["SubjectAlternativeName.DNSName"] = dns[0]
    except x509.ExtensionNotFound:
        pass
    return found


@dataclass
class DeviceIdentity:
    """A connection's principal: the registry certificate and the client id it connected as."""

    account_id: str
    region_name: str
    certificate_id: str
    certificate_arn: str
    certificate_variables: dict[str, str]
    client_id: str = ""

    def status(self) -> Optional[str]:
        """The certificate's status now (None: deleted from the registry)."""
        cert = compat.iot_certificate(self.account_id, self.region_name, self.certificate_id)
        return None if cert is None else cert.status

    def context(self) -> PolicyContext:
        """Policy variables of this connection, read from the registry now."""
        context = PolicyContext(
            self.region_name,
            self.account_id,
            self.client_id,
            certificate=self.certificate_variables,
        )
        thing = compat.iot_thing(self.account_id, self.region_name, self.client_id)
        if thing is not None:
            attached = compat.iot_principal_things(
                self.account_id, self.region_name, self.certificate_arn
            )
            context.thing_is_attached = thing.name in attached
            context.thing_name = thing.name
            context.thing_type_name = thing.type_name
            context.thing_attributes = thing.attributes
        return context

    def allows(self, action: str, name: str, context: Optional[PolicyContext] = None) -> bool:
        """The certificate's policies, and those of the thing groups (with their parents) of
        the thing the connection is attached to
        (https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html)."""
        context = context or self.context()
        documents = compat.iot_principal_policy_documents(
            self.account_id, self.region_name, self.certificate_arn
        )
        if context.thing_is_attached and context.thing_name is not None:
            documents = documents + compat.iot_thing_group_policy_documents(
                self.account_id, self.region_name, context.thing_name
            )
        return is_allowed(documents, action, name, context)


def identify(account_id: str, region_name: str, der: bytes) -> Optional[DeviceIdentity]:
    """The registry certificate whose DER is ``der`` (any status), or None."""
    key = (account_id, region_name)
    for rebuild in (False, True):
        if rebuild:
            _der_index[key] = {
                found: cert.certificate_id
                for cert in compat.iot_certificates(account_id, region_name)
                if (found := pem_to_der(cert.pem)) is not None
            }
        certificate_id = _der_index.get(key, {}).get(der)
        cert = compat.iot_certificate(account_id, region_name, certificate_id) if certificate_id else None
        if cert is not None and pem_to_der(cert.pem) == der:
            return DeviceIdentity(
                account_id, region_name, cert.certificate_id, cert.arn, _certificate_variables(der)
            )
    return None
