"""The one table from exception to AWS error: by class, in the family's words, with the model's status."""

from __future__ import annotations

import pytest

from codeconn.iam import Decision
from codeconn.server.errors import (
    INTERNAL_FAILURE,
    ErrorAnswer,
    OperationNotImplemented,
    answer_for,
    is_expected,
)
from codeconn.service.errors import (
    AccessDenied,
    IamError,
    ResourceNotFoundException,
    ServiceError,
)
from codeconn.store import Conflict
from codeconn.wire.errors import InvalidSignatureException, SignatureDoesNotMatch
from codeconn.wire.model import default_service_models
from codeconn.wire.protocols.json10 import UnknownOperationException

SERVICES = default_service_models().services
DENIED = AccessDenied(principal_arn="arn:aws:iam::1:user/a", action="x:Y", resource="*",
                      decision=Decision("implicitDeny"))


@pytest.mark.parametrize(("error", "family", "service", "expected"), [
    pytest.param(InvalidSignatureException(), "json", "codeconnections",
                 ErrorAnswer("InvalidSignatureException", InvalidSignatureException.default_message, 400),
                 id="wire error: its own code and status"),
    pytest.param(SignatureDoesNotMatch("m"), "query", "iam", ErrorAnswer("SignatureDoesNotMatch", "m", 403),
                 id="query wire error"),
    pytest.param(UnknownOperationException("m"), "json", None, ErrorAnswer("UnknownOperationException", "m", 400),
                 id="before routing: no service"),
    pytest.param(ResourceNotFoundException("gone"), "json", "codeconnections",
                 ErrorAnswer("ResourceNotFoundException", "gone", 404), id="service error: the model's status"),
    pytest.param(ResourceNotFoundException("gone"), "json", "codestar-connections",
                 ErrorAnswer("ResourceNotFoundException", "gone", 400), id="same error, the older model's status"),
    pytest.param(ServiceError("odd", code="NotInTheModel"), "json", "codeconnections",
                 ErrorAnswer("NotInTheModel", "odd", 400), id="unmodelled service error: 400"),
    pytest.param(IamError("NoSuchEntity", "none"), "query", "iam", ErrorAnswer("NoSuchEntity", "none", 404),
                 id="iam error by wire code"),
    pytest.param(ServiceError("f", code="LimitExceededException", fields={"x": 1}), "json", "codeconnections",
                 ErrorAnswer("LimitExceededException", "f", 429, {"x": 1}), id="fields travel"),
    pytest.param(DENIED, "json", "codeconnections", ErrorAnswer("AccessDeniedException", DENIED.message, 403),
                 id="access denied, json, modelled 403"),
    pytest.param(DENIED, "json", "codestar-connections", ErrorAnswer("AccessDeniedException", DENIED.message, 400),
                 id="access denied, json, modelled 400"),
    pytest.param(DENIED, "query", "iam", ErrorAnswer("AccessDenied", DENIED.message, 403),
                 id="access denied, query: AccessDenied 403"),
    pytest.param(OperationNotImplemented(), "json", "codeconnections",
                 ErrorAnswer("NotImplemented", OperationNotImplemented.default_message, 501), id="not implemented"),
    pytest.param(RuntimeError("secret text"), "json", "codeconnections", INTERNAL_FAILURE, id="a bug"),
    pytest.param(Conflict("dup", field="id"), "query", "iam", INTERNAL_FAILURE, id="a store error escaping"),
])
def test_answers(error: Exception, family: str, service: str | None, expected: ErrorAnswer) -> None:
    assert answer_for(error, family, SERVICES[service] if service else None) == expected  # type: ignore[arg-type]


def test_internal_failure_never_carries_the_text() -> None:
    answer = answer_for(RuntimeError("token=abc"), "json", None)
    assert (answer.code, answer.status, answer.message) == ("InternalFailure", 500, "An internal error occurred.")


def test_expected_errors_are_the_ones_answered_on_purpose() -> None:
    assert is_expected(DENIED) and is_expected(UnknownOperationException()) and is_expected(ServiceError("x"))
    assert not is_expected(RuntimeError()) and not is_expected(KeyError("k"))
