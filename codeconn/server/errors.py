"""Errors of the server edge, and the one table that turns any exception into an AWS error.

    ServerError                         the server cannot start as asked (not answered on the wire)
    ├── ConfigError                     the configuration breaks a rule; `problems` lists each
    └── ListenError                     the address cannot be bound
    OperationNotImplemented (WireError) a modelled operation no handler is registered for: 501

`answer_for(error, family, service)` is where an exception becomes an AWS error
(code, message, HTTP status, extra fields), looked up by class along the
exception's MRO in `ANSWERS`, so a subclass is answered like its nearest listed
base. Everything else is InternalFailure 500 whose message never carries the
exception's text, which may hold anything (a path, a token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.model import ServiceModel

from codeconn.service.errors import AccessDenied, ServiceError
from codeconn.wire.errors import AuthFailure, Family, WireError, error_for
from codeconn.wire.model import error_shape, error_status


class ServerError(Exception):
    """The server cannot start as asked; the CLI prints the message and exits nonzero."""


class ConfigError(ServerError):
    """A `ServeConfig` that must not start; each problem is one line of the message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


class ListenError(ServerError):
    """The host and port cannot be bound (in use, not an address of this machine, ...)."""


class OperationNotImplemented(WireError):
    """The model has the operation but codeconn registers no handler for it."""

    code = "NotImplemented"
    status = 501
    default_message = "This operation is not implemented by codeconn."


@dataclass(frozen=True)
class ErrorAnswer:
    """What a protocol's `serialize_error` needs: the code, AWS's message, the status, extra members."""

    code: str
    message: str
    status: int
    fields: Mapping[str, Any] = field(default_factory=dict)


INTERNAL_FAILURE = ErrorAnswer("InternalFailure", WireError.default_message, 500)


def _wire(error: WireError, family: Family, service: ServiceModel | None) -> ErrorAnswer:
    return ErrorAnswer(error.code, error.message, error.status)


def _service(error: ServiceError, family: Family, service: ServiceModel | None) -> ErrorAnswer:
    return ErrorAnswer(error.code, error.message, error_status(error_shape(service, error.code)), error.fields)


def _access_denied(error: AccessDenied, family: Family, service: ServiceModel | None) -> ErrorAnswer:
    """AccessDeniedException for the JSON family (status from the model), AccessDenied 403 for Query."""
    wire = error_for(family, AuthFailure.ACCESS_DENIED)
    status = error_status(error_shape(service, wire.code), default=wire.status)
    return ErrorAnswer(wire.code, error.message, status, error.fields)


def _internal(error: Exception, family: Family, service: ServiceModel | None) -> ErrorAnswer:
    return INTERNAL_FAILURE


ANSWERS: dict[type[Exception], Callable[[Any, Family, ServiceModel | None], ErrorAnswer]] = {
    AccessDenied: _access_denied,
    ServiceError: _service,
    WireError: _wire,
    Exception: _internal,
}
"""Exception class -> how it is answered; the nearest class in an error's MRO wins."""


def answer_for(error: Exception, family: Family, service: ServiceModel | None) -> ErrorAnswer:
    """The AWS error a client gets for `error`, in the words of `family` and `service`'s model."""
    for cls in type(error).__mro__:
        answer = ANSWERS.get(cls)
        if answer is not None:
            return answer(error, family, service)
    return INTERNAL_FAILURE  # only BaseExceptions that are not Exceptions get here; they are not caught


def is_expected(error: Exception) -> bool:
    """Whether `error` is one the edge answers on purpose (not a bug to log with a traceback)."""
    return ANSWERS.get(next(cls for cls in type(error).__mro__ if cls in ANSWERS)) is not _internal


__all__ = [
    "ANSWERS",
    "INTERNAL_FAILURE",
    "ConfigError",
    "ErrorAnswer",
    "ListenError",
    "OperationNotImplemented",
    "ServerError",
    "answer_for",
    "is_expected",
]
