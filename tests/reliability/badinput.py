"""Invalid requests derived from botocore's service models, for every operation the plugin serves.

For each input member of an operation (and, recursively, each member inside its structures,
lists and maps) the generator derives values that break the model: too short, too long,
pattern breakers (checked against the pattern with the `regex` module, which knows `\\p{...}`,
so a candidate the pattern allows is never sent), out-of-range and mistyped numbers, unknown
enum values, wrong JSON types, missing required members. Added to those: malformed JSON bodies,
oversized statusDetails, Unicode and control characters, path labels holding `/`, `%`, `..`
and bad percent-escapes, and garbled pagination tokens.

Every other member keeps a valid value (from `BASELINES`, or synthesized from the model for
operations added later), so each case breaks exactly one thing. A case knows the member its
error message must name (None when there is no member to name, e.g. a malformed body).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Callable, Optional
from urllib.parse import quote, unquote, urlencode

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

try:  # an independent implementation of Java-style \p{...} classes
    import regex as _regex
except ImportError:  # pragma: no cover - regex comes with moto[server] (cfn-lint)
    _regex = None

from .helpers import ACCOUNT, command_arn, group_arn, thing_arn

CONTROL = "iot"
DEVICE = "iot-jobs-data"

#: Candidates for breaking a pattern; only those the pattern rejects are sent.
PATTERN_BREAKERS = (
    "\x00", "\x07", "\x1f", "\x7f", "\u200b", "\u202e", "\ufeff", "\ud800",
    "a b", "a/b", "a%b", "..", "a.b", "\u00e9", "\U0001f4a5", "line\nbreak", "tab\there",
    "$next", "%2F", "<x>", "'", '"', "\\", "#", "lower", "\uff21\uff22", "\u0661",
    "e\u0301", "arn:", "notanarn",
)
#: Control characters break every pattern in the jobs models (all exclude category C).
FALLBACK_BREAKERS = ("\x00", "\x07", "\x1f", "\x7f")
#: Raw path-label text, exactly as it goes on the wire.
RAW_LABELS = (
    "a/b",  # another path altogether
    "..",
    "%2e%2e",
    "%",
    "%ZZ",
    "%C3%28",  # not UTF-8
    "%ED%A0%80",  # an encoded lone surrogate
    "%00",
    "%2F",
    "a%2Fb%2F..%2Fc",
)
MALFORMED_BODIES = (
    b"{",
    b"[]",
    b"null",
    b'"a string"',
    b"42",
    b'{"a":}',
    b"{'single': 'quotes'}",
    b"\xff\xfe\x00",
    b'{"x": 1,}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
)
BAD_TOKENS = ("garbage", "\x00", "djE6MTox", "%%%", "v1:99:deadbeef", "a" * 5000)
BAD_INTEGER_TEXT = ("abc", "1.5", "", " 7", "7 ", "1_0", "+", "0x10", "1e3", "NaN", "99999999999999999999999")
BAD_BOOLEAN_TEXT = ("yes", "1", "", "tru", "truex")
WRONG_TYPES: dict[str, tuple] = {
    "string": (123, 1.5, True, [], {}),
    "integer": ("5", 1.5, True, [], {}, float("nan"), float("inf")),
    "long": ("5", 2.5, True, [], {}, float("nan")),
    "double": ("5", True, [], {}, float("nan"), float("inf"), float("-inf")),
    "float": ("5", True, [], {}, float("nan")),
    "boolean": ("true", 1, 0, [], {}),
    "structure": ("x", 1, [], True),
    "list": ("x", 1, {}),
    "map": ("x", 1, []),
}


@dataclass
class Case:
    plane: str
    operation: str
    kind: str
    params: dict[str, Any]
    member: Optional[str]  # the member the message must name, if any
    raw_labels: dict[str, str] = field(default_factory=dict)
    raw_query: Optional[dict[str, str]] = None
    raw_body: Optional[bytes] = None
    other_route: bool = False  # the raw path is another route: any modelled error of the plane

    @property
    def needs_raw(self) -> bool:
        return bool(self.raw_labels) or self.raw_query is not None or self.raw_body is not None


@cache
def service_model(plane: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(plane)


def modelled_errors(op: OperationModel) -> set[str]:
    return {shape.name for shape in op.error_shapes} | {"InvalidRequestException"}


def plane_errors(plane: str, operations: list[str]) -> set[str]:
    model = service_model(plane)
    out = {"InvalidRequestException"}
    for name in operations:
        out |= modelled_errors(model.operation_model(name))
    return out


# --- validity oracle -------------------------------------------------------------------------


def matches(pattern: Optional[str], value: str) -> bool:
    if not pattern:
        return True
    if _regex is None:
        return not any(ch in value for ch in FALLBACK_BREAKERS)
    try:
        return _regex.fullmatch(pattern, value) is not None
    except _regex.error:
        return not any(ch in value for ch in FALLBACK_BREAKERS)


def breakers(pattern: str) -> list[str]:
    candidates = PATTERN_BREAKERS if _regex is not None else FALLBACK_BREAKERS
    return [c for c in candidates if not matches(pattern, c)]


# --- valid values ---------------------------------------------------------------------------

_KNOWN_STRINGS = {
    "TargetArn": thing_arn("t1"),
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/jobs-presign",
    "JobDocument": "{}",
    "JobDocumentSource": "https://s3.amazonaws.com/bucket/key.json",
    "StringDateTime": "2030-01-01T00:00",
    "CronExpression": "cron(0 0 * * ? *)",
}


def valid_value(shape: Shape, depth: int = 0) -> Any:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        if getattr(shape, "enum", None):
            return shape.enum[0]
        if shape.name in _KNOWN_STRINGS:
            return _KNOWN_STRINGS[shape.name]
        size = max(meta.get("min", 1), 1)
        for candidate in ("a" * size, "A" * size, "1" * size, "arn:aws:iot:us-east-1:123456789012:x/" + "a" * size):
            if matches(meta.get("pattern"), candidate) and len(candidate) <= meta.get("max", 10**9):
                return candidate
        return "a" * size
    if kind in ("integer", "long"):
        low = int(meta.get("min", 1))
        return max(low, 1) if max(low, 1) <= meta.get("max", 10**9) else low
    if kind in ("double", "float"):
        low, high = meta.get("min"), meta.get("max")
        if low is not None and high is not None:
            return round((low + high) / 2, 1)
        return float(low) if low is not None else 50.0
    if kind == "boolean":
        return True
    if kind == "structure":
        if depth > 4:
            return {}
        return {name: valid_value(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [valid_value(shape.member, depth + 1)] * max(shape.metadata.get("min", 1), 1)
    if kind == "map":
        return {valid_value(shape.key, depth + 1): valid_value(shape.value, depth + 1)}
    if kind == "timestamp":
        return 1_900_000_000
    return "a"


# --- invalid values -------------------------------------------------------------------------

# A variant: (label, value, whether the message can name the member, raw text override)
Variant = tuple[str, Any, bool]


def _too_long(shape: Shape, maximum: int) -> str:
    base = valid_value(shape)
    base = base if isinstance(base, str) else "a"
    for pad in "aA1_":
        value = base + pad * (maximum + 1 - len(base))
        if matches(shape.metadata.get("pattern"), value):
            return value
    return "a" * (maximum + 1)


def string_variants(shape: Shape, location: str) -> list[Variant]:
    meta = shape.metadata
    out: list[Variant] = []
    low, high, pattern = meta.get("min"), meta.get("max"), meta.get("pattern")
    enum = getattr(shape, "enum", None)
    if low:
        out.append(("too short", "" if low == 1 else "a" * (low - 1), True))
    if high:
        out.append((f"too long ({high + 1})", _too_long(shape, high), True))
    if pattern:
        for value in breakers(pattern):
            if location != "body" and "\ud800" in value:
                continue  # cannot be percent-encoded; sent raw as %ED%A0%80 instead
            out.append((f"pattern breaker {value!r}", value, True))
    if enum:
        for value in ("BOGUS", enum[0].lower(), enum[0] + " ", "\u0130N_PROGRESS"):
            if value not in enum:
                out.append((f"unknown enum value {value!r}", value, True))
    if shape.name == "NextToken":
        out.extend((f"garbled token {t[:12]!r}", t, False) for t in BAD_TOKENS)
    if shape.name in ("TargetArn",):
        for value in ("notanarn", "arn:aws:iot:us-east-1:123456789012:thing/", "arn:aws:iot:us-east-1:123456789012:thing/a b",
                      "arn:aws:s3:::bucket/key", thing_arn("t1", account="999999999999"),
                      thing_arn("t1", region="eu-west-1"), group_arn("no-such-group"), thing_arn("no-such-thing")):
            out.append((f"bad target {value[-24:]!r}", value, False))
    if shape.name == "ResourceArn":  # tagging: malformed, untaggable and unknown ARNs
        for value in ("notanarn", "arn:aws:s3:::bucket/key", "arn:aws:iot:us-east-1:123456789012:cert/x",
                      "arn:aws:iot:us-east-1:123456789012:job/no-such-job",
                      "arn:aws:iot:eu-west-1:123456789012:job/j", "arn:aws:iot:us-east-1:999999999999:job/j",
                      group_arn("no-such-group"), "arn:aws:iot:us-east-1:123456789012:package/no-such"):
            out.append((f"bad resource ARN {value[-24:]!r}", value, False))
    if shape.name == "PackageVersionArn":  # destinationPackageVersions: not deployable
        base = f"arn:aws:iot:us-east-1:{ACCOUNT}:package/"
        for value in (thing_arn("t1"), base + "pkg/version/1.0", base + "no-such/version/1.0",
                      base + "pkg/version/9.9", base + "pkg/version/$default",
                      f"arn:aws:iot:eu-west-1:{ACCOUNT}:package/pkg/version/1.0",
                      "arn:aws:iot:us-east-1:999999999999:package/pkg/version/1.0"):
            out.append((f"undeployable package version {value[-28:]!r}", value, False))
    if shape.name == "QueryString":  # dynamic groups: queries that do not parse
        for value in ("colour:red", "thingName:*x", "(thingName:a", "thingName:a AND", "word",
                      "thingGroupName:g", "attributes.a:[1 2]"):
            out.append((f"bad query {value!r}", value, False))
    if shape.name == "JobDocument":
        for value in ("not json", "[]", "null", "\x00", '{"a": NaN}', "{" * 5000):
            out.append((f"bad document {value[:10]!r}", value, False))
    if shape.name == "JobDocumentSource":
        for value in ("ftp://example/doc", "notaurl", "https://s3.amazonaws.com/no-bucket/no-key"):
            out.append((f"bad document source {value!r}", value, False))
    if location == "body":
        out.extend((f"wrong JSON type {type(v).__name__}", v, True) for v in WRONG_TYPES["string"])
    return out


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and (value != value or value in (float("inf"), float("-inf")))


def number_variants(shape: Shape, location: str) -> list[Variant]:
    meta = shape.metadata
    out: list[Variant] = []
    low, high = meta.get("min"), meta.get("max")
    integral = shape.type_name in ("integer", "long")
    if low is not None:
        below = low - 1 if integral else low - 0.5
        out.append((f"below minimum ({below})", int(below) if integral else below, True))
    if high is not None:
        above = high + 1 if integral else high + 0.5
        out.append((f"above maximum ({above})", int(above) if integral else above, True))
    if integral:
        for value in (2**63, -(2**63) - 1, 10**30):
            out.append((f"out of long range ({value})", value, True))
    if location == "body":
        # NaN and Infinity make the whole body invalid JSON: no member to name then.
        out.extend((f"wrong JSON type {v!r}", v, not _non_finite(v)) for v in WRONG_TYPES[shape.type_name])
    else:
        out.extend((f"not a number {t!r}", t, True) for t in BAD_INTEGER_TEXT)
    return out


def boolean_variants(shape: Shape, location: str) -> list[Variant]:
    if location == "body":
        return [(f"wrong JSON type {v!r}", v, True) for v in WRONG_TYPES["boolean"]]
    return [(f"not a boolean {t!r}", t, True) for t in BAD_BOOLEAN_TEXT]


def nested_variants(shape: Shape, depth: int) -> list[Variant]:
    """Invalid values of a structure, list or map (body members only)."""
    out: list[Variant] = [(f"wrong JSON type {v!r}", v, True) for v in WRONG_TYPES[shape.type_name]]
    if depth > 3:
        return out
    if shape.type_name == "structure":
        base = valid_value(shape)
        for name in shape.required_members:
            broken = dict(base)
            del broken[name]
            out.append((f"missing required .{name}", broken, True))
        for name, member in shape.members.items():
            for label, value, named in value_variants(member, "body", depth + 1):
                broken = dict(base)
                broken[name] = value
                out.append((f".{name}: {label}", broken, named))
    elif shape.type_name == "list":
        meta = shape.metadata
        item = valid_value(shape.member)
        if meta.get("min"):
            out.append(("empty list", [], True))
        if meta.get("max"):
            out.append((f"{meta['max'] + 1} items", [item] * (meta["max"] + 1), True))
        out.append(("null item", [None], True))
        if shape.name == "DestinationPackageVersions":  # documented: at most 25
            out.append(("26 package versions", [item] * 26, False))
        for label, value, named in value_variants(shape.member, "body", depth + 1):
            out.append((f"[0]: {label}", [value], named))
    elif shape.type_name == "map":
        key, value = valid_value(shape.key), valid_value(shape.value)
        meta = shape.metadata
        if meta.get("max"):
            out.append((f"{meta['max'] + 1} entries", {f"{key}{i}": value for i in range(meta["max"] + 1)}, True))
        for label, bad_key, named in string_variants(shape.key, "key"):
            if isinstance(bad_key, str):
                out.append((f"key {label}", {bad_key: value}, named))
        for label, bad_value, named in value_variants(shape.value, "body", depth + 1):
            out.append((f"value {label}", {key: bad_value}, named))
        out.append(("null value", {key: None}, True))
        if shape.name == "ResourceAttributes":  # documented: 3 KB combined
            out.append(("attributes over 3 KB", {f"k{i}": "v" * 500 for i in range(7)}, False))
        if shape.name == "DetailsMap":  # documented: 10 pairs, values of 1,024 characters
            out.append(("11 pairs", {f"k{i}": "v" for i in range(11)}, True))
            out.append(("value of 1,025 characters", {key: "v" * 1025}, True))
            out.append(("value of 1 MB", {key: "v" * 1_000_000}, True))
            out.append(("1,000 pairs", {f"k{i}": "v" for i in range(1000)}, True))
    return out


def value_variants(shape: Shape, location: str, depth: int = 0) -> list[Variant]:
    kind = shape.type_name
    if kind == "string":
        return string_variants(shape, location)
    if kind in ("integer", "long", "double", "float"):
        return number_variants(shape, location)
    if kind == "boolean":
        return boolean_variants(shape, location)
    if kind in ("structure", "list", "map"):
        return nested_variants(shape, depth)
    return []


# --- cases per operation ----------------------------------------------------------------------

#: Valid parameters for each operation, against the state `setup_state` builds: a single bad
#: member then is the only reason to refuse the request. Operations not listed get values
#: synthesized from the model.
BASELINES: dict[tuple[str, str], dict[str, Any]] = {
    (CONTROL, "CreateJob"): {"jobId": "fresh", "targets": [thing_arn("t1")], "document": "{}"},
    (CONTROL, "DescribeJob"): {"jobId": "snap"},
    (CONTROL, "ListJobs"): {},
    (CONTROL, "UpdateJob"): {"jobId": "snap"},
    (CONTROL, "CancelJob"): {"jobId": "snap"},
    (CONTROL, "DeleteJob"): {"jobId": "done"},
    (CONTROL, "GetJobDocument"): {"jobId": "snap"},
    (CONTROL, "AssociateTargetsWithJob"): {"jobId": "cont", "targets": [group_arn("g2")]},
    (CONTROL, "ListJobExecutionsForJob"): {"jobId": "snap"},
    (CONTROL, "ListJobExecutionsForThing"): {"thingName": "t1"},
    (CONTROL, "DescribeJobExecution"): {"jobId": "snap", "thingName": "t1"},
    (CONTROL, "CancelJobExecution"): {"jobId": "snap", "thingName": "t2"},
    (CONTROL, "DeleteJobExecution"): {"jobId": "done", "thingName": "t3", "executionNumber": 1},
    (CONTROL, "CreateJobTemplate"): {"jobTemplateId": "fresh-template", "description": "d", "document": "{}"},
    (CONTROL, "DescribeJobTemplate"): {"jobTemplateId": "tmpl"},
    (CONTROL, "ListJobTemplates"): {},
    (CONTROL, "DeleteJobTemplate"): {"jobTemplateId": "tmpl"},
    (CONTROL, "DescribeManagedJobTemplate"): {"templateName": "AWS-Reboot"},
    (CONTROL, "ListManagedJobTemplates"): {},
    (CONTROL, "UpdateEventConfigurations"): {"eventConfigurations": {"JOB": {"Enabled": False}}},
    (CONTROL, "DescribeEventConfigurations"): {},
    (CONTROL, "CreateCommand"): {
        "commandId": "fresh-command", "payload": {"content": "e30=", "contentType": "application/json"},
    },
    (CONTROL, "GetCommand"): {"commandId": "cmd"},
    (CONTROL, "UpdateCommand"): {"commandId": "cmd", "description": "d"},
    (CONTROL, "DeleteCommand"): {"commandId": "cmd"},
    (CONTROL, "ListCommands"): {},
    (CONTROL, "GetCommandExecution"): {"executionId": "no-such-execution", "targetArn": thing_arn("t1")},
    (CONTROL, "ListCommandExecutions"): {"commandArn": command_arn("cmd")},
    (CONTROL, "DeleteCommandExecution"): {"executionId": "no-such-execution", "targetArn": thing_arn("t1")},
    (DEVICE, "StartCommandExecution"): {"targetArn": thing_arn("t2"), "commandArn": command_arn("cmd")},
    (CONTROL, "TagResource"): {"resourceArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:job/snap",
                               "tags": [{"Key": "k", "Value": "v"}]},
    (CONTROL, "UntagResource"): {"resourceArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:job/snap",
                                 "tagKeys": ["k"]},
    (CONTROL, "ListTagsForResource"): {"resourceArn": f"arn:aws:iot:us-east-1:{ACCOUNT}:job/snap"},
    (CONTROL, "CreatePackage"): {"packageName": "fresh-package"},
    (CONTROL, "GetPackage"): {"packageName": "pkg"},
    (CONTROL, "UpdatePackage"): {"packageName": "pkg"},
    (CONTROL, "DeletePackage"): {"packageName": "pkg"},
    (CONTROL, "ListPackages"): {},
    (CONTROL, "CreatePackageVersion"): {"packageName": "pkg", "versionName": "fresh"},
    (CONTROL, "GetPackageVersion"): {"packageName": "pkg", "versionName": "1.0"},
    (CONTROL, "UpdatePackageVersion"): {"packageName": "pkg", "versionName": "1.0"},
    (CONTROL, "DeletePackageVersion"): {"packageName": "pkg", "versionName": "1.0"},
    (CONTROL, "ListPackageVersions"): {"packageName": "pkg"},
    (CONTROL, "UpdatePackageConfiguration"): {},
    (CONTROL, "AssociateSbomWithPackageVersion"): {
        "packageName": "pkg", "versionName": "1.0",
        "sbom": {"s3Location": {"bucket": "no-bucket", "key": "sbom.zip", "version": "1"}}},
    (CONTROL, "DisassociateSbomFromPackageVersion"): {"packageName": "pkg", "versionName": "1.0"},
    (CONTROL, "ListSbomValidationResults"): {"packageName": "pkg", "versionName": "1.0"},
    (CONTROL, "CreateDynamicThingGroup"): {"thingGroupName": "fresh-dynamic", "queryString": "thingName:t1"},
    (CONTROL, "UpdateDynamicThingGroup"): {"thingGroupName": "dyn", "thingGroupProperties": {}},
    (CONTROL, "DeleteDynamicThingGroup"): {"thingGroupName": "dyn"},
    (DEVICE, "GetPendingJobExecutions"): {"thingName": "t1"},
    (DEVICE, "StartNextPendingJobExecution"): {"thingName": "t2"},
    (DEVICE, "DescribeJobExecution"): {"jobId": "snap", "thingName": "t1"},
    (DEVICE, "UpdateJobExecution"): {"jobId": "snap", "thingName": "t1", "status": "IN_PROGRESS"},
}
THINGS = ("t1", "t2", "t3")


def setup_state(iot: Any, jobs_data: Any) -> None:
    """Jobs in every status the baselines refer to, with executions in several statuses."""
    for name in THINGS:
        iot.create_thing(thingName=name)
    for group in ("g1", "g2"):
        iot.create_thing_group(thingGroupName=group)
    iot.add_thing_to_thing_group(thingGroupName="g1", thingName="t2")
    iot.add_thing_to_thing_group(thingGroupName="g1", thingName="t3")
    week = {"inProgressTimeoutInMinutes": 10080}
    iot.create_job(jobId="snap", targets=[thing_arn("t1"), thing_arn("t2")], document='{"v": 1}',
                   timeoutConfig=week, description="snapshot job")
    iot.create_job(jobId="cont", targets=[group_arn("g1")], document='{"v": 2}',
                   targetSelection="CONTINUOUS")
    iot.create_job(jobId="done", targets=[thing_arn("t3")], document='{"v": 3}')
    iot.create_job(jobId="canc", targets=[thing_arn("t1"), thing_arn("t3")], document='{"v": 4}')
    iot.cancel_job(jobId="canc", reasonCode="TEST", comment="cancelled for the suite")
    iot.create_job_template(jobTemplateId="tmpl", description="a template", document='{"v": 5}',
                            timeoutConfig={"inProgressTimeoutInMinutes": 60})
    jobs_data.start_next_pending_job_execution(thingName="t1", statusDetails={"step": "1"})
    jobs_data.update_job_execution(thingName="t3", jobId="done", status="SUCCEEDED")
    iot.create_command(commandId="cmd", payload={"content": b'{"go": 1}', "contentType": "application/json"})
    jobs_data.start_command_execution(
        targetArn=thing_arn("t1"), commandArn=command_arn("cmd"), executionTimeoutSeconds=43200
    )
    iot.update_indexing_configuration(thingIndexingConfiguration={"thingIndexingMode": "REGISTRY"})
    iot.create_dynamic_thing_group(thingGroupName="dyn", queryString="thingName:t2")
    iot.create_package(packageName="pkg", description="a package")
    iot.create_package_version(packageName="pkg", versionName="1.0", attributes={"k": "v"})


def _member_shapes(op: OperationModel) -> list[tuple[str, Shape, str, str]]:
    shape = op.input_shape
    if shape is None:
        return []
    out = []
    for name, member in shape.members.items():
        serialization = member.serialization
        out.append((name, member, serialization.get("location", "body"), serialization.get("name", name)))
    return out


def _label_is_invalid(shape: Shape, text: str) -> bool:
    """Whether a raw label breaks the model (so the answer must name it): not UTF-8 once
    decoded, or a decoded value the pattern or length rejects. Otherwise any modelled
    answer will do (e.g. ResourceNotFound for a name that has no pattern)."""
    if "/" in text:
        return False
    try:
        value = unquote(text, errors="strict")
    except UnicodeDecodeError:
        return True
    meta = shape.metadata
    if not meta.get("min", 0) <= len(value) <= meta.get("max", 10**9):
        return True
    return not matches(meta.get("pattern"), value)


def cases_for(plane: str, operation: str) -> list[Case]:
    op = service_model(plane).operation_model(operation)
    members = _member_shapes(op)
    required = set(op.input_shape.required_members) if op.input_shape is not None else set()
    baseline = copy.deepcopy(BASELINES.get((plane, operation)))
    if baseline is None:
        baseline = {name: valid_value(shape) for name, shape, _, _ in members if name in required}
    out: list[Case] = []

    def add(kind: str, member: Optional[str], value: Any = None, **raw: Any) -> None:
        params = copy.deepcopy(baseline)
        if member is not None and "raw_labels" not in raw and "raw_query" not in raw:
            params[member] = value
        out.append(Case(plane, operation, kind, params, member if raw.pop("named", True) else None, **raw))

    for name, shape, location, wire_name in members:
        for label, value, named in value_variants(shape, location):
            if location == "uri" and isinstance(value, str) and value == "" and name == "jobId" \
                    and operation == "DescribeJobExecution" and plane == DEVICE:
                pass
            add(f"{name}: {label}", name, value, named=named)
        if location == "uri":
            for text in RAW_LABELS:
                add(f"{name}: raw path label {text!r}", name, raw_labels={wire_name: text},
                    other_route="/" in text, named=_label_is_invalid(shape, text))
        if location == "body" and name in required:
            params = copy.deepcopy(baseline)
            params.pop(name, None)
            out.append(Case(plane, operation, f"{name}: missing", params, name))
            add(f"{name}: null", name, None)
    if any(location == "body" for _, _, location, _ in members):
        for body in MALFORMED_BODIES:
            add(f"malformed body {body[:12]!r}{'...' if len(body) > 12 else ''}", None, raw_body=body)
        nan_body = dict(baseline)
        add("body with NaN for a member", None, raw_body=(json.dumps(nan_body)[:-1] + (', ' if nan_body else '') + '"x": NaN}').encode())
    return out


def all_cases(operations: dict[str, list[str]]) -> dict[tuple[str, str], list[Case]]:
    return {(plane, name): cases_for(plane, name) for plane, names in operations.items() for name in names}


# --- the wire form, for raw HTTP and for in-process requests boto3 cannot build -------------------


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wire_request(case: Case) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path?query, headers, body) of a case, as a caller that builds HTTP itself sends it."""
    op = service_model(case.plane).operation_model(case.operation)
    uri = op.http["requestUri"]
    path, _, static_query = uri.partition("?")
    query: list[tuple[str, str]] = []
    body: dict[str, Any] = {}
    for name, _shape, location, wire_name in _member_shapes(op):
        if location == "uri":
            if wire_name in case.raw_labels:
                text = case.raw_labels[wire_name]
            else:
                text = quote(_wire_text(case.params.get(name, "")), safe="")
            path = path.replace("{" + wire_name + "}", text).replace("{" + wire_name + "+}", text)
        elif name in case.params and case.params[name] is not None:
            if location == "querystring":
                value = case.params[name]
                for item in value if isinstance(value, list) else [value]:
                    query.append((wire_name, _wire_text(item)))
            elif location == "body":
                body[wire_name] = case.params[name]
    if case.raw_query is not None:
        query = list(case.raw_query.items())
    query_text = urlencode(query, quote_via=quote)
    if static_query:
        query_text = static_query + ("&" + query_text if query_text else "")
    has_body = any(location == "body" for _, _, location, _ in _member_shapes(op))
    if case.raw_body is not None:
        data = case.raw_body
    elif has_body:
        data = json.dumps(body).encode("utf-8")
    else:
        data = b""
    headers = {"Content-Type": "application/json"}
    return op.http["method"], path + ("?" + query_text if query_text else ""), headers, data


def boto_method(client: Any, operation: str) -> Callable[..., Any]:
    return getattr(client, client.meta.method_to_api_mapping and _snake(client, operation))


def _snake(client: Any, operation: str) -> str:
    for method, api in client.meta.method_to_api_mapping.items():
        if api == operation:
            return str(method)
    raise KeyError(operation)
