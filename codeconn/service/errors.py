"""Errors a handler raises, named and worded as AWS names and words them.

    ServiceError                      code + message (+ extra fields); the edge serialises it
    ├── ValidationException           bad input the model's constraints could not catch
    ├── ResourceNotFoundException
    ├── ResourceUnavailableException
    ├── LimitExceededException
    ├── ConflictException
    ├── ResourceAlreadyExistsException
    ├── UnsupportedOperationException
    ├── InvalidInputException
    ├── ConcurrentModificationException
    ├── ThrottlingException
    ├── IamError                      IAM and STS (AWS Query): NoSuchEntity, EntityAlreadyExists, ...
    └── AccessDenied                  an IAM decision denied the call; the edge picks the
                                      protocol's code (AccessDeniedException / AccessDenied)

The HTTP status comes from the service model's error shape when it has one, so
handlers do not choose it.
"""

from __future__ import annotations

from typing import Any

from codeconn.iam import Decision


class ServiceError(Exception):
    """An error in AWS's shape: `code` is the model's error code, `message` AWS's wording."""

    code: str = "InternalFailure"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields or {}


class ValidationException(ServiceError):
    code = "ValidationException"


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"


class ResourceUnavailableException(ServiceError):
    code = "ResourceUnavailableException"


class LimitExceededException(ServiceError):
    code = "LimitExceededException"


class ConflictException(ServiceError):
    code = "ConflictException"


class ResourceAlreadyExistsException(ServiceError):
    code = "ResourceAlreadyExistsException"


class UnsupportedOperationException(ServiceError):
    code = "UnsupportedOperationException"


class InvalidInputException(ServiceError):
    code = "InvalidInputException"


class ConcurrentModificationException(ServiceError):
    code = "ConcurrentModificationException"


class ThrottlingException(ServiceError):
    code = "ThrottlingException"


class IamError(ServiceError):
    """IAM / STS errors: `code` is the Query error code (`NoSuchEntity`, `EntityAlreadyExists`, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, code=code)


class AccessDenied(ServiceError):
    """An IAM decision denied the call. The message is AWS's:

    User: <principal ARN> is not authorized to perform: <action> on resource: <ARN>
    because no identity-based policy allows the <action> action
    """

    code = "AccessDeniedException"

    def __init__(self, *, principal_arn: str, action: str, resource: str, decision: Decision,
                 message: str | None = None) -> None:
        """`message` replaces the policy-decision wording for AWS's fixed refusals
        (STS: "Roles may not be assumed by root accounts.")."""
        reason = decision.reason(action)
        super().__init__(message or
                         f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource} {reason}")
        self.principal_arn = principal_arn
        self.action = action
        self.resource = resource
        self.decision = decision
