"""The `iot` job operations (the control plane), on top of the job store.

Each function takes the store, the already validated parameters (botocore member names,
typed in `inputs.py`) and the time of the request, checks what the model cannot (existence,
state, cross-field rules) before it changes anything, and returns records; `handlers.py`
serializes them. Every change goes through the store, which journals it.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from moto_iotjobs.protocol.errors import (
    InvalidRequestException,
    InvalidStateTransitionException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    VersionConflictException,
)
from moto_iotjobs.protocol.pagination import decode_token, take_page
from moto_iotjobs.services.jobs import documents, job_sources
from moto_iotjobs.services.jobs.inputs import (
    AssociateTargetsWithJobInput,
    CancelJobExecutionInput,
    CancelJobInput,
    CreateJobInput,
    DeleteJobExecutionInput,
    DeleteJobInput,
    DescribeJobExecutionInput,
    DescribeJobInput,
    GetJobDocumentInput,
    ListJobExecutionsForJobInput,
    ListJobExecutionsForThingInput,
    ListJobsInput,
    UpdateJobInput,
)
from moto_iotjobs.services.jobs.lifecycle import (
    CANCELED,
    JOB_CANCELED,
    JOB_COMPLETED,
    JOB_IN_PROGRESS,
    JOB_SCHEDULED,
    JOB_TERMINAL,
    PENDING,
    REMOVED,
    Actor,
    can_transition,
)
from moto_iotjobs.services.jobs.policies import rollout, scheduling
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.jobs.store import JobStore
from moto_iotjobs.services.jobs.targets import (
    THING,
    THING_GROUP,
    check_targets_exist,
    groups_containing,
    iot_registry,
    parse_targets,
    resolve_things,
)
from moto_iotjobs.services.jobs.templates import TemplateStore
from moto_iotjobs.services.packages.deployment import check_destinations
from moto_iotjobs.services.tagging.operations import tags_at_creation
from moto_iotjobs.services.tagging.owners import tag_map

#: At most this many targets per job for AssociateTargetsWithJob (AWS IoT Jobs limits).
MAX_TARGETS_PER_JOB = 100

#: Job configuration members shared by CreateJob, UpdateJob and job templates, with the
#: record attribute each one is stored in.
JOB_CONFIG_MEMBERS = (
    ("presignedUrlConfig", "presigned_url_config"),
    ("jobExecutionsRolloutConfig", "rollout_config"),
    ("abortConfig", "abort_config"),
    ("timeoutConfig", "timeout_config"),
    ("jobExecutionsRetryConfig", "retry_config"),
)


def check_retry_config(config: Optional[dict[str, Any]]) -> None:
    """The retries of all criteria may total at most 10 (AWS IoT job configurations)."""
    if not config:
        return
    criteria = config.get("criteriaList") or []
    total = sum(c.get("numberOfRetries") or 0 for c in criteria)
    if total > 10:
        raise InvalidRequestException(
            f"The total numberOfRetries of jobExecutionsRetryConfig.criteriaList is {total}; "
            "at most 10 retries are allowed per job execution"
        )
    types = [c.get("failureType") for c in criteria]
    if len(set(types)) != len(types):
        raise InvalidRequestException(
            "jobExecutionsRetryConfig.criteriaList may name each failureType only once"
        )


# --- jobs ---------------------------------------------------------------------------


def create_job(store: JobStore, templates: TemplateStore, params: CreateJobInput, now: float) -> Job:
    """Everything CreateJob can refuse is checked before the job is stored."""
    job_id = params["jobId"]
    existing = store.jobs.get(job_id)
    if existing is not None:
        raise ResourceAlreadyExistsException(
            f"Job with id {job_id} already exists", resource_id=job_id, resource_arn=existing.arn
        )
    targets = parse_targets(params["targets"], store.account_id, store.region_name)
    registry = iot_registry(store.account_id, store.region_name)
    check_targets_exist(registry, targets)
    source = job_sources.job_source(templates, params)
    packages = check_destinations(
        store.account_id,
        store.region_name,
        params.get("destinationPackageVersions") or source.defaults.get("destination_package_versions"),
        source.document,
    )
    check_retry_config(params.get("jobExecutionsRetryConfig"))
    tags_at_creation(tag_map(params.get("tags")))
    schedule = scheduling.check_scheduling(params.get("schedulingConfig"), now)

    job = Job(job_id, store.arn(f"job/{job_id}"), store.next_seq(), now)
    job.targets = list(dict.fromkeys(t.arn for t in targets))
    job.target_selection = params.get("targetSelection") or "SNAPSHOT"
    job.description = params.get("description")
    job.tags = params.get("tags")
    job.namespace_id = params.get("namespaceId")
    job.destination_package_versions = params.get("destinationPackageVersions")
    job.scheduling_config = params.get("schedulingConfig")
    source.apply(job)
    if packages:
        job.resolved_packages = packages
    for member, attribute in JOB_CONFIG_MEMBERS:
        value = params.get(member)
        if value is not None:
            setattr(job, attribute, value)
    documents.check_presign_role(job.document, job.presigned_url_config, f"job {job_id}")
    group_ids = {
        t.name: registry.thing_groups[t.arn].thing_group_id
        for t in targets
        if t.kind == THING_GROUP
    }
    job.target_group_names = list(group_ids)
    job.target_group_ids = group_ids
    if schedule is not None and schedule.starts_later(now):
        job.status = JOB_SCHEDULED
    store.index_job(job)
    store.emit("job-created", job, None, None, now)
    scheduling.schedule_job(store, job, schedule, now)
    if job.status == JOB_IN_PROGRESS:
        rollout.start_rollout(store, job, resolve_things(registry, targets), now)
    return job


def describe_job(store: JobStore, params: DescribeJobInput) -> Job:
    return store.get_job(params["jobId"])


def list_jobs(store: JobStore, params: ListJobsInput) -> tuple[list[Job], Optional[str], Optional[str]]:
    """Jobs newest first, filtered through the smallest index that applies."""
    filters = {
        "status": (store.jobs_by_status, params.get("status")),
        "targetSelection": (store.jobs_by_selection, params.get("targetSelection")),
        "thingGroupName": (store.jobs_by_group_name, params.get("thingGroupName")),
        "thingGroupId": (store.jobs_by_group_id, params.get("thingGroupId")),
        "namespaceId": (store.jobs_by_namespace, params.get("namespaceId")),
    }
    active = {name: value for name, (_, value) in filters.items() if value is not None}
    context = "ListJobs:" + json.dumps(active, sort_keys=True)
    before = decode_token(params.get("nextToken"), context)
    candidates = store.jobs_all
    for name, value in active.items():
        index = filters[name][0].get(value)
        if index is None:
            return [], None, None
        if len(index) < len(candidates):
            candidates = index
    group_name = active.get("thingGroupName")
    group_id = active.get("thingGroupId")

    def matches(job: Job) -> bool:
        return (
            ("status" not in active or job.status == active["status"])
            and ("targetSelection" not in active or job.target_selection == active["targetSelection"])
            and ("namespaceId" not in active or job.namespace_id == active["namespaceId"])
            and (group_name is None or group_name in job.target_group_ids)
            and (group_id is None or group_id in job.target_group_ids.values())
        )

    jobs = (job for job in candidates.newest_first(before) if matches(job))
    page, token = take_page(jobs, params.get("maxResults"), lambda j: j.seq, context)
    summary_group_id = group_id
    if group_name is not None and summary_group_id is None and page:
        summary_group_id = page[0].target_group_ids.get(group_name)
    return page, token, summary_group_id


def check_retry_update(config: Optional[dict[str, Any]]) -> None:
    """After a job is created its retries can only be set to 0 (developer guide, job
    configurations: https://docs.aws.amazon.com/iot/latest/developerguide/jobs-configurations-details.html)."""
    for criteria in (config or {}).get("criteriaList") or []:
        retries = criteria.get("numberOfRetries")
        if retries:
            raise InvalidRequestException(
                f"The number of retries of job executions can only be set to 0 after the job "
                f"is created; numberOfRetries is {retries} for failureType {criteria.get('failureType')}"
            )


def update_job(store: JobStore, params: UpdateJobInput, now: float) -> None:
    job = store.get_job(params["jobId"])
    check_retry_update(params.get("jobExecutionsRetryConfig"))
    check_retry_config(params.get("jobExecutionsRetryConfig"))
    store.touch(job)
    if params.get("description") is not None:
        job.description = params["description"]
    for member, attribute in JOB_CONFIG_MEMBERS:
        value = params.get(member)
        if value is not None:
            setattr(job, attribute, value)
    job.last_updated_at = job.time_of_change(now)  # hardening #14: never back in time
    store.emit("job-updated", job, None, None, now)


def cancel_job(store: JobStore, params: CancelJobInput, now: float) -> Job:
    job = store.get_job(params["jobId"])
    force = bool(params.get("force"))
    if job.status == JOB_COMPLETED or (job.status == JOB_CANCELED and not force):
        raise InvalidRequestException(
            f"Job {job.job_id} is already {job.status} and can not be canceled"
            + ("" if job.status == JOB_COMPLETED else " again without force")
        )
    store.cancel(job, force, params.get("reasonCode"), params.get("comment"), now)
    return job


def delete_job(store: JobStore, params: DeleteJobInput, now: float) -> None:
    job = store.get_job(params["jobId"])
    if job.status not in JOB_TERMINAL and not params.get("force"):
        raise InvalidStateTransitionException(
            f"Job {job.job_id} is {job.status}; a job that is not COMPLETED or CANCELED "
            "can only be deleted with force=true"
        )
    store.remove_job(job, now)


def get_job_document(store: JobStore, params: GetJobDocumentInput) -> str:
    job = store.get_job(params["jobId"])
    return documents.document_for(job, before_substitution=bool(params.get("beforeSubstitution")))


def associate_targets_with_job(store: JobStore, params: AssociateTargetsWithJobInput, now: float) -> Job:
    job = store.get_job(params["jobId"])
    if job.target_selection != "CONTINUOUS":
        raise InvalidRequestException(
            f"Targets can only be associated with a CONTINUOUS job; job {job.job_id} is SNAPSHOT"
        )
    if job.status != JOB_IN_PROGRESS:
        raise InvalidRequestException(
            f"Targets can only be associated with an IN_PROGRESS job; job {job.job_id} is {job.status}"
        )
    targets = parse_targets(params["targets"], store.account_id, store.region_name)
    things = [t for t in targets if t.kind == THING]
    if things:
        raise InvalidRequestException(
            f"Only thing groups can be associated with a job; {things[0].arn} is a thing"
        )
    registry = iot_registry(store.account_id, store.region_name)
    check_targets_exist(registry, targets)
    new = [t for t in targets if t.arn not in job.targets]
    if len(job.targets) + len(dict.fromkeys(t.arn for t in new)) > MAX_TARGETS_PER_JOB:
        raise LimitExceededException(
            f"A job can have at most {MAX_TARGETS_PER_JOB} targets"
        )
    # The same rule as a thing joining a target group (on_membership_changed): a thing the
    # job did not reach before gets a new execution unless its newest one is still pending.
    joiners = [
        name for name in resolve_things(registry, new)
        if not _reaches(job, store.arn(f"thing/{name}"), thing_groups(store, name))
    ]
    store.touch(job)
    for target in new:
        if target.arn not in job.targets:
            job.targets.append(target.arn)
    store.add_target_groups(
        job, {t.name: registry.thing_groups[t.arn].thing_group_id for t in new}
    )
    if params.get("comment") is not None:
        job.comment = params["comment"]
    job.last_updated_at = job.time_of_change(now)  # hardening #14: never back in time
    for thing_name in joiners:
        newest = store.thing_executions.get(thing_name, job.job_id)
        if newest is None or newest.status not in PENDING:
            store.queue_execution(job, thing_name, now)
    return job


# --- executions ---------------------------------------------------------------------


def list_job_executions_for_job(store: JobStore, params: ListJobExecutionsForJobInput
) -> tuple[list[JobExecution], Optional[str]]:
    job = store.get_job(params["jobId"])
    status = params.get("status")
    context = f"ListJobExecutionsForJob:{job.job_id}:{job.seq}:{status}"
    before = decode_token(params.get("nextToken"), context)
    # Every execution number of a thing is listed, not only the latest (docs/live-service.md,
    # "CONTINUOUS jobs and group membership").
    if status is None:
        executions = job.every_execution_newest_first(before)
    elif not job.earlier_executions:
        executions = job.by_status[status].newest_first(before)
    else:
        executions = (e for e in job.every_execution_newest_first(before) if e.status == status)
    return take_page(executions, params.get("maxResults"), lambda e: e.seq, context)


def list_job_executions_for_thing(store: JobStore, params: ListJobExecutionsForThingInput
) -> tuple[list[JobExecution], Optional[str]]:
    thing_name = params["thingName"]
    status = params.get("status")
    namespace_id = params.get("namespaceId")
    job_id = params.get("jobId")
    context = "ListJobExecutionsForThing:" + json.dumps(
        [thing_name, status, namespace_id, job_id]
    )
    before = decode_token(params.get("nextToken"), context)
    if job_id is not None:
        latest = store.thing_executions.get(thing_name, job_id)
        records = []
        while latest is not None:
            records.append(latest)
            latest = latest.previous
    else:
        records = []
        for latest in reversed(store.thing_executions.of_thing(thing_name)):
            records.append(latest)
            earlier = latest.previous
            while earlier is not None:
                records.append(earlier)
                earlier = earlier.previous
        if len(records) > 1:
            records.sort(key=lambda e: e.seq, reverse=True)
    selected = (
        e
        for e in records
        if (before is None or e.seq < before)
        and (status is None or e.status == status)
        and (namespace_id is None or e.job.namespace_id == namespace_id)
    )
    return take_page(selected, params.get("maxResults"), lambda e: e.seq, context)


def describe_job_execution(store: JobStore, params: DescribeJobExecutionInput) -> JobExecution:
    store.get_job(params["jobId"])
    return store.get_execution(params["thingName"], params["jobId"], params.get("executionNumber"))


def cancel_job_execution(store: JobStore, params: CancelJobExecutionInput, now: float) -> None:
    store.get_job(params["jobId"])
    execution = store.get_execution(params["thingName"], params["jobId"])
    expected = params.get("expectedVersion")
    if expected is not None and expected != execution.version_number:
        raise VersionConflictException(
            f"The expected version {expected} does not match the current version "
            f"{execution.version_number} of the job execution"
        )
    force = bool(params.get("force"))
    store.change_status(
        execution,
        CANCELED,
        Actor.FORCE_CANCEL if force else Actor.CANCEL,
        now,
        status_details=params.get("statusDetails"),
    )
    execution.force_canceled = force


def delete_job_execution(store: JobStore, params: DeleteJobExecutionInput, now: float) -> None:
    job = store.get_job(params["jobId"])
    execution = store.get_execution(params["thingName"], params["jobId"], params["executionNumber"])
    if execution.status in PENDING and not params.get("force"):
        raise InvalidStateTransitionException(
            f"The job execution of job {job.job_id} on thing {execution.thing_name} is "
            f"{execution.status}; only a terminal job execution can be deleted without force"
        )
    store.remove_execution(execution, now)


# --- registry changes (continuous jobs, deleted things) ---------------------------------


def thing_groups(store: JobStore, thing_name: str) -> set[str]:
    """The groups a thing belongs to now (directly or through a child group)."""
    registry = iot_registry(store.account_id, store.region_name)
    thing_arn = store.arn(f"thing/{thing_name}")
    return groups_containing(registry, thing_arn) if thing_arn in registry.things else set()


def _reaches(job: Job, thing_arn: str, groups: set[str]) -> bool:
    return thing_arn in job.targets or not groups.isdisjoint(job.target_group_names)


def on_membership_changed(
    store: JobStore, thing_name: str, groups_before: set[str], now: float
) -> None:
    """A thing joined or left groups (docs/live-service.md, "CONTINUOUS jobs and group
    membership"). Joining a target group of an IN_PROGRESS continuous job queues a new
    execution unless the thing's newest one is still pending; no longer reaching a
    continuous job removes a QUEUED execution (an IN_PROGRESS one may still finish)."""
    thing_arn = store.arn(f"thing/{thing_name}")
    groups = thing_groups(store, thing_name)
    reached: dict[str, Job] = {}
    for group in sorted(groups - groups_before):
        reached.update(store.continuous_jobs_by_group.get(group, {}))
    # Queue in job creation order, not in the (hash-seeded) order of a set of groups.
    for job in sorted(reached.values(), key=lambda j: j.seq):
        if _reaches(job, thing_arn, groups_before):
            continue  # it was a member through another target already
        newest = store.thing_executions.get(thing_name, job.job_id)
        if newest is None or newest.status not in PENDING:
            store.queue_execution(job, thing_name, now)
    for execution in store.thing_executions.of_thing(thing_name):
        job = execution.job
        # Removed only when the thing no longer belongs to any target of the job; a job
        # that is CANCELED (so no longer queues new things) still reaches its members.
        if (
            job.target_selection == "CONTINUOUS"
            and can_transition(execution.status, REMOVED, Actor.LEFT_GROUP)
            and not _reaches(job, thing_arn, groups)
        ):
            store.change_status(execution, REMOVED, Actor.LEFT_GROUP, now)


def on_thing_deleted(store: JobStore, thing_name: str, now: float) -> None:
    """Executions not yet terminal on a deleted thing become REMOVED."""
    for execution in store.thing_executions.of_thing(thing_name):
        if can_transition(execution.status, REMOVED, Actor.THING_DELETED):
            store.change_status(execution, REMOVED, Actor.THING_DELETED, now)
