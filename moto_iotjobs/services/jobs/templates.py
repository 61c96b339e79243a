"""Job templates: custom ones (CreateJobTemplate ...) and AWS's managed catalogue.

A job created from a template takes the template's document and configuration, explicit
CreateJob arguments winning. Managed templates (AWS-Reboot, AWS-Download-File, ...) carry
`${aws:iot:parameter:KEY}` placeholders that CreateJob fills from `documentParameters`,
each value checked against the parameter's regex. The catalogue is data:
`data/managed_job_templates.json` (sources in `data/SOURCES.md`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timezone
from functools import cache
from pathlib import Path
from typing import Any, Optional

from moto_iotjobs.protocol.errors import (
    ConflictException,
    InvalidRequestException,
    ResourceNotFoundException,
)
from moto_iotjobs.protocol.pagination import decode_token, take_page
from moto_iotjobs.services.jobs.documents import (
    check_document,
    check_presign_role,
    load_document_source,
)
from moto_iotjobs.services.jobs.indexes import SeqIndex
from moto_iotjobs.services.jobs.inputs import (
    CreateJobTemplateInput,
    DeleteJobTemplateInput,
    DescribeJobTemplateInput,
    DescribeManagedJobTemplateInput,
    ListJobTemplatesInput,
    ListManagedJobTemplatesInput,
)
from moto_iotjobs.services.jobs.store import JobStore
from moto_iotjobs.services.jobs.targets import iot_registry
from moto_iotjobs.services.packages.deployment import check_destinations
from moto_iotjobs.services.tagging.operations import tags_at_creation
from moto_iotjobs.services.tagging.owners import tag_map
from moto_iotjobs.state.transaction import Journal

_CATALOGUE = Path(__file__).parents[2] / "data" / "managed_job_templates.json"

#: Template members copied onto a job created from it (template key, job attribute).
TEMPLATE_CONFIG = (
    ("presignedUrlConfig", "presigned_url_config"),
    ("jobExecutionsRolloutConfig", "rollout_config"),
    ("abortConfig", "abort_config"),
    ("timeoutConfig", "timeout_config"),
    ("jobExecutionsRetryConfig", "retry_config"),
    ("destinationPackageVersions", "destination_package_versions"),
)


@dataclass
class JobTemplate:
    template_id: str
    arn: str
    seq: int
    description: str
    created_at: float
    document: Optional[str] = None
    document_source: Optional[str] = None
    config: dict[str, Any] = field(default_factory=dict)  # the optional members, as given
    tags: Optional[list[dict[str, str]]] = None
    mirror_of: Any = None  # the moto FakeJobTemplate this one stands for (CloudFormation)


@cache
def managed_catalogue() -> tuple[dict[str, Any], ...]:
    """AWS's managed templates, ordered by name (read once)."""
    with _CATALOGUE.open(encoding="utf-8") as f:
        return tuple(sorted(json.load(f), key=lambda t: t["templateName"]))


def managed_template(name: str, version: Optional[str] = None) -> Optional[dict[str, Any]]:
    for template in managed_catalogue():
        if template["templateName"] == name and version in (None, template["templateVersion"]):
            return template
    return None


def _regional(template: dict[str, Any], region_name: str) -> dict[str, Any]:
    out = dict(template)
    out["templateArn"] = template["templateArn"].replace("{region}", region_name)
    return out


class TemplateStore:
    """The custom job templates of one account and region, and the template operations
    (CreateJobTemplate, DescribeJobTemplate, ListJobTemplates, DeleteJobTemplate and the
    managed-template reads). Changes are journaled like the job store's."""

    def __init__(self, account_id: str, region_name: str, journal: Journal) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.journal = journal
        self.job_templates: dict[str, JobTemplate] = {}
        self.job_templates_index: SeqIndex[JobTemplate] = SeqIndex()
        self._template_seq = 0

    def _add(self, template: JobTemplate) -> None:
        self.journal.record(lambda: self._forget(template))
        self.job_templates[template.template_id] = template
        self.job_templates_index.add(template.seq, template)

    def _remove(self, template: JobTemplate) -> None:
        def undo() -> None:
            self.job_templates[template.template_id] = template
            self.job_templates_index.add(template.seq, template)

        self.journal.record(undo)
        self._forget(template)

    def _forget(self, template: JobTemplate) -> None:
        if self.job_templates.get(template.template_id) is template:
            del self.job_templates[template.template_id]
        self.job_templates_index.discard(template.seq)

    def _next_seq(self) -> int:
        seq = self._template_seq
        self.journal.record(lambda: setattr(self, "_template_seq", seq))
        self._template_seq = seq + 1
        return self._template_seq

    def sync_registry_templates(self) -> None:
        """Templates in moto's own IoT backend are templates too: CloudFormation's
        AWS::IoT::JobTemplate creates, replaces and deletes them there. Mirror them."""
        theirs = iot_registry(self.account_id, self.region_name).jobs_templates
        for template_id, template in list(self.job_templates.items()):
            if template.mirror_of is not None and theirs.get(template_id) is not template.mirror_of:
                self._remove(template)
        for template_id, fake in theirs.items():
            if template_id in self.job_templates:
                continue
            config = {
                key: value
                for key, value in (
                    ("presignedUrlConfig", fake.presigned_url_config),
                    ("jobExecutionsRolloutConfig", fake.job_executions_rollout_config),
                    ("abortConfig", fake.abort_config),
                    ("timeoutConfig", fake.timeout_config),
                    ("jobExecutionsRetryConfig", fake.job_execution_retry_config),
                )
                if value
            }
            mirror = JobTemplate(
                template_id=template_id,
                arn=fake.job_template_arn,
                seq=self._next_seq(),
                description=fake.description or "",
                created_at=fake.created_at.replace(tzinfo=timezone.utc).timestamp(),
                document=fake.document,
                document_source=fake.document_source or None,
                config=config,
                mirror_of=fake,
            )
            self._add(mirror)

    def create_job_template(self, jobs: JobStore, params: CreateJobTemplateInput, now: float) -> JobTemplate:
        self.sync_registry_templates()
        template_id = params["jobTemplateId"]
        if template_id in self.job_templates:
            raise ConflictException(f"Job Template {template_id} already exists.", resource_id=template_id)
        tags_at_creation(tag_map(params.get("tags")))
        sources = [k for k in ("jobArn", "document", "documentSource") if params.get(k) is not None]
        # jobArn may come with a document that replaces the job's (captured on the live
        # service, docs/live-service.md, "Job templates").
        if len(sources) != 1 and sources != ["jobArn", "document"]:
            raise InvalidRequestException(
                "Specify one of jobArn, document and documentSource for a job template "
                "(jobArn may be given with document)"
            )
        config = {
            key: params[key]
            for key in (
                "presignedUrlConfig",
                "jobExecutionsRolloutConfig",
                "abortConfig",
                "timeoutConfig",
                "jobExecutionsRetryConfig",
                "maintenanceWindows",
                "destinationPackageVersions",
            )
            if params.get(key) is not None
        }
        document = params.get("document")
        document_source = params.get("documentSource")
        check_destinations(
            self.account_id, self.region_name, params.get("destinationPackageVersions"), document
        )
        if document is not None:
            check_document(document)
        elif document_source is not None:
            # The document is read once, at creation: a later change of the S3 object
            # does not show (docs/live-service.md, "Job templates").
            document = load_document_source(self.account_id, document_source)
        if params.get("jobArn") is not None:
            job = self._job_by_arn(jobs, params["jobArn"])
            if document is None:
                document = job.document
                document_source = job.document_source
            for key, attribute in TEMPLATE_CONFIG:
                value = getattr(job, attribute)
                if value is not None and key not in config:
                    config[key] = value
        presigned = config.get("presignedUrlConfig")
        check_presign_role(
            document, presigned if isinstance(presigned, dict) else None, f"job template {template_id}"
        )
        template = JobTemplate(
            template_id=template_id,
            arn=f"arn:aws:iot:{self.region_name}:{self.account_id}:jobtemplate/{template_id}",
            seq=self._next_seq(),
            description=params["description"],
            created_at=now,
            document=document,
            document_source=document_source,
            config=config,
            tags=params.get("tags"),
        )
        self._add(template)
        return template

    def _job_by_arn(self, jobs: JobStore, job_arn: str) -> Any:
        prefix = f"arn:aws:iot:{self.region_name}:{self.account_id}:job/"
        if not job_arn.startswith(prefix):
            raise InvalidRequestException(f"{job_arn} is not the ARN of a job in this account and region")
        return jobs.get_job(job_arn[len(prefix):])

    def get_job_template(self, template_id: str) -> JobTemplate:
        self.sync_registry_templates()
        template = self.job_templates.get(template_id)
        if template is None:
            raise ResourceNotFoundException(f"Job Template {template_id} cannot be found.")
        return template

    def describe_job_template(self, params: DescribeJobTemplateInput) -> JobTemplate:
        return self.get_job_template(params["jobTemplateId"])

    def list_job_templates(self, params: ListJobTemplatesInput) -> tuple[list[JobTemplate], Optional[str]]:
        self.sync_registry_templates()
        context = "ListJobTemplates"
        before = decode_token(params.get("nextToken"), context)
        return take_page(
            self.job_templates_index.newest_first(before), params.get("maxResults"), lambda t: t.seq, context
        )

    def delete_job_template(self, params: DeleteJobTemplateInput, now: float) -> None:
        template = self.get_job_template(params["jobTemplateId"])
        self._remove(template)
        if template.mirror_of is not None:
            theirs = iot_registry(self.account_id, self.region_name).jobs_templates
            fake = theirs.pop(template.template_id, None)
            if fake is not None:
                self.journal.record(lambda: theirs.__setitem__(template.template_id, fake))

    def describe_managed_job_template(self, params: DescribeManagedJobTemplateInput) -> dict[str, Any]:
        name = params["templateName"]
        version = params.get("templateVersion")
        template = managed_template(name, version)
        if template is None:
            suffix = f" version {version}" if version else ""
            raise ResourceNotFoundException(f"Managed job template {name}{suffix} does not exist")
        return _regional(template, self.region_name)

    def list_managed_job_templates(
        self, params: ListManagedJobTemplatesInput
    ) -> tuple[list[dict[str, Any]], Optional[str]]:
        name = params.get("templateName")
        context = f"ListManagedJobTemplates:{name}"
        start = decode_token(params.get("nextToken"), context)
        matching = [
            (index, t)
            for index, t in enumerate(managed_catalogue())
            if name is None or t["templateName"] == name
        ]
        if name is not None and not matching:
            raise ResourceNotFoundException(f"Managed job template {name} does not exist")
        # Positions count down so that "before position" pages forward through the list.
        total = len(managed_catalogue())
        items = [
            (total - index, _regional(t, self.region_name))
            for index, t in matching
            if start is None or total - index < start
        ]
        page, token = take_page(items, params.get("maxResults"), lambda item: item[0], context)
        return [t for _, t in page], token
