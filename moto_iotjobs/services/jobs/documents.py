"""Job documents: where they come from and what each reader sees.

A document is given inline, read once from moto's S3 (`documentSource`), or taken from a job
template (custom or AWS-managed, with `documentParameters` substituted). Readers differ:
GetJobDocument shows `${aws:iot:parameter:...}` placeholders resolved (unless
beforeSubstitution), and never presigns; a device receives every
`${aws:iot:s3-presigned-url:<S3 URL>}` placeholder replaced by a presigned URL when the job
has a presignedUrlConfig, as AWS does when the device asks for the document.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote, urlsplit

from moto_iotjobs.moto_integration import compat as moto_compat
from moto_iotjobs.protocol import nesting
from moto_iotjobs.protocol.errors import InvalidRequestException
from moto_iotjobs.protocol.parsing import strict_json
from moto_iotjobs.services.packages import deployment as packages

if TYPE_CHECKING:
    from moto_iotjobs.services.jobs.records import Job

#: Largest document AWS accepts: 32 KB of UTF-8 (CreateJob `document`).
MAX_DOCUMENT_BYTES = 32 * 1024

_PRESIGNED_PLACEHOLDER = re.compile(r"\$\{aws:iot:s3-presigned-url:(?P<url>[^}]+)\}")
_PARAMETER_PLACEHOLDER = re.compile(r"\$\{aws:iot:parameter:(?P<key>[a-zA-Z0-9_-]+)\}")

_S3_HOST = re.compile(
    r"^(?:(?P<vhost_bucket>.+)\.)?s3(?:[.-](?P<region>[a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$"
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key) of an S3 object URL, path-style, virtual-hosted or s3://."""
    parts = urlsplit(url)
    if parts.scheme == "s3":
        bucket, key = parts.netloc, parts.path.lstrip("/")
    elif parts.scheme in ("http", "https"):
        host = _S3_HOST.match(parts.hostname or "")
        if host is None:
            raise InvalidRequestException(f"{url} is not an Amazon S3 object URL")
        path = unquote(parts.path).lstrip("/")
        if host.group("vhost_bucket"):
            bucket, key = host.group("vhost_bucket"), path
        else:
            bucket, _, key = path.partition("/")
    else:
        raise InvalidRequestException(f"{url} is not an Amazon S3 object URL")
    if not bucket or not key:
        raise InvalidRequestException(f"{url} does not name an S3 bucket and key")
    return bucket, key


def read_s3_object(account_id: str, url: str) -> bytes:
    """The object's bytes from moto's S3, or InvalidRequestException when it is missing."""
    bucket, key = parse_s3_url(url)
    body = moto_compat.s3_object(account_id, bucket, key)
    if body is None:
        raise InvalidRequestException(
            f"The job document source {url} could not be read: no object {key} in bucket {bucket}"
        )
    return body


def check_document(document: str, where: str = "document") -> None:
    """A job document is a UTF-8 JSON object of at most 32 KB."""
    if len(document.encode("utf-8")) > MAX_DOCUMENT_BYTES:
        raise InvalidRequestException(
            f"The job {where} is larger than the maximum of {MAX_DOCUMENT_BYTES} bytes"
        )
    depth = nesting.text_depth(document, stop_above=nesting.MAX_DOCUMENT_DEPTH)
    if depth > nesting.MAX_DOCUMENT_DEPTH:
        # The live service's limit (docs/live-service.md "Deep documents").
        raise InvalidRequestException(
            f"The job {where} is nested more than {nesting.MAX_DOCUMENT_DEPTH} levels deep"
        )
    try:
        parsed = nesting.loads(document, strict_json)
    except (ValueError, RecursionError):
        raise InvalidRequestException(f"The job {where} is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise InvalidRequestException(f"The job {where} must be a JSON object")


@dataclass
class JobSource:
    """A new job's document and the defaults a template gives it."""

    document: str
    document_source: Optional[str] = None
    template_arn: Optional[str] = None
    raw_document: Optional[str] = None  # before documentParameters substitution
    document_parameters: Optional[dict[str, str]] = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def apply(self, job: Job) -> None:
        job.document = self.document
        job.document_source = self.document_source
        job.job_template_arn = self.template_arn
        job.document_parameters = self.document_parameters
        job.raw_document = self.raw_document
        for attribute, value in self.defaults.items():
            if getattr(job, attribute) is None:
                setattr(job, attribute, value)


def load_document_source(account_id: str, url: str) -> str:
    data = read_s3_object(account_id, url)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRequestException(f"The job document at {url} is not UTF-8") from None
    check_document(text, where=f"document at {url}")
    return text


def _account_and_region(job: Job) -> tuple[str, str]:
    """From the job's ARN (arn:<partition>:iot:<region>:<account>:job/<id>)."""
    _, _, _, region_name, account_id, _ = job.arn.split(":", 5)
    return account_id, region_name


def document_for(job: Job, before_substitution: bool = False) -> str:
    """What GetJobDocument returns: package placeholders resolved unless beforeSubstitution."""
    if before_substitution:
        return job.raw_document if job.raw_document is not None else (job.document or "")
    if not job.resolved_packages:
        return job.document or ""
    account_id, region_name = _account_and_region(job)
    return packages.substitute(account_id, region_name, job.document or "", job.resolved_packages)


_presign_clients: dict[str, Any] = {}
_presign_lock = threading.Lock()


def _presigned_url(region_name: str, url: str, expires_in: int) -> str:
    import boto3
    from botocore.config import Config

    bucket, key = parse_s3_url(url)
    with _presign_lock:
        client = _presign_clients.get(region_name)
        if client is None:
            client = boto3.session.Session(
                aws_access_key_id="ASIAMOTOIOTJOBSPRESIGN",
                aws_secret_access_key="moto-iotjobs-presign-secret",
                aws_session_token="moto-iotjobs-session",
                region_name=region_name,
            ).client("s3", config=Config(signature_version="s3v4"))
            _presign_clients[region_name] = client
    return str(
        client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )
    )


def document_for_device(region_name: str, job: Job) -> str:
    """The document a device receives: package and presigned-URL placeholders replaced."""
    document = job.document or ""
    if job.resolved_packages:
        account_id, _ = _account_and_region(job)
        expires = int((job.presigned_url_config or {}).get("expiresInSec") or 3600)
        document = packages.substitute(
            account_id,
            region_name,
            document,
            job.resolved_packages,
            presign=lambda url: _presigned_url(region_name, url, expires),
        )
    config = job.presigned_url_config
    if not config or "${aws:iot:s3-presigned-url:" not in document:
        return document
    expires_in = int(config.get("expiresInSec") or 3600)

    def presign(match: re.Match[str]) -> str:
        try:
            return _presigned_url(region_name, match.group("url"), expires_in)
        except InvalidRequestException:
            return match.group(0)  # not an S3 object URL: AWS leaves it as written

    return _PRESIGNED_PLACEHOLDER.sub(presign, document)


def substitute_parameters(document: str, values: dict[str, str]) -> str:
    """Replace `${aws:iot:parameter:KEY}` placeholders (values JSON-escaped, as they sit
    inside JSON strings)."""

    def replace(match: re.Match[str]) -> str:
        key = match.group("key")
        if key not in values:
            return ""
        return json.dumps(values[key])[1:-1]

    return _PARAMETER_PLACEHOLDER.sub(replace, document)


def check_presign_role(document: Optional[str], presigned_url_config: Optional[dict[str, Any]], what: str) -> None:
    """A document with a presigned-URL placeholder needs presignedUrlConfig.roleArn: the
    service could not presign otherwise (captured text, docs/live-service.md, "Job
    templates"); `what` is "job ID" or "job template ID"."""
    if document and "${aws:iot:s3-presigned-url:" in document and not (presigned_url_config or {}).get("roleArn"):
        raise InvalidRequestException(f"Role must be provided for pre-sign S3 urls in job document of {what}.")
