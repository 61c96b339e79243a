"""The typed inputs of the jobs operations: one TypedDict per operation, keyed by botocore
member names, as the dispatcher hands them to the handlers after parsing and validation.

Written by hand from the botocore models (`iot`, `iot-jobs-data`) and checked against them
by `tests/test_inputs.py`: every key is a member of the operation's input shape with the
matching type, and every member of the shape is here. Structures and maps whose inner
members the operations read through `.get` stay `dict[str, Any]`; the model validation in
`protocol/validation.py` has already checked their contents.
"""

from __future__ import annotations

from typing import Any, TypedDict


class _CreateJobInputRequired(TypedDict):
    jobId: str
    targets: list[str]


class CreateJobInput(_CreateJobInputRequired, total=False):
    """iot CreateJob."""

    documentSource: str
    document: str
    description: str
    presignedUrlConfig: dict[str, Any]
    targetSelection: str
    jobExecutionsRolloutConfig: dict[str, Any]
    abortConfig: dict[str, Any]
    timeoutConfig: dict[str, Any]
    tags: list[dict[str, Any]]
    namespaceId: str
    jobTemplateArn: str
    jobExecutionsRetryConfig: dict[str, Any]
    documentParameters: dict[str, str]
    schedulingConfig: dict[str, Any]
    destinationPackageVersions: list[str]


class _DescribeJobInputRequired(TypedDict):
    jobId: str


class DescribeJobInput(_DescribeJobInputRequired, total=False):
    """iot DescribeJob."""

    beforeSubstitution: bool


class ListJobsInput(TypedDict, total=False):
    """iot ListJobs."""

    status: str
    targetSelection: str
    maxResults: int
    nextToken: str
    thingGroupName: str
    thingGroupId: str
    namespaceId: str


class _UpdateJobInputRequired(TypedDict):
    jobId: str


class UpdateJobInput(_UpdateJobInputRequired, total=False):
    """iot UpdateJob."""

    description: str
    presignedUrlConfig: dict[str, Any]
    jobExecutionsRolloutConfig: dict[str, Any]
    abortConfig: dict[str, Any]
    timeoutConfig: dict[str, Any]
    namespaceId: str
    jobExecutionsRetryConfig: dict[str, Any]


class _CancelJobInputRequired(TypedDict):
    jobId: str


class CancelJobInput(_CancelJobInputRequired, total=False):
    """iot CancelJob."""

    reasonCode: str
    comment: str
    force: bool


class _DeleteJobInputRequired(TypedDict):
    jobId: str


class DeleteJobInput(_DeleteJobInputRequired, total=False):
    """iot DeleteJob."""

    force: bool
    namespaceId: str


class _GetJobDocumentInputRequired(TypedDict):
    jobId: str


class GetJobDocumentInput(_GetJobDocumentInputRequired, total=False):
    """iot GetJobDocument."""

    beforeSubstitution: bool


class _AssociateTargetsWithJobInputRequired(TypedDict):
    targets: list[str]
    jobId: str


class AssociateTargetsWithJobInput(_AssociateTargetsWithJobInputRequired, total=False):
    """iot AssociateTargetsWithJob."""

    comment: str
    namespaceId: str


class _ListJobExecutionsForJobInputRequired(TypedDict):
    jobId: str


class ListJobExecutionsForJobInput(_ListJobExecutionsForJobInputRequired, total=False):
    """iot ListJobExecutionsForJob."""

    status: str
    maxResults: int
    nextToken: str


class _ListJobExecutionsForThingInputRequired(TypedDict):
    thingName: str


class ListJobExecutionsForThingInput(_ListJobExecutionsForThingInputRequired, total=False):
    """iot ListJobExecutionsForThing."""

    status: str
    namespaceId: str
    maxResults: int
    nextToken: str
    jobId: str


class _DescribeJobExecutionInputRequired(TypedDict):
    jobId: str
    thingName: str


class DescribeJobExecutionInput(_DescribeJobExecutionInputRequired, total=False):
    """iot DescribeJobExecution."""

    executionNumber: int


class _CancelJobExecutionInputRequired(TypedDict):
    jobId: str
    thingName: str


class CancelJobExecutionInput(_CancelJobExecutionInputRequired, total=False):
    """iot CancelJobExecution."""

    force: bool
    expectedVersion: int
    statusDetails: dict[str, str]


class _DeleteJobExecutionInputRequired(TypedDict):
    jobId: str
    thingName: str
    executionNumber: int


class DeleteJobExecutionInput(_DeleteJobExecutionInputRequired, total=False):
    """iot DeleteJobExecution."""

    force: bool
    namespaceId: str


class _CreateJobTemplateInputRequired(TypedDict):
    jobTemplateId: str
    description: str


class CreateJobTemplateInput(_CreateJobTemplateInputRequired, total=False):
    """iot CreateJobTemplate."""

    jobArn: str
    documentSource: str
    document: str
    presignedUrlConfig: dict[str, Any]
    jobExecutionsRolloutConfig: dict[str, Any]
    abortConfig: dict[str, Any]
    timeoutConfig: dict[str, Any]
    tags: list[dict[str, Any]]
    jobExecutionsRetryConfig: dict[str, Any]
    maintenanceWindows: list[dict[str, Any]]
    destinationPackageVersions: list[str]


class _DescribeJobTemplateInputRequired(TypedDict):
    jobTemplateId: str


class DescribeJobTemplateInput(_DescribeJobTemplateInputRequired, total=False):
    """iot DescribeJobTemplate."""



class ListJobTemplatesInput(TypedDict, total=False):
    """iot ListJobTemplates."""

    maxResults: int
    nextToken: str


class _DeleteJobTemplateInputRequired(TypedDict):
    jobTemplateId: str


class DeleteJobTemplateInput(_DeleteJobTemplateInputRequired, total=False):
    """iot DeleteJobTemplate."""



class _DescribeManagedJobTemplateInputRequired(TypedDict):
    templateName: str


class DescribeManagedJobTemplateInput(_DescribeManagedJobTemplateInputRequired, total=False):
    """iot DescribeManagedJobTemplate."""

    templateVersion: str


class UpdateEventConfigurationsInput(TypedDict, total=False):
    """iot UpdateEventConfigurations."""

    eventConfigurations: dict[str, dict[str, Any]]


class DescribeEventConfigurationsInput(TypedDict, total=False):
    """iot DescribeEventConfigurations."""



class ListManagedJobTemplatesInput(TypedDict, total=False):
    """iot ListManagedJobTemplates."""

    templateName: str
    maxResults: int
    nextToken: str


class _GetPendingJobExecutionsInputRequired(TypedDict):
    thingName: str


class GetPendingJobExecutionsInput(_GetPendingJobExecutionsInputRequired, total=False):
    """iot-jobs-data GetPendingJobExecutions."""



class _StartNextPendingJobExecutionInputRequired(TypedDict):
    thingName: str


class StartNextPendingJobExecutionInput(_StartNextPendingJobExecutionInputRequired, total=False):
    """iot-jobs-data StartNextPendingJobExecution."""

    statusDetails: dict[str, str]
    stepTimeoutInMinutes: int


class _DeviceDescribeJobExecutionInputRequired(TypedDict):
    jobId: str
    thingName: str


class DeviceDescribeJobExecutionInput(_DeviceDescribeJobExecutionInputRequired, total=False):
    """iot-jobs-data DescribeJobExecution."""

    includeJobDocument: bool
    executionNumber: int


class _UpdateJobExecutionInputRequired(TypedDict):
    jobId: str
    thingName: str
    status: str


class UpdateJobExecutionInput(_UpdateJobExecutionInputRequired, total=False):
    """iot-jobs-data UpdateJobExecution."""

    statusDetails: dict[str, str]
    stepTimeoutInMinutes: int
    expectedVersion: int
    includeJobExecutionState: bool
    includeJobDocument: bool
    executionNumber: int


CONTROL_INPUTS: dict[str, type] = {
    "CreateJob": CreateJobInput,
    "DescribeJob": DescribeJobInput,
    "ListJobs": ListJobsInput,
    "UpdateJob": UpdateJobInput,
    "CancelJob": CancelJobInput,
    "DeleteJob": DeleteJobInput,
    "GetJobDocument": GetJobDocumentInput,
    "AssociateTargetsWithJob": AssociateTargetsWithJobInput,
    "ListJobExecutionsForJob": ListJobExecutionsForJobInput,
    "ListJobExecutionsForThing": ListJobExecutionsForThingInput,
    "DescribeJobExecution": DescribeJobExecutionInput,
    "CancelJobExecution": CancelJobExecutionInput,
    "DeleteJobExecution": DeleteJobExecutionInput,
    "CreateJobTemplate": CreateJobTemplateInput,
    "DescribeJobTemplate": DescribeJobTemplateInput,
    "ListJobTemplates": ListJobTemplatesInput,
    "DeleteJobTemplate": DeleteJobTemplateInput,
    "DescribeManagedJobTemplate": DescribeManagedJobTemplateInput,
    "UpdateEventConfigurations": UpdateEventConfigurationsInput,
    "DescribeEventConfigurations": DescribeEventConfigurationsInput,
    "ListManagedJobTemplates": ListManagedJobTemplatesInput,
}

DEVICE_INPUTS: dict[str, type] = {
    "GetPendingJobExecutions": GetPendingJobExecutionsInput,
    "StartNextPendingJobExecution": StartNextPendingJobExecutionInput,
    "DescribeJobExecution": DeviceDescribeJobExecutionInput,
    "UpdateJobExecution": UpdateJobExecutionInput,
}
