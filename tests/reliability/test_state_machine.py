"""Random sequences of control- and device-plane calls against an independent reference model.

A hypothesis `RuleBasedStateMachine` drives boto3 clients inside the mock: create (things and
thing groups, SNAPSHOT and CONTINUOUS, with and without an in-progress timeout), update the
timeout, cancel with and without force, delete with and without force, cancel and delete
executions, start-next, device updates with no, right and stale expectedVersion (and statuses a
device may not set), thing-group membership changes (add, remove, delete and recreate a thing
or a group)
and the clock moving (time-machine); and, from `machine_dm`, thing attributes, dynamic thing
groups (CONTINUOUS jobs follow them), the package catalog (jobs deploy its versions) and tags,
against `refmodel_dm.DeviceModel`. Every answer is compared with `refmodel.Model`, and after
every step the whole state is read back through the API and checked:

- jobProcessDetails equals the executions counted by status, from the model and from
  ListJobExecutionsForJob;
- a terminal execution never changes again; versionNumber never goes down;
- GetPendingJobExecutions equals the model's QUEUED and IN_PROGRESS executions, in order;
- ListJobs, ListJobExecutionsForJob and ListJobExecutionsForThing, paged at random sizes,
  return each item exactly once;
- a SNAPSHOT job is COMPLETED exactly when all its executions are terminal (and it was not
  canceled); CANCELED and COMPLETED are final; a CONTINUOUS job never completes.

CI runs IOTJOBS_SOAK_EXAMPLES examples (default 40) of IOTJOBS_SOAK_STEPS steps (default 40, about 45 s
at a load of 4.5 on 2 cores);
raise both for a soak, e.g. IOTJOBS_SOAK_EXAMPLES=2000 IOTJOBS_SOAK_STEPS=80.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from typing import Any, Optional

import boto3
import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from moto_iotjobs import mock_iotjobs

from . import refmodel as ref
from . import refmodel_dm as dm
from .helpers import (
    ACCOUNT,
    FAKE_ENV,
    NO_RETRY,
    REGION,
    env_int,
    group_arn,
    make_clients,
    outcome,
    page_all,
    random_sizes,
    thing_arn,
)
from .machine_dm import PACKAGES, TAGS, VERSIONS, DeviceManagementRules, tag_list
from .summary import record

THINGS = ("t0", "t1", "t2", "t3")
GROUPS = ("g0", "g1")
TARGET_GROUPS = GROUPS + ("d0", "d1")
JOB_IDS = ("j0", "j1", "j2")
DOCUMENT = json.dumps({"operation": "noop"})
START = datetime(2026, 1, 1, tzinfo=timezone.utc)

EXAMPLES = env_int("IOTJOBS_SOAK_EXAMPLES", 40)
STEPS = env_int("IOTJOBS_SOAK_STEPS", 40)

DEVICE_STATUSES = st.sampled_from(
    ["IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED", "SUCCEEDED", "FAILED", "REJECTED", "QUEUED", "CANCELED"]
)
DETAILS = st.none() | st.dictionaries(
    st.sampled_from(["step", "progress", "k:1"]), st.sampled_from(["a", "50%", "done"]), min_size=1, max_size=2
)
STEP_TIMEOUT = st.sampled_from([None, None, None, 1, 3, -1])
VERSION_MODE = st.sampled_from(["none", "right", "stale"])


class JobsMachine(DeviceManagementRules, RuleBasedStateMachine):
    iot: Any = None
    jobs_data: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.mock = mock_iotjobs()
        self.mock.start()
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.model = ref.Model(START.timestamp())
        self.dm = dm.DeviceModel(self.model)
        self.rng = random.Random(0)
        # (job uid, thing, number) -> (status, version, details) last seen through the API.
        self.seen: dict[tuple[int, str, int], tuple[str, int, Any]] = {}
        self.job_seen: dict[int, str] = {}
        self.steps = 0

    def teardown(self) -> None:
        self.traveller.stop()
        self.mock.stop()
        record("state machine", "steps", self.steps)
        record("state machine", "examples", 1)

    # --- helpers ------------------------------------------------------------------------

    def expect(self, expected: ref.Outcome, response: Optional[dict], code: Optional[str], what: str) -> None:
        self.steps += 1
        if isinstance(expected, ref.Err):
            assert code == expected.code, f"{what}: expected {expected.code}, got {code or response}"
        else:
            assert code is None, f"{what}: expected success, got {code}"

    def pick_execution(self, data: st.DataObject, pending_only: bool = False) -> tuple[str, str]:
        """Mostly an existing (thing, job) pair, sometimes any pair (for NF answers)."""
        pairs = [
            (e.thing, e.job.job_id)
            for e in self.model.all_executions()
            if not pending_only or e.status in ref.PENDING
        ]
        if pairs and data.draw(st.integers(0, 4), label="existing") > 0:
            return data.draw(st.sampled_from(sorted(set(pairs))), label="execution")
        return (
            data.draw(st.sampled_from(THINGS), label="thing"),
            data.draw(st.sampled_from(JOB_IDS), label="job"),
        )

    def version_for(self, mode: str, thing: str, job_id: str) -> Optional[int]:
        if mode == "none":
            return None
        job = self.model.jobs.get(job_id)
        current = job.current(thing) if job else None
        version = current.version if current else 1
        return version if mode == "right" else version + self.rng.choice((-1, 1))

    # --- setup --------------------------------------------------------------------------

    @initialize(
        seed=st.integers(0, 2**32 - 1),
        members=st.lists(st.tuples(st.sampled_from(THINGS), st.sampled_from(GROUPS)), max_size=5),
        fw=st.lists(st.sampled_from(["1", "2", "3"]), min_size=len(THINGS), max_size=len(THINGS)),
    )
    def setup(self, seed: int, members: list[tuple[str, str]], fw: list[str]) -> None:
        self.rng.seed(seed)
        self.iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
        for thing, version in zip(THINGS, fw):
            self.iot.create_thing(thingName=thing, attributePayload={"attributes": {"fw": version}})
            self.dm.create_thing(thing, {"fw": version})
        for group in GROUPS:
            self.iot.create_thing_group(thingGroupName=group)
            self.dm.create_static_group(group)
        for thing, group in members:
            self.iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)
            self.dm.static_change(thing, group, add=True)

    # --- control plane ------------------------------------------------------------------

    @rule(
        job_id=st.sampled_from(JOB_IDS),
        selection=st.sampled_from(["SNAPSHOT", "CONTINUOUS"]),
        things=st.lists(st.sampled_from(THINGS), unique=True, max_size=3),
        groups=st.lists(st.sampled_from(TARGET_GROUPS), unique=True, max_size=2),
        timeout=st.sampled_from([None, None, 1, 2, 5]),
        destination=st.none() | st.tuples(st.sampled_from(PACKAGES), st.sampled_from(VERSIONS + ("$default",))),
        tags=st.just({}) | TAGS,
    )
    def create_job(self, job_id: str, selection: str, things: list[str], groups: list[str],
                   timeout: Optional[int], destination: Optional[tuple[str, str]],
                   tags: dict[str, str]) -> None:
        if not things and not groups:
            groups = ["g0"]
        kwargs: dict[str, Any] = {
            "jobId": job_id,
            "targets": [thing_arn(t) for t in things] + [group_arn(g) for g in groups],
            "document": DOCUMENT,
            "targetSelection": selection,
        }
        if timeout:
            kwargs["timeoutConfig"] = {"inProgressTimeoutInMinutes": timeout}
        if destination is not None:
            kwargs["destinationPackageVersions"] = [
                f"arn:aws:iot:{REGION}:{ACCOUNT}:package/{destination[0]}/version/{destination[1]}"
            ]
        if tags:
            kwargs["tags"] = tag_list(tags)
        response, code = outcome(self.iot.create_job, **kwargs)
        expected = self.dm.job_refusal(job_id, things, groups, destination, tags) or self.model.create_job(
            job_id, selection, things, groups, timeout
        )
        if isinstance(expected, ref.Ok):
            self.dm.job_created(job_id, tags)
        self.expect(expected, response, code, f"CreateJob {kwargs}")

    @rule(job_id=st.sampled_from(JOB_IDS), group=st.sampled_from(TARGET_GROUPS))
    def associate_targets(self, job_id: str, group: str) -> None:
        response, code = outcome(self.iot.associate_targets_with_job, jobId=job_id, targets=[group_arn(group)])
        self.expect(self.model.associate_targets(job_id, group), response, code,
                    f"AssociateTargetsWithJob {job_id} {group}")

    @rule(job_id=st.sampled_from(JOB_IDS), minutes=st.sampled_from([1, 3, 10]))
    def update_job_timeout(self, job_id: str, minutes: int) -> None:
        response, code = outcome(
            self.iot.update_job, jobId=job_id, timeoutConfig={"inProgressTimeoutInMinutes": minutes}
        )
        self.expect(self.model.update_job_timeout(job_id, minutes), response, code, "UpdateJob")

    @rule(job_id=st.sampled_from(JOB_IDS), force=st.booleans())
    def cancel_job(self, job_id: str, force: bool) -> None:
        response, code = outcome(self.iot.cancel_job, jobId=job_id, force=force)
        self.expect(self.model.cancel_job(job_id, force), response, code, f"CancelJob {job_id} force={force}")

    @rule(job_id=st.sampled_from(JOB_IDS), force=st.booleans())
    def delete_job(self, job_id: str, force: bool) -> None:
        response, code = outcome(self.iot.delete_job, jobId=job_id, force=force)
        expected = self.model.delete_job(job_id, force)
        if isinstance(expected, ref.Ok):
            self.dm.job_deleted(job_id)
        self.expect(expected, response, code, f"DeleteJob {job_id} force={force}")

    @rule(data=st.data(), force=st.booleans(), mode=VERSION_MODE, details=DETAILS)
    def cancel_job_execution(self, data: st.DataObject, force: bool, mode: str,
                             details: Optional[dict[str, str]]) -> None:
        thing, job_id = self.pick_execution(data, pending_only=True)
        expected_version = self.version_for(mode, thing, job_id)
        kwargs: dict[str, Any] = {"jobId": job_id, "thingName": thing, "force": force}
        if expected_version is not None:
            kwargs["expectedVersion"] = expected_version
        if details is not None:
            kwargs["statusDetails"] = details
        response, code = outcome(self.iot.cancel_job_execution, **kwargs)
        expected = self.model.cancel_job_execution(thing, job_id, force, expected_version, details)
        self.expect(expected, response, code, f"CancelJobExecution {kwargs}")

    @rule(data=st.data(), number=st.integers(1, 3), force=st.booleans())
    def delete_job_execution(self, data: st.DataObject, number: int, force: bool) -> None:
        thing, job_id = self.pick_execution(data)
        response, code = outcome(
            self.iot.delete_job_execution, jobId=job_id, thingName=thing, executionNumber=number, force=force
        )
        job = self.model.jobs.get(job_id)
        expected = self.model.delete_job_execution(thing, job_id, number, force)
        self.expect(expected, response, code, f"DeleteJobExecution {thing} {job_id} #{number} force={force}")
        if isinstance(expected, ref.Ok) and job is not None:
            self.seen.pop((job.uid, thing, number), None)  # a deleted number may be reused

    # --- device plane -------------------------------------------------------------------

    @rule(thing=st.sampled_from(THINGS), details=DETAILS, step=STEP_TIMEOUT)
    def start_next(self, thing: str, details: Optional[dict[str, str]], step: Optional[int]) -> None:
        kwargs: dict[str, Any] = {"thingName": thing}
        if details is not None:
            kwargs["statusDetails"] = details
        if step is not None:
            kwargs["stepTimeoutInMinutes"] = step
        response, code = outcome(self.jobs_data.start_next_pending_job_execution, **kwargs)
        expected = self.model.start_next(thing, details, step)
        self.expect(expected, response, code, f"StartNext {kwargs}")
        assert isinstance(expected, ref.Ok) and response is not None
        execution = expected.value
        if execution is None:
            assert "execution" not in response, response
            return
        got = response["execution"]
        assert (got["jobId"], got["status"], got["versionNumber"], got["executionNumber"]) == (
            execution.job.job_id, execution.status, execution.version, execution.number
        ), (got, execution)
        assert got.get("statusDetails") == (execution.details or None), (got, execution.details)
        assert got["jobDocument"] == DOCUMENT

    @rule(data=st.data(), status=DEVICE_STATUSES, mode=VERSION_MODE, details=DETAILS, step=STEP_TIMEOUT)
    def update_execution(self, data: st.DataObject, status: str, mode: str,
                         details: Optional[dict[str, str]], step: Optional[int]) -> None:
        thing, job_id = self.pick_execution(data, pending_only=True)
        expected_version = self.version_for(mode, thing, job_id)
        kwargs: dict[str, Any] = {
            "thingName": thing,
            "jobId": job_id,
            "status": status,
            "includeJobExecutionState": True,
        }
        if expected_version is not None:
            kwargs["expectedVersion"] = expected_version
        if details is not None:
            kwargs["statusDetails"] = details
        if step is not None:
            kwargs["stepTimeoutInMinutes"] = step
        response, code = outcome(self.jobs_data.update_job_execution, **kwargs)
        expected = self.model.update(thing, job_id, status, expected_version, details, step)
        self.expect(expected, response, code, f"UpdateJobExecution {kwargs}")
        if isinstance(expected, ref.Ok):
            assert response is not None
            if status == "SUCCEEDED":
                self.dm.execution_succeeded(thing, job_id)
            state = response["executionState"]
            assert (state["status"], state["versionNumber"]) == (expected.value.status, expected.value.version)

    # --- registry -----------------------------------------------------------------------

    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def add_to_group(self, data: st.DataObject, group: str) -> None:
        if not self.model.things or group not in self.model.groups:
            return
        thing = data.draw(st.sampled_from(sorted(self.model.things)), label="thing")
        response, code = outcome(self.iot.add_thing_to_thing_group, thingGroupName=group, thingName=thing)
        self.expect(self.dm.static_change(thing, group, add=True), response, code, f"Add {thing} to {group}")

    @rule(data=st.data(), group=st.sampled_from(GROUPS))
    def remove_from_group(self, data: st.DataObject, group: str) -> None:
        if not self.model.things or group not in self.model.groups:
            return
        thing = data.draw(st.sampled_from(sorted(self.model.things)), label="thing")
        response, code = outcome(self.iot.remove_thing_from_thing_group, thingGroupName=group, thingName=thing)
        self.expect(self.dm.static_change(thing, group, add=False), response, code,
                    f"Remove {thing} from {group}")

    @rule(thing=st.sampled_from(THINGS), fw=st.sampled_from(["1", "2", "3"]))
    def delete_or_recreate_thing(self, thing: str, fw: str) -> None:
        if thing in self.model.things:
            self.iot.delete_thing(thingName=thing)
            self.dm.delete_thing(thing)
        else:
            self.iot.create_thing(thingName=thing, attributePayload={"attributes": {"fw": fw}})
            self.dm.create_thing(thing, {"fw": fw})
        self.steps += 1

    @rule(group=st.sampled_from(GROUPS))
    def delete_or_recreate_group(self, group: str) -> None:
        if group in self.model.groups:
            response, code = outcome(self.iot.delete_thing_group, thingGroupName=group)
            self.expect(self.dm.delete_static_group(group), response, code, f"DeleteThingGroup {group}")
        else:
            self.iot.create_thing_group(thingGroupName=group)
            self.dm.create_static_group(group)
            self.steps += 1

    # --- time ---------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([1, 30, 59, 60, 61, 90, 120, 180, 299, 300, 600, 3600]))
    def advance(self, seconds: int) -> None:
        self.clock.shift(seconds)
        self.model.advance(seconds)
        self.steps += 1

    # --- the checks after every step ----------------------------------------------------

    def sizes(self) -> Any:
        return random_sizes(self.rng)

    @invariant()
    def state_matches(self) -> None:
        model = self.model
        iot = self.iot

        summaries = page_all(iot.list_jobs, "jobs", self.sizes())
        ids = [s["jobId"] for s in summaries]
        assert len(ids) == len(set(ids)), f"ListJobs repeats a job: {ids}"
        assert set(ids) == set(model.jobs), (ids, sorted(model.jobs))
        for summary in summaries:
            assert summary["status"] == model.jobs[summary["jobId"]].status, summary
        status = self.rng.choice(["IN_PROGRESS", "COMPLETED", "CANCELED"])
        filtered = page_all(iot.list_jobs, "jobs", self.sizes(), status=status)
        assert sorted(s["jobId"] for s in filtered) == sorted(
            j.job_id for j in model.jobs.values() if j.status == status
        ), (status, filtered)

        for job in model.jobs.values():
            described = iot.describe_job(jobId=job.job_id)["job"]
            assert described["status"] == job.status, (job.job_id, described["status"], job.status)
            details = described["jobProcessDetails"]
            assert details == job.counts(), (job.job_id, details, job.counts())
            listed = page_all(
                iot.list_job_executions_for_job, "executionSummaries", self.sizes(), jobId=job.job_id
            )
            # Every execution number is listed (docs/live-service.md, "CONTINUOUS jobs and
            # group membership"); jobProcessDetails counts the latest per thing.
            keys = [
                (item["thingArn"].rsplit("/", 1)[1], item["jobExecutionSummary"]["executionNumber"])
                for item in listed
            ]
            assert len(keys) == len(set(keys)), f"ListJobExecutionsForJob repeats: {keys}"
            records = {(e.thing, e.number): e for rs in job.executions.values() for e in rs}
            assert set(keys) == set(records), (job.job_id, keys, sorted(records))
            currents = {e.thing: e for e in job.currents()}
            counted = dict.fromkeys(ref.COUNTERS.values(), 0)
            for item, key in zip(listed, keys):
                summary = item["jobExecutionSummary"]
                if currents[key[0]].number == key[1]:
                    counted[ref.COUNTERS[summary["status"]]] += 1
                assert summary["status"] == records[key].status, (job.job_id, key, summary)
            assert counted == details, ("jobProcessDetails vs listing", job.job_id, details, counted)
            all_terminal = all(e.status in ref.TERMINAL for e in currents.values())
            if job.selection == "SNAPSHOT":
                assert (described["status"] == "COMPLETED") == (
                    described["status"] != "CANCELED" and all_terminal
                ), (job.job_id, described["status"], listed)
            else:
                assert described["status"] != "COMPLETED", job.job_id
            before = self.job_seen.get(job.uid)
            if before in ("COMPLETED", "CANCELED"):
                assert described["status"] == before, (job.job_id, before, described["status"])
            self.job_seen[job.uid] = described["status"]
            assert ("completedAt" in described) == (described["status"] == "COMPLETED"), described

        for thing in THINGS:
            listed = page_all(
                iot.list_job_executions_for_thing, "executionSummaries", self.sizes(), thingName=thing
            )
            keys = [(i["jobId"], i["jobExecutionSummary"]["executionNumber"]) for i in listed]
            assert len(keys) == len(set(keys)), f"ListJobExecutionsForThing repeats: {keys}"
            expected = {
                (e.job.job_id, e.number): e.status for e in model.all_executions() if e.thing == thing
            }
            got = {
                (i["jobId"], i["jobExecutionSummary"]["executionNumber"]): i["jobExecutionSummary"]["status"]
                for i in listed
            }
            assert got == expected, (thing, got, expected)

            pending = self.jobs_data.get_pending_job_executions(thingName=thing)
            in_progress, queued = model.pending(thing)

            def view(items: list[dict]) -> list[tuple]:
                return [(i["jobId"], i["executionNumber"], i["versionNumber"]) for i in items]

            def mview(items: list[ref.Execution]) -> list[tuple]:
                return [(e.job.job_id, e.number, e.version) for e in items]

            assert view(pending["inProgressJobs"]) == mview(in_progress), (thing, pending, in_progress)
            assert view(pending["queuedJobs"]) == mview(queued), (thing, pending, queued)

        for execution in model.all_executions():
            got = iot.describe_job_execution(
                jobId=execution.job.job_id, thingName=execution.thing, executionNumber=execution.number
            )["execution"]
            state = (got["status"], got["versionNumber"], got["statusDetails"].get("detailsMap"))
            assert state == (execution.status, execution.version, execution.details or None), (
                execution.job.job_id, execution.thing, execution.number, got, execution
            )
            assert ("startedAt" in got) == execution.started, (got, execution)
            key = (execution.job.uid, execution.thing, execution.number)
            previous = self.seen.get(key)
            if previous is not None:
                assert state[1] >= previous[1], f"versionNumber went down: {previous} -> {state}"
                if previous[0] in ref.TERMINAL:
                    assert state == previous, f"terminal execution changed: {previous} -> {state}"
            self.seen[key] = state


@pytest.mark.timeout(600)
def test_lifecycle_state_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("MOTO_ACCOUNT_ID", raising=False)
    JobsMachine.iot, JobsMachine.jobs_data = make_clients()
    JobsMachine.iot_data = boto3.client("iot-data", region_name=REGION, config=NO_RETRY)
    run_state_machine_as_test(
        JobsMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
