"""The wire layer's error table: AWS's codes, statuses and messages, per protocol family."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

from codeconn.wire import errors, sigv4, sigv4_canonical
from codeconn.wire.errors import (
    AUTH_ERRORS,
    FAMILIES,
    AuthError,
    AuthFailure,
    Family,
    WireError,
    error_for,
)

F = AuthFailure
TABLE = [
    # family, failure, code, status, default message
    ("json", F.MISSING_AUTHENTICATION_TOKEN, "MissingAuthenticationTokenException", 400,
     "Request is missing Authentication Token"),
    ("json", F.INCOMPLETE_SIGNATURE, "IncompleteSignatureException", 400,
     "The request signature does not conform to AWS standards."),
    ("json", F.SIGNATURE_MISMATCH, "InvalidSignatureException", 400,
     "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
     "Key and signing method. Consult the service documentation for details."),
    ("json", F.INVALID_CLIENT_TOKEN, "UnrecognizedClientException", 400,
     "The security token included in the request is invalid."),
    ("json", F.EXPIRED_TOKEN, "ExpiredTokenException", 400, "The security token included in the request is expired"),
    ("json", F.ACCESS_DENIED, "AccessDeniedException", 400,
     "You do not have sufficient access to perform this action."),
    ("query", F.MISSING_AUTHENTICATION_TOKEN, "MissingAuthenticationToken", 403,
     "Request is missing Authentication Token"),
    ("query", F.INCOMPLETE_SIGNATURE, "IncompleteSignature", 400,
     "The request signature does not conform to AWS standards."),
    ("query", F.SIGNATURE_MISMATCH, "SignatureDoesNotMatch", 403,
     "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
     "Key and signing method. Consult the service documentation for details."),
    ("query", F.INVALID_CLIENT_TOKEN, "InvalidClientTokenId", 403,
     "The security token included in the request is invalid."),
    ("query", F.EXPIRED_TOKEN, "ExpiredToken", 403, "The security token included in the request is expired"),
    ("query", F.ACCESS_DENIED, "AccessDenied", 403, "You do not have sufficient access to perform this action."),
]


@pytest.mark.parametrize(("family", "failure", "code", "status", "message"),
                         [pytest.param(*row, id=f"{row[0]} {row[2]}") for row in TABLE])
def test_error_table(family: Family, failure: AuthFailure, code: str, status: int, message: str) -> None:
    error = error_for(family, failure)
    assert (error.code, error.status, error.message, str(error)) == (code, status, message, message)
    assert type(error).__name__ == code, "the class is named after AWS's code"


def test_every_family_answers_every_failure() -> None:
    assert {family: set(table) for family, table in AUTH_ERRORS.items()} == {f: set(AuthFailure) for f in FAMILIES}


def test_a_specific_message_replaces_the_default() -> None:
    error = error_for("query", AuthFailure.SIGNATURE_MISMATCH, "Signature expired: ...")
    assert (error.code, error.message) == ("SignatureDoesNotMatch", "Signature expired: ...")


def test_every_auth_error_is_a_wire_error() -> None:
    assert all(issubclass(cls, WireError) for table in AUTH_ERRORS.values() for cls in table.values())
    assert len({cls for table in AUTH_ERRORS.values() for cls in table.values()}) == len(AuthError.__subclasses__())


@pytest.mark.parametrize("module", [pytest.param(m, id=m.__name__) for m in (errors, sigv4, sigv4_canonical)])
def test_all_lists_every_public_name(module: ModuleType) -> None:
    """Every public top-level definition is exported; `sigv4` may re-export more (HttpRequest, CredentialScope)."""
    tree = ast.parse(inspect.getsource(module))
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign):
            defined.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defined.add(node.target.id)
    public = {name for name in defined if not name.startswith("_")}
    assert public - set(module.__all__) == set(), "public but not in __all__"
    assert all(hasattr(module, name) for name in module.__all__)
