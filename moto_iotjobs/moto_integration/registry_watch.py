"""moto's IoT responses for everything that is not a job operation, watched: group
membership changes and deleted things are passed on to the job backend (continuous jobs,
REMOVED executions); created and updated things are evaluated against the dynamic thing
groups; static-group calls on a dynamic group are refused; tags given to CreateThingGroup and
CreateThingType are kept (moto keeps none).

A registry call and what it sets off in the jobs are one operation, run under the job
backend's lock: a CreateJob resolving a group's members (under the same lock) sees one
consistent membership, never a dict changing under its iteration; and if the jobs part fails,
moto's registry is put back as it was (`compat.registry_snapshot`), the jobs' changes are
undone (`backend.atomic()`), and the caller gets a 500 InternalFailureException.
CreateThing checks the name against botocore's model first (moto accepts `/`, `+`, `#`, NUL,
200 characters; a thing named `victim/jobs/notify-next` would publish onto another device's
topics). CreateCertificateFromCsr certifies the CSR's own key (moto certifies a fresh key it
discards, so no device could ever use the certificate).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional
from urllib.parse import unquote

from cryptography import x509

from moto_iotjobs.devices.ca import csr_signature_valid, mock_ca
from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import (
    CONTROL_PLANE,
    InternalFailureException,
    InvalidRequestException,
    JobsError,
)
from moto_iotjobs.protocol.service_model import operation_spec
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.services.dynamic_groups.backend import (
    DynamicGroupsBackend,
    dynamic_groups_backends,
)
from moto_iotjobs.services.jobs import control_plane
from moto_iotjobs.services.jobs.backend import IoTJobsBackend, iotjobs_backends
from moto_iotjobs.services.tagging.backend import store_registry_tags
from moto_iotjobs.timing import clock

log = logging.getLogger(__name__)


def after_thing_change(account_id: str, region_name: str, thing_name: Optional[str]) -> None:
    """A thing was created, updated, regrouped or its shadow changed: re-evaluate it against
    each dynamic group, and tell the jobs service when its membership changed. One lock order
    (docs/ARCHITECTURE.md, "Lock order"): `backend.lock` takes the jobs lock, then the dynamic
    groups' (a caller may hold the jobs lock already)."""
    if not thing_name:
        return
    backend: DynamicGroupsBackend = moto_compat.backend_of(dynamic_groups_backends, account_id, region_name)
    jobs: IoTJobsBackend = moto_compat.backend_of(iotjobs_backends, account_id, region_name)
    now = clock.now()
    with backend.lock:
        groups_before = control_plane.thing_groups(jobs.store, thing_name)
        if backend.on_thing_changed(thing_name, now):
            jobs.advance(now)
            with jobs.atomic():
                control_plane.on_membership_changed(jobs.store, thing_name, groups_before, now)


def _group_names(values: list[Optional[str]]) -> list[str]:
    """Group names from names or ARNs."""
    return [str(v).rsplit("/", 1)[-1] for v in values if v]


class IoTJobsResponse(moto_compat.iot_response_class()):  # type: ignore[misc]
    """moto's IoT responses for everything but jobs, telling the job backend when a thing's
    group membership changes or a thing is deleted (continuous jobs, REMOVED executions)."""

    def _jobs_backend(self) -> IoTJobsBackend:
        return iotjobs_backends[self.current_account][self.region]

    def _watched(
        self,
        change: Callable[[], Any],
        thing_names: Callable[[], list[str]],
        deleted: bool = False,
        after_change: Optional[Callable[[], None]] = None,
    ) -> Any:
        """Run moto's `change`, then tell the jobs about `thing_names()` (read before the
        change); all of it under the jobs lock, and undone when the jobs part fails."""
        try:
            lock = self._jobs_backend().lock
        except Exception:  # a defect of ours, before anything changed
            return self._internal_failure()
        with lock:
            try:
                names = thing_names()
                jobs_store = self._jobs_backend().store
                groups_before = {name: control_plane.thing_groups(jobs_store, name) for name in names}
                restore = moto_compat.registry_snapshot(self.iot_backend)
                restore_members = moto_compat.membership_snapshot(self.iot_backend)
            except Exception:  # a defect of ours, before anything changed
                return self._internal_failure()
            try:
                result = change()  # moto's own errors are moto's answers
            except Exception:
                # ... but a failed call changes nothing: moto can fail half-way
                # (UpdateThingGroupsForThing adds the groups before it finds a missing one).
                # Memberships only: they change under the jobs lock, held here, while moto
                # creates things and groups outside it.
                restore_members()
                raise
            try:
                if after_change is not None:
                    after_change()
                self._after_membership_change(names, groups_before, deleted)
            except Exception:  # a defect of ours: undo the registry call, answer as AWS does
                restore()
                return self._internal_failure()
            return result

    @staticmethod
    def _internal_failure() -> Any:
        log.exception("moto_iotjobs failed on a registry change")
        status, headers, body = InternalFailureException(
            "Internal failure in moto_iotjobs"
        ).to_response(CONTROL_PLANE)
        return moto_compat.response_for_moto(status, headers, body)

    def _after_membership_change(
        self, thing_names: list[str], groups_before: dict[str, set[str]], deleted: bool = False
    ) -> None:
        backend = self._jobs_backend()
        now = clock.now()
        with backend.lock:
            backend.advance(now)
            with backend.atomic():
                for thing_name in thing_names:
                    if deleted:
                        control_plane.on_thing_deleted(backend.store, thing_name, now)
                    else:
                        control_plane.on_membership_changed(
                            backend.store, thing_name, groups_before[thing_name], now
                        )

    def create_thing(self) -> Any:
        try:
            validate(operation_spec(CONTROL_PLANE, "CreateThing"), {"thingName": self._get_param("thingName")})
        except JobsError as error:
            return moto_compat.response_for_moto(*error.to_response(CONTROL_PLANE))
        result = super().create_thing()
        self._after_thing_change(self._thing_name_param())
        return result

    def _dynamic(self) -> DynamicGroupsBackend:
        backend: DynamicGroupsBackend = moto_compat.backend_of(
            dynamic_groups_backends, self.current_account, self.region
        )
        return backend

    def _after_thing_change(self, thing_name: Optional[str]) -> None:
        after_thing_change(self.current_account, self.region, thing_name)

    def _refusal_or_failure(self, names: list[Optional[str]]) -> Optional[tuple[str, dict[str, Any]]]:
        """`_refuse_dynamic`, with a defect of ours answered as a 500 before anything changed."""
        try:
            return self._refuse_dynamic(names)
        except Exception:
            return self._internal_failure()

    def _refuse_dynamic(self, names: list[Optional[str]]) -> Optional[tuple[str, dict[str, Any]]]:
        """Static-group operations on a dynamic group: InvalidRequestException, as AWS
        (the answer moto's call_action passes on as it is)."""
        backend = self._dynamic()
        with backend.lock:
            for name in names:
                group = backend.is_dynamic(name.rsplit("/", 1)[-1] if name else None)
                if group is not None:
                    return moto_compat.response_for_moto(*
                        InvalidRequestException(
                            f"This operation does not support dynamic thing groups. Thing group arn: {group.arn}"
                        ).to_response(CONTROL_PLANE)
                    )
        return None

    def update_thing(self) -> Any:
        result = super().update_thing()
        self._after_thing_change(self._thing_name_param())
        return result

    def describe_thing_group(self) -> Any:
        result = super().describe_thing_group()
        backend = self._dynamic()
        with backend.lock:
            group = backend.is_dynamic(unquote(str(self.path).split("/thing-groups/")[-1]))
            fields = group.describe_fields() if group is not None else None
        return moto_compat.add_to_result(result, fields) if fields else result

    def create_thing_group(self) -> Any:
        """moto keeps no tags: CreateThingGroup's `tags` go to the tagging service."""
        result = super().create_thing_group()
        tags = self._get_param("tags")
        if tags:
            name = unquote(str(self.path).split("/thing-groups/")[-1])
            store_registry_tags(self.current_account, self.region, "thinggroup", name, tags)
        return result

    def create_thing_type(self) -> Any:
        """moto keeps no tags: CreateThingType's `tags` go to the tagging service."""
        result = super().create_thing_type()
        tags = self._get_param("tags")
        if tags:
            name = str(self._get_param("thingTypeName"))
            store_registry_tags(self.current_account, self.region, "thingtype", name, tags)
        return result

    def update_indexing_configuration(self) -> Any:
        """Thing indexing cannot be turned off while dynamic thing groups exist: they are
        defined by fleet-indexing queries."""
        mode = (self._get_param("thingIndexingConfiguration") or {}).get("thingIndexingMode")
        if mode == "OFF":
            backend = self._dynamic()
            with backend.lock:
                count = sum(1 for name in list(backend.groups) if backend.is_dynamic(name))
            if count:
                return moto_compat.response_for_moto(*
                    InvalidRequestException(
                        f"Thing indexing cannot be turned off while {count} dynamic thing group(s) "
                        "exist; delete them first"
                    ).to_response(CONTROL_PLANE)
                )
        return super().update_indexing_configuration()

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

    def _this_thing(self) -> list[str]:
        name = self._thing_name_param()
        return [name] if name else []

    def _cap_refusal(self, adding: list[Optional[str]], removing: list[Optional[str]]) -> Optional[tuple[str, dict[str, Any]]]:
        """`_static_add_refusal`, with a defect of ours answered as a 500 before anything changed."""
        try:
            return self._static_add_refusal(adding, removing)
        except Exception:
            return self._internal_failure()

    def _static_add_refusal(self, adding: list[Optional[str]], removing: list[Optional[str]]) -> Optional[tuple[str, dict[str, Any]]]:
        """A thing belongs to at most 10 groups: InvalidRequestException when this static-group
        change would pass that, unless overrideDynamicGroups lets its newest dynamic groups
        make room (docs/device-management.md)."""
        thing_name = self._thing_name_param()
        if not thing_name:
            return None
        override = bool(self._get_param("overrideDynamicGroups"))
        backend = self._dynamic()
        with backend.lock:
            why = backend.static_add_refusal(
                thing_name, _group_names(adding), _group_names(removing), override
            )
        if why is None:
            return None
        return moto_compat.response_for_moto(*InvalidRequestException(why).to_response(CONTROL_PLANE))

    def add_thing_to_thing_group(self) -> Any:
        group = [self._get_param("thingGroupName"), self._get_param("thingGroupArn")]
        refusal = self._refusal_or_failure(group) or self._cap_refusal(group[:1] if group[0] else group[1:], [])
        if refusal is not None:
            return refusal
        return self._watched(
            super().add_thing_to_thing_group,
            self._this_thing,
            after_change=lambda: self._after_thing_change(self._thing_name_param()),
        )

    def remove_thing_from_thing_group(self) -> Any:
        refusal = self._refusal_or_failure([self._get_param("thingGroupName"), self._get_param("thingGroupArn")])
        if refusal is not None:
            return refusal
        return self._watched(
            super().remove_thing_from_thing_group,
            self._this_thing,
            after_change=lambda: self._after_thing_change(self._thing_name_param()),
        )

    def update_thing_groups_for_thing(self) -> Any:
        adding = list(self._get_param("thingGroupsToAdd") or [])
        removing = list(self._get_param("thingGroupsToRemove") or [])
        refusal = self._refusal_or_failure(adding + removing) or self._cap_refusal(adding, removing)
        if refusal is not None:
            return refusal
        return self._watched(
            super().update_thing_groups_for_thing,
            self._this_thing,
            after_change=lambda: self._after_thing_change(self._thing_name_param()),
        )

    def delete_thing_group(self) -> Any:
        name = self._get_param("thingGroupName")
        refusal = self._refusal_or_failure([name])
        if refusal is not None:
            return refusal

        found: list[str] = []

        def members() -> list[str]:
            found[:] = [
                thing.thing_name
                for group in self.iot_backend.thing_groups.values()
                if group.thing_group_name == name
                for thing in group.things.values()
            ]
            return found

        def regroup() -> None:
            # The members left a group: a dynamic group querying thingGroupNames may drop them.
            for thing_name in found:
                self._after_thing_change(thing_name)

        return self._watched(super().delete_thing_group, members, after_change=regroup)

    def delete_thing(self) -> Any:
        found: list[Any] = []

        def deleted_thing() -> list[str]:
            thing_name = self._thing_name_param()
            thing = moto_compat.find_thing(self.iot_backend, thing_name) if thing_name else None
            if thing is None:
                return []  # moto answers ResourceNotFoundException
            found.append(thing)
            return [thing.thing_name]

        def forget() -> None:
            # moto leaves a deleted thing in its thing groups; AWS does not. Left there, a
            # job targeting the group would queue an execution for a thing that no longer
            # exists, and a thing recreated under that name would be a member at once.
            for thing in found:
                moto_compat.forget_thing_in_groups(self.iot_backend, thing.arn)

        return self._watched(super().delete_thing, deleted_thing, deleted=True, after_change=forget)
