"""The modelled errors of `iot` and `iot-jobs-data`, and their rest-json wire form.

Each error knows its AWS code and HTTP status; the status of a few codes depends on the
plane (ThrottlingException is 400 in `iot` but 429 in `iot-jobs-data`), so `status_for`
takes the plane. botocore reads the code from the `x-amzn-ErrorType` header and the
message from the body's `message` key.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Optional

from moto_iotjobs.protocol.request_ids import next_request_id

CONTROL_PLANE = "iot"
DEVICE_PLANE = "iot-jobs-data"


class JobsError(Exception):
    """Base of every error the mock answers with; never escapes as a 500 traceback."""

    code: ClassVar[str] = "InternalFailureException"
    status: ClassVar[int] = 500
    device_plane_status: ClassVar[int | None] = None

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def status_for(self, plane: str) -> int:
        if plane == DEVICE_PLANE and self.device_plane_status is not None:
            return self.device_plane_status
        return self.status

    def to_response(self, plane: str) -> tuple[int, dict[str, str], str]:
        body: dict[str, Any] = {"message": self.message}
        body.update(self.extra)
        headers = {
            "x-amzn-ErrorType": self.code,
            "Content-Type": "application/json",
            "x-amzn-RequestId": next_request_id(),
        }
        return self.status_for(plane), headers, json.dumps(body)


class InvalidRequestException(JobsError):
    code = "InvalidRequestException"
    status = 400


class ResourceNotFoundException(JobsError):
    code = "ResourceNotFoundException"
    status = 404


class ResourceAlreadyExistsException(JobsError):
    code = "ResourceAlreadyExistsException"
    status = 409

    def __init__(self, message: str, resource_id: str, resource_arn: str) -> None:
        super().__init__(message, resourceId=resource_id, resourceArn=resource_arn)


class ConflictException(JobsError):
    code = "ConflictException"
    status = 409

    def __init__(self, message: str, resource_id: Optional[str] = None) -> None:
        if resource_id is None:
            super().__init__(message)
        else:
            super().__init__(message, resourceId=resource_id)


class ValidationException(JobsError):
    """The validation error of the newer `iot` APIs (packages, commands), where older ones
    answer InvalidRequestException."""

    code = "ValidationException"
    status = 400


class ServiceQuotaExceededException(JobsError):
    code = "ServiceQuotaExceededException"
    status = 402


class InvalidQueryException(JobsError):
    code = "InvalidQueryException"
    status = 400


class InvalidStateTransitionException(JobsError):
    code = "InvalidStateTransitionException"
    status = 409


class VersionMismatchException(InvalidStateTransitionException):
    """An expectedVersion that does not match, in iot-jobs-data UpdateJobExecution.

    HTTP answers it as InvalidStateTransitionException (409; the device plane models no
    version error); the MQTT Jobs API tells it apart as `VersionMismatch`.
    """


class VersionConflictException(JobsError):
    code = "VersionConflictException"
    status = 409


class LimitExceededException(JobsError):
    code = "LimitExceededException"
    status = 410


class TerminalStateException(JobsError):
    code = "TerminalStateException"
    status = 410


class CertificateValidationException(JobsError):
    code = "CertificateValidationException"
    status = 400


class ThrottlingException(JobsError):
    code = "ThrottlingException"
    status = 400
    device_plane_status = 429


class ServiceUnavailableException(JobsError):
    code = "ServiceUnavailableException"
    status = 503


class InternalFailureException(JobsError):
    code = "InternalFailureException"
    status = 500


class InternalServerException(JobsError):
    code = "InternalServerException"
    status = 500


ERRORS_BY_CODE: dict[str, type[JobsError]] = {
    cls.code: cls
    for cls in (
        InvalidRequestException,
        ResourceNotFoundException,
        ResourceAlreadyExistsException,
        ConflictException,
        ValidationException,
        ServiceQuotaExceededException,
        InvalidQueryException,
        InvalidStateTransitionException,
        VersionConflictException,
        LimitExceededException,
        TerminalStateException,
        CertificateValidationException,
        ThrottlingException,
        ServiceUnavailableException,
        InternalFailureException,
        InternalServerException,
        ValidationException,
        ServiceQuotaExceededException,
    )
}


def as_modelled(error: JobsError, modelled: frozenset[str]) -> JobsError:
    """The error an operation answers with: the shared parsing, validation and paging code
    raises InvalidRequestException, which an operation modelling ValidationException instead
    (the commands operations) answers as ValidationException, with the same message."""
    if (
        type(error) is InvalidRequestException
        and "InvalidRequestException" not in modelled
        and "ValidationException" in modelled
    ):
        return ValidationException(error.message, **error.extra)
    return error
