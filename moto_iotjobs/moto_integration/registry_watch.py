"""moto's IoT responses for everything that is not a job operation, watched: group
membership changes and deleted things are passed on to the job backend (continuous jobs,
REMOVED executions).

Each registry change that moves group membership runs under the job backend's lock, moto's
change and the jobs' reaction together: a CreateJob resolving a group's members (under the
same lock) sees one consistent membership, never a dict changing under its iteration.
CreateThing checks the name against botocore's model first (moto accepts `/`, `+`, `#`, NUL,
200 characters; a thing named `victim/jobs/notify-next` would publish onto another device's
topics). CreateCertificateFromCsr certifies the CSR's own key (moto certifies a fresh key it
discards, so no device could ever use the certificate).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from cryptography import x509

from moto_iotjobs.devices.ca import csr_signature_valid, mock_ca
from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import CONTROL_PLANE, InvalidRequestException, JobsError
from moto_iotjobs.protocol.service_model import operation_spec
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.services.jobs.backend import IoTJobsBackend, iotjobs_backends
from moto_iotjobs.timing import clock


class IoTJobsResponse(moto_compat.iot_response_class()):  # type: ignore[misc]
    """moto's IoT responses for everything but jobs, telling the job backend when a thing's
    group membership changes or a thing is deleted (continuous jobs, REMOVED executions)."""

    def _jobs_backend(self) -> IoTJobsBackend:
        return iotjobs_backends[self.current_account][self.region]

    def _after_registry_change(self, thing_name: Optional[str], deleted: bool = False) -> None:
        if thing_name:
            self._after_membership_change([thing_name], deleted)

    def _after_membership_change(self, thing_names: list[str], deleted: bool = False) -> None:
        backend = self._jobs_backend()
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            for thing_name in thing_names:
                if deleted:
                    backend.on_thing_deleted(thing_name, now)
                else:
                    backend.on_membership_changed(thing_name, now)

    def _changing_membership(self, change: Callable[[], Any], after: Callable[[], None]) -> Any:
        """moto's registry change and the jobs' reaction, as one step under the jobs lock."""
        with self._jobs_backend().lock:
            result = change()
            after()
            return result

    def create_thing(self) -> Any:
        try:
            validate(operation_spec(CONTROL_PLANE, "CreateThing"), {"thingName": self._get_param("thingName")})
        except JobsError as error:
            status, headers, body = error.to_response(CONTROL_PLANE)
            return body, {**headers, "status": status}  # moto's (body, headers) response form
        return super().create_thing()

    def create_certificate_from_csr(self) -> Any:
        """AWS signs the CSR's public key (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateCertificateFromCsr.html);
        the mock CA does, so the device holding the CSR's key can connect over mutual TLS."""
        try:
            csr = x509.load_pem_x509_csr(str(self._get_param("certificateSigningRequest") or "").encode())
            if not csr_signature_valid(csr):
                raise ValueError("signature")
            pem = mock_ca().issue_device_certificate(csr)
        except (ValueError, TypeError, UnicodeEncodeError):
            status, headers, body = InvalidRequestException(
                "The certificate signing request is not a valid PEM-encoded PKCS#10 request"
            ).to_response(CONTROL_PLANE)
            return body, {**headers, "status": status}
        certificate = moto_compat.iot_register_issued_certificate(
            self.current_account, self.region, pem, bool(self._get_bool_param("setAsActive", False))
        )
        created = {
            "certificateArn": certificate.arn,
            "certificateId": certificate.certificate_id,
            "certificatePem": certificate.pem,
        }
        return json.dumps(created), {"status": 200, "Content-Type": "application/json"}

    def _thing_name_param(self) -> Optional[str]:
        name = self._get_param("thingName")
        if name:
            return str(name)
        arn = self._get_param("thingArn")
        return str(arn).rsplit("/", 1)[-1] if arn else None

    def add_thing_to_thing_group(self) -> Any:
        return self._changing_membership(
            super().add_thing_to_thing_group, lambda: self._after_registry_change(self._thing_name_param())
        )

    def remove_thing_from_thing_group(self) -> Any:
        return self._changing_membership(
            super().remove_thing_from_thing_group, lambda: self._after_registry_change(self._thing_name_param())
        )

    def update_thing_groups_for_thing(self) -> Any:
        return self._changing_membership(
            super().update_thing_groups_for_thing, lambda: self._after_registry_change(self._thing_name_param())
        )

    def delete_thing_group(self) -> Any:
        with self._jobs_backend().lock:
            name = self._get_param("thingGroupName")
            members = [
                thing.thing_name
                for group in self.iot_backend.thing_groups.values()
                if group.thing_group_name == name
                for thing in group.things.values()
            ]
            result = super().delete_thing_group()
            self._after_membership_change(members)
            return result

    def delete_thing(self) -> Any:
        with self._jobs_backend().lock:
            thing_name = self._thing_name_param()
            thing = self.iot_backend.describe_thing(thing_name) if thing_name else None
            result = super().delete_thing()
            if thing is not None:
                # moto leaves a deleted thing in its thing groups; AWS does not. Left there, a
                # job targeting the group would queue an execution for a thing that no longer
                # exists, and a thing recreated under that name would be a member at once.
                for group in self.iot_backend.thing_groups.values():
                    group.things.pop(thing.arn, None)
            self._after_registry_change(thing_name, deleted=True)
            return result
