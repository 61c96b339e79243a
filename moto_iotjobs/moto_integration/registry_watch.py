"""moto's IoT responses for everything that is not a job operation, watched: group
membership changes and deleted things are passed on to the job backend (continuous jobs,
REMOVED executions).

A registry call and what it sets off in the jobs are one operation, run under the job
backend's lock: a CreateJob resolving a group's members (under the same lock) sees one
consistent membership, never a dict changing under its iteration; and if the jobs part fails,
moto's registry is put back as it was (`compat.registry_snapshot`), the jobs' changes are
undone (`backend.atomic()`), and the caller gets a 500 InternalFailureException.
CreateThing checks the name against botocore's model first (moto accepts `/`, `+`, `#`, NUL,
200 characters; a thing named `victim/jobs/notify-next` would publish onto another device's
topics).
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol.errors import CONTROL_PLANE, InternalFailureException, JobsError
from moto_iotjobs.protocol.service_model import operation_spec
from moto_iotjobs.protocol.validation import validate
from moto_iotjobs.services.jobs import control_plane
from moto_iotjobs.services.jobs.backend import IoTJobsBackend, iotjobs_backends
from moto_iotjobs.timing import clock

log = logging.getLogger(__name__)


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
            except Exception:  # a defect of ours, before anything changed
                return self._internal_failure()
            result = change()  # moto's own errors are moto's answers
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
        return super().create_thing()

    def _thing_name_param(self) -> Optional[str]:
        name = self._get_param("thingName")
        if name:
            return str(name)
        arn = self._get_param("thingArn")
        return str(arn).rsplit("/", 1)[-1] if arn else None

    def _this_thing(self) -> list[str]:
        name = self._thing_name_param()
        return [name] if name else []

    def add_thing_to_thing_group(self) -> Any:
        return self._watched(super().add_thing_to_thing_group, self._this_thing)

    def remove_thing_from_thing_group(self) -> Any:
        return self._watched(super().remove_thing_from_thing_group, self._this_thing)

    def update_thing_groups_for_thing(self) -> Any:
        return self._watched(super().update_thing_groups_for_thing, self._this_thing)

    def delete_thing_group(self) -> Any:
        name = self._get_param("thingGroupName")

        def members() -> list[str]:
            return [
                thing.thing_name
                for group in self.iot_backend.thing_groups.values()
                if group.thing_group_name == name
                for thing in group.things.values()
            ]

        return self._watched(super().delete_thing_group, members)

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
