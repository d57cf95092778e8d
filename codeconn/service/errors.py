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
handlers do not choose it. The classes that differ only by their code are made
by `error_class`, one row each.
"""

from __future__ import annotations

from typing import Any, TypeVar

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


E = TypeVar("E", bound=ServiceError)


def error_class(name: str, doc: str, base: type[E], *, module: str, code: str | None = None) -> type[E]:
    """A subclass of `base` whose whole difference is its code (`name` unless `code` says otherwise).

    Error shapes that only name a code are rows of a table, not class bodies; the
    classes stay importable by name, and the edge reads `code` as from any other.
    """
    return type(name, (base,), {"code": code or name, "__doc__": doc, "__module__": module, "__qualname__": name})


def _common(code: str, doc: str) -> type[ServiceError]:
    return error_class(code, doc, ServiceError, module=__name__)


ValidationException = _common("ValidationException", "Bad input the model's constraints could not catch.")
ResourceNotFoundException = _common("ResourceNotFoundException", "The resource named does not exist.")
ResourceUnavailableException = _common(
    "ResourceUnavailableException", "The resource cannot be used in its present state.")
LimitExceededException = _common("LimitExceededException", "A quota would be passed.")
ConflictException = _common("ConflictException", "The resource's state forbids the change.")
ResourceAlreadyExistsException = _common(
    "ResourceAlreadyExistsException", "A resource of that name (or key) exists already.")
UnsupportedOperationException = _common(
    "UnsupportedOperationException", "The operation cannot be done on this resource.")
InvalidInputException = _common("InvalidInputException", "Input the service's rules refuse.")
ConcurrentModificationException = _common(
    "ConcurrentModificationException", "The resource changed while the request was being handled.")
ThrottlingException = _common("ThrottlingException", "Too many requests.")


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


__all__ = [
    "AccessDenied",
    "ConcurrentModificationException",
    "ConflictException",
    "IamError",
    "InvalidInputException",
    "LimitExceededException",
    "ResourceAlreadyExistsException",
    "ResourceNotFoundException",
    "ResourceUnavailableException",
    "ServiceError",
    "ThrottlingException",
    "UnsupportedOperationException",
    "ValidationException",
    "error_class",
]
