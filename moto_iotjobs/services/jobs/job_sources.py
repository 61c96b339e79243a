"""Where a new job's document and defaults come from: CreateJob's document,
documentSource, or jobTemplateArn (a custom template, or an AWS-managed one whose
`documentParameters` are checked and substituted).
"""

from __future__ import annotations

import re
from typing import Any, Optional

from moto_iotjobs.protocol.errors import InvalidRequestException, ResourceNotFoundException
from moto_iotjobs.services.jobs.documents import (
    JobSource,
    check_document,
    load_document_source,
    substitute_parameters,
)
from moto_iotjobs.services.jobs.inputs import CreateJobInput
from moto_iotjobs.services.jobs.templates import TEMPLATE_CONFIG, TemplateStore, managed_template

_TEMPLATE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iot:(?P<region>[a-z0-9-]+):(?P<account>\d{12})?:"
    r"jobtemplate/(?P<name>[a-zA-Z0-9_-]+)(?::(?P<version>[0-9.]+))?$"
)


def job_source(templates: TemplateStore, params: CreateJobInput) -> JobSource:
    """Resolve CreateJob's document, documentSource, jobTemplateArn and documentParameters."""
    document = params.get("document")
    document_source = params.get("documentSource")
    template_arn = params.get("jobTemplateArn")
    parameters = params.get("documentParameters")
    if document is not None and document_source is not None:
        raise InvalidRequestException("Specify either document or documentSource, not both")
    if template_arn is not None:
        source = source_from_template(templates, template_arn, parameters, document, document_source)
    elif parameters is not None:
        raise InvalidRequestException(
            "documentParameters can only be used with an AWS managed job template (jobTemplateArn)"
        )
    elif document is not None:
        check_document(document)
        source = JobSource(document=document)
    elif document_source is not None:
        source = JobSource(
            document=load_document_source(templates.account_id, document_source),
            document_source=document_source,
        )
    else:
        raise InvalidRequestException(
            "A job needs a document: specify document, documentSource or jobTemplateArn"
        )
    return source


def _parse_template_arn(template_arn: str) -> re.Match[str]:
    match = _TEMPLATE_ARN.match(template_arn)
    if match is None:
        raise InvalidRequestException(f"{template_arn} is not a job template ARN")
    return match


def source_from_template(
    store: TemplateStore,
    template_arn: str,
    parameters: Optional[dict[str, str]],
    document: Optional[str],
    document_source: Optional[str],
) -> JobSource:
    """The document and defaults of a job created with `jobTemplateArn`."""
    match = _parse_template_arn(template_arn)
    if match.group("region") != store.region_name:
        raise InvalidRequestException(f"Job template {template_arn} is not in region {store.region_name}")
    if match.group("account") is None:
        managed = managed_template(match.group("name"), match.group("version"))
        if managed is None:
            raise ResourceNotFoundException(f"Managed job template {template_arn} does not exist")
        if document is not None or document_source is not None:
            raise InvalidRequestException(
                "A job created from an AWS managed template takes its document from the template"
            )
        values = check_document_parameters(managed, parameters or {})
        raw = managed["document"]
        return JobSource(
            document=substitute_parameters(raw, values),
            template_arn=template_arn,
            raw_document=raw,
            document_parameters=parameters or None,
        )
    if match.group("account") != store.account_id:
        raise InvalidRequestException(f"Job template {template_arn} is not in account {store.account_id}")
    if parameters is not None:
        raise InvalidRequestException(
            "documentParameters can only be used with an AWS managed job template"
        )
    template = store.get_job_template(match.group("name"))
    if document is not None:
        check_document(document)
        source = JobSource(document=document, template_arn=template_arn)
    elif document_source is not None:
        source = JobSource(
            document=load_document_source(store.account_id, document_source),
            document_source=document_source,
            template_arn=template_arn,
        )
    elif template.document_source is not None and template.document is None:
        source = JobSource(
            document=load_document_source(store.account_id, template.document_source),
            document_source=template.document_source,
            template_arn=template_arn,
        )
    else:
        source = JobSource(
            document=template.document or "",
            document_source=template.document_source,
            template_arn=template_arn,
        )
    source.defaults = {
        attribute: template.config[key] for key, attribute in TEMPLATE_CONFIG if key in template.config
    }
    return source


def check_document_parameters(template: dict[str, Any], given: dict[str, str]) -> dict[str, str]:
    """Every required parameter present, no unknown one, each value matching its regex."""
    declared = {p["key"]: p for p in template["documentParameters"]}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidRequestException(
            f"Unknown documentParameters for {template['templateName']}: {', '.join(unknown)}"
        )
    values: dict[str, str] = {}
    for key, parameter in declared.items():
        value = given.get(key)
        if value is None:
            if not parameter.get("optional"):
                raise InvalidRequestException(
                    f"documentParameters must include {key} for {template['templateName']}"
                )
            values[key] = ""
            continue
        if re.fullmatch(parameter["regex"], value, re.DOTALL) is None:
            raise InvalidRequestException(
                f"Value '{value}' of documentParameters.{key} does not match the parameter's "
                f"regular expression {parameter['regex']}"
            )
        values[key] = value
    return values
