"""The tags of jobs and job templates, for the tagging service (`services.tagging`): they
live on the records (CreateJob's and CreateJobTemplate's `tags`), so a deleted job or
template takes its tags with it."""

from __future__ import annotations

from typing import Any, Optional

from moto_iotjobs.moto_integration.compat import backend_of
from moto_iotjobs.services.jobs.backend import iotjobs_backends
from moto_iotjobs.services.tagging.owners import TagBinding, tag_list, tag_map


def _binding(record: Any, lock: Any) -> TagBinding:
    def write(tags: dict[str, str]) -> None:
        record.tags = tag_list(tags) or None

    return TagBinding(lambda: tag_map(record.tags), write, lock)


def job_tags(account_id: str, region_name: str, arn: str, job_id: str) -> Optional[TagBinding]:
    backend = backend_of(iotjobs_backends, account_id, region_name)
    with backend.lock:
        job = backend.jobs.get(job_id)
    return None if job is None or job.arn != arn else _binding(job, backend.lock)


def job_template_tags(account_id: str, region_name: str, arn: str, template_id: str) -> Optional[TagBinding]:
    backend = backend_of(iotjobs_backends, account_id, region_name)
    with backend.lock:
        backend.templates.sync_registry_templates()
        template = backend.templates.job_templates.get(template_id)
    return None if template is None or template.arn != arn else _binding(template, backend.lock)
