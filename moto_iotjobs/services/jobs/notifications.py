"""The MQTT messages the Jobs service publishes, recorded as moto records MQTT publishes.

Every message is appended to `moto.iotdata.models.iotdata_backends[account][region]
.published_payloads` as `(topic, payload bytes)`, and handed to any extra sink (the embedded
MQTT broker of `moto_iotjobs.mqtt`). What is published, from the AWS IoT developer guide
("Jobs notifications", "Jobs events"):

- `$aws/things/{thing}/jobs/notify` (ListNotification): when the list of the thing's pending
  executions changes (one is queued, or one leaves it for a terminal status or is deleted);
  not when an execution only moves from QUEUED to IN_PROGRESS. At most 10 entries,
  IN_PROGRESS before QUEUED, each by queue time; empty groups are left out.
- `$aws/things/{thing}/jobs/notify-next` (NextNotification): only when *which* execution is
  next changes; `{"timestamp"}` alone once nothing is pending. The job document is a JSON
  object here (a string over HTTP).
- Jobs with a namespaceId use `.../jobs/notify-namespace-{ns}` and
  `.../jobs/notify-next-namespace-{ns}`, each namespace with its own list (the topics AWS IoT
  Greengrass subscribes to).
- With JOB / JOB_EXECUTION events enabled (UpdateEventConfigurations):
  `$aws/events/job/{jobId}/{completed|canceled|deleted|cancellation_in_progress|deletion_in_progress}`
  and `$aws/events/jobExecution/{jobId}/{succeeded|failed|rejected|canceled|timed_out|removed|deleted}`.
"""

from __future__ import annotations

import os
import threading
import warnings
from typing import TYPE_CHECKING, Any, Callable, Optional
from uuid import uuid4

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol import nesting
from moto_iotjobs.services.jobs.device_plane import pending_executions
from moto_iotjobs.services.jobs.documents import document_for_device
from moto_iotjobs.services.jobs.event_configurations import EventConfigurations
from moto_iotjobs.services.jobs.lifecycle import (
    IN_PROGRESS,
    JOB_CANCELED,
    JOB_COMPLETED,
    PENDING,
    QUEUED,
    TERMINAL,
)
from moto_iotjobs.services.jobs.records import Job, JobExecution
from moto_iotjobs.services.jobs.serialization import device_summary, thing_arn

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.store import JobStore

Sink = Callable[[str, bytes], None]

#: Entries of a ListNotification (15 with scheduling; see device_plane.MAX_PENDING).
MAX_LISTED = 10

#: (sink, account_id or None, region_name or None); replaced whole, so publishers iterate a
#: snapshot without taking the lock.
_sinks: tuple[tuple[Sink, Optional[str], Optional[str]], ...] = ()
_sinks_lock = threading.Lock()


def add_sink(sink: Sink, account_id: Optional[str] = None, region_name: Optional[str] = None) -> None:
    """Also deliver every published message to `sink(topic, payload)` (e.g. an MQTT broker);
    only one account's and/or region's messages when those are given."""
    global _sinks
    with _sinks_lock:
        _sinks = (*_sinks, (sink, account_id, region_name))


def remove_sink(sink: Sink) -> None:
    global _sinks
    with _sinks_lock:
        _sinks = tuple(entry for entry in _sinks if entry[0] != sink)


def to_sinks(account_id: str, region_name: str, topic: str, payload: bytes) -> None:
    """Hand one message to every sink listening to that account and region."""
    for sink, sink_account, sink_region in _sinks:
        if sink_account not in (None, account_id):
            continue
        if sink_region not in (None, region_name):
            continue
        sink(topic, payload)


#: Environment variable bounding moto's `published_payloads` (per account and region).
MAX_RECORDED_ENV = "MOTO_IOTJOBS_MAX_RECORDED_MESSAGES"


def _bound_from_environment() -> Optional[int]:
    text = os.environ.get(MAX_RECORDED_ENV, "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:  # loud, but not an import error of the pytest plugin
        warnings.warn(f"{MAX_RECORDED_ENV}={text!r} is not a whole number; ignored", stacklevel=2)
        return None
    return value if value > 0 else None


#: Most messages kept in each `published_payloads`, oldest dropped first; None: unbounded
#: (the in-process default: tests read them all). A long-running server sets a bound.
_max_recorded: Optional[int] = _bound_from_environment()


def set_max_recorded_messages(bound: Optional[int]) -> None:
    """Keep at most `bound` recorded messages per account and region (None or 0: no bound)."""
    global _max_recorded
    _max_recorded = bound if bound and bound > 0 else None


def max_recorded_messages() -> Optional[int]:
    return _max_recorded


def record_published(iotdata: Any, messages: list[tuple[str, bytes]]) -> None:
    """Append to moto's `published_payloads` (the one place the plugin does), then drop the
    oldest beyond the bound, in place: callers may hold the list."""
    recorded = iotdata.published_payloads
    recorded.extend(messages)
    bound = _max_recorded
    if bound is not None and len(recorded) > bound:
        del recorded[: len(recorded) - bound]


def deliver(account_id: str, region_name: str, topic: str, payload: bytes) -> None:
    """Record one service message in moto's iot-data backend and hand it to the sinks (the
    way other services, such as commands, publish through the same mechanism)."""
    record_published(moto_compat.iotdata_backend(account_id, region_name), [(topic, payload)])
    to_sinks(account_id, region_name, topic, payload)


def _dumps(value: Any) -> bytes:
    # nesting.dumps: a message may carry a job document nested 1,000 levels deep
    return nesting.dumps(value).encode("utf-8")



def _document_object(document: str) -> Any:
    try:
        return nesting.loads(document)
    except (ValueError, RecursionError):
        return document


class Notifier:
    """A store listener that publishes what AWS would, for one account and region.

    Messages are built when the change happens (from the state it leaves) and delivered when
    the operation commits: a call that fails publishes nothing."""

    def __init__(self, store: JobStore, event_configurations: EventConfigurations) -> None:
        self.store = store
        self.account_id = store.account_id
        self.region_name = store.region_name
        self.event_configurations = event_configurations
        self._iotdata: Any = None
        self._cache: dict[Any, bytes] = {}
        self._outbox: list[tuple[str, bytes]] = []

    # --- delivery ---------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes) -> None:
        journal = self.store.journal
        if not journal.active:
            self._deliver([(topic, payload)])
            return
        outbox = self._outbox
        if not outbox:
            journal.on_commit(self._flush)
            journal.record(outbox.clear)  # a rollback drops what was held
        outbox.append((topic, payload))

    def _flush(self) -> None:
        messages, self._outbox = self._outbox, []
        self._deliver(messages)

    def _deliver(self, messages: list[tuple[str, bytes]]) -> None:
        if self._iotdata is None:
            self._iotdata = moto_compat.iotdata_backend(self.account_id, self.region_name)
        record_published(self._iotdata, messages)
        if _sinks:
            for topic, payload in messages:
                to_sinks(self.account_id, self.region_name, topic, payload)

    def events_enabled(self, kind: str) -> bool:
        return self.event_configurations.is_enabled(kind)

    # --- the listener -----------------------------------------------------------------

    def __call__(
        self,
        event: str,
        job: Job,
        execution: Optional[JobExecution],
        previous: Optional[str],
        now: float,
    ) -> None:
        if execution is not None:
            self._execution_event(event, execution, previous, now)
        elif event == "job-status":
            self._job_status_event(job, now)
        elif self.events_enabled("JOB"):
            if event == "job-canceling":
                self._job_event(job, "cancellation_in_progress", "CANCELLATION_IN_PROGRESS", now)
            elif event == "job-deleting":
                self._job_event(job, "deletion_in_progress", "DELETION_IN_PROGRESS", now)
            elif event == "job-deleted":
                self._job_event(job, "deleted", "DELETED", now)

    def _execution_event(self, event: str, execution: JobExecution, previous: Optional[str], now: float) -> None:
        if event == "execution-changed" and previous == execution.status:
            return  # e.g. IN_PROGRESS progress reports: neither the list nor the next one moves
        was_pending = event != "execution-queued" and previous in PENDING
        is_pending = event != "execution-deleted" and execution.status in PENDING
        thing = execution.thing_name
        namespace = execution.job.namespace_id
        if was_pending != is_pending:
            self._list_notification(thing, namespace, now)
        if was_pending or is_pending:
            self._next_notification(execution, previous if was_pending else None, now)
        if self.events_enabled("JOB_EXECUTION"):
            if event == "execution-deleted":
                self._execution_terminal_event(execution, "deleted", now)
            elif execution.status in TERMINAL and previous != execution.status:
                self._execution_terminal_event(execution, execution.status.lower(), now)

    def executions_queued(self, job: Job, executions: list[JobExecution], now: float) -> None:
        """A rollout batch: a thing whose only execution is the new one gets the same two
        messages as every other such thing, built once (a fleet of 10^5 stays cheap)."""
        lone = self.store.thing_executions.lone
        shared: Optional[tuple[bytes, bytes]] = None
        publish = self.publish
        for execution in executions:
            thing = execution.thing_name
            if job.namespace_id is not None or lone(thing) is not execution:
                self._execution_event("execution-queued", execution, None, now)
                continue
            if shared is None:
                shared = (
                    _dumps({"timestamp": int(now), "jobs": {QUEUED: [device_summary(execution)]}}),
                    self._next_payload(execution, now),
                )
            publish(f"$aws/things/{thing}/jobs/notify", shared[0])
            publish(f"$aws/things/{thing}/jobs/notify-next", shared[1])

    def _next_payload(self, nxt: JobExecution, now: float) -> bytes:
        execution = {"jobId": nxt.job.job_id, "status": nxt.status, **device_summary(nxt)}
        execution["jobDocument"] = _document_object(document_for_device(self.region_name, nxt.job))
        return _dumps({"timestamp": int(now), "execution": execution})

    def _pending(self, thing: str, namespace: Optional[str]) -> tuple[list[JobExecution], list[JobExecution]]:
        in_progress, queued = pending_executions(self.store, thing)
        return (
            [e for e in in_progress if e.job.namespace_id == namespace],
            [e for e in queued if e.job.namespace_id == namespace],
        )

    @staticmethod
    def _topic(thing: str, kind: str, namespace: Optional[str]) -> str:
        suffix = f"-namespace-{namespace}" if namespace else ""
        return f"$aws/things/{thing}/jobs/{kind}{suffix}"

    def _list_notification(self, thing: str, namespace: Optional[str], now: float) -> None:
        in_progress, queued = self._pending(thing, namespace)
        in_progress = in_progress[:MAX_LISTED]
        queued = queued[: MAX_LISTED - len(in_progress)]
        key = ("list", int(now), tuple(_key(e) for e in in_progress), tuple(_key(e) for e in queued))
        payload = self._cache.get(key)
        if payload is None:
            jobs: dict[str, Any] = {}
            if in_progress:
                jobs[IN_PROGRESS] = [device_summary(e) for e in in_progress]
            if queued:
                jobs[QUEUED] = [device_summary(e) for e in queued]
            payload = self._remember(key, _dumps({"timestamp": int(now), "jobs": jobs}))
        self.publish(self._topic(thing, "notify", namespace), payload)

    def _next_notification(self, execution: JobExecution, was: Optional[str], now: float) -> None:
        """Publish notify-next if the change of `execution` (pending as `was` before, or not
        pending when None) changed which execution is next: IN_PROGRESS ones first, then
        QUEUED, each by queue order."""
        thing = execution.thing_name
        namespace = execution.job.namespace_id
        in_progress, queued = self._pending(thing, namespace)
        after = in_progress[0] if in_progress else (queued[0] if queued else None)
        before_in_progress = [e for e in in_progress if e is not execution]
        before_queued = [e for e in queued if e is not execution]
        if was == IN_PROGRESS:
            before_in_progress.append(execution)
        elif was == QUEUED:
            before_queued.append(execution)
        group = before_in_progress or before_queued
        before = min(group, key=_seq) if group else None
        if before is after:
            return
        payload = _dumps({"timestamp": int(now)}) if after is None else self._next_payload(after, now)
        self.publish(self._topic(thing, "notify-next", namespace), payload)

    def _remember(self, key: Any, payload: bytes) -> bytes:
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[key] = payload
        return payload

    # --- fleet events -----------------------------------------------------------------

    def _job_status_event(self, job: Job, now: float) -> None:
        if not self.events_enabled("JOB"):
            return
        if job.status == JOB_COMPLETED:
            self._job_event(job, "completed", "COMPLETED", now)
        elif job.status == JOB_CANCELED:
            self._job_event(job, "canceled", "CANCELED", now)

    def _job_event(self, job: Job, operation: str, status: str, now: float) -> None:
        payload: dict[str, Any] = {
            "eventType": "JOB",
            "eventId": str(uuid4()),
            "timestamp": int(now),
            "operation": operation,
            "jobId": job.job_id,
            "status": status,
            "targetSelection": job.target_selection,
            "targets": list(job.targets),
        }
        if job.description is not None:
            payload["description"] = job.description
        if job.completed_at is not None and status == "COMPLETED":
            payload["completedAt"] = int(job.completed_at * 1000)
        payload["createdAt"] = int(job.created_at * 1000)
        payload["lastUpdatedAt"] = int(job.last_updated_at * 1000)
        if status == "COMPLETED":
            payload["jobProcessDetails"] = {
                "numberOfCanceledThings": job.count("CANCELED"),
                "numberOfRejectedThings": job.count("REJECTED"),
                "numberOfFailedThings": job.count("FAILED"),
                "numberOfRemovedThings": job.count("REMOVED"),
                "numberOfSucceededThings": job.count("SUCCEEDED"),
            }
        if job.comment is not None and status != "COMPLETED":
            payload["comment"] = job.comment
        self.publish(f"$aws/events/job/{job.job_id}/{operation}", _dumps(payload))

    def _execution_terminal_event(self, execution: JobExecution, operation: str, now: float) -> None:
        payload: dict[str, Any] = {
            "eventType": "JOB_EXECUTION",
            "eventId": str(uuid4()),
            "timestamp": int(now),
            "operation": operation,
            "jobId": execution.job.job_id,
            "thingArn": thing_arn(execution.job, execution.thing_name),
            "status": execution.status,
        }
        if execution.status_details:
            payload["statusDetails"] = dict(execution.status_details)
        self.publish(f"$aws/events/jobExecution/{execution.job.job_id}/{operation}", _dumps(payload))


def _seq(execution: JobExecution) -> int:
    return execution.seq


def _key(execution: JobExecution) -> tuple[Any, ...]:
    return (
        execution.job.job_id,
        int(execution.queued_at),
        int(execution.last_updated_at),
        execution.execution_number,
        execution.version_number,
        None if execution.started_at is None else int(execution.started_at),
    )


def published_notifications(
    thing_name: Optional[str] = None,
    topic: Optional[str] = None,
    region_name: str = "us-east-1",
    account_id: str = "123456789012",
) -> list[tuple[str, Any]]:
    """(topic, decoded payload) of the Jobs messages recorded in moto's iot-data backend,
    optionally only one thing's (`$aws/things/{thing}/...`) or one exact topic's."""
    backend = moto_compat.iotdata_backend(account_id, region_name)
    out = []
    for published_topic, payload in list(backend.published_payloads):
        if not (published_topic.startswith("$aws/things/") or published_topic.startswith("$aws/events/job")):
            continue
        if topic is not None and published_topic != topic:
            continue
        if thing_name is not None and not published_topic.startswith(f"$aws/things/{thing_name}/"):
            continue
        out.append((published_topic, nesting.loads(payload.decode("utf-8"))))
    return out
