"""Errors of the auth layer.

    AuthLayerError
    ├── OrgPolicyError         --org-policies DIR cannot be loaded: every fault, each with its file
    └── CredentialsRejected    credentials that passed the signature check are no longer good
        │                      (a ServiceError, so the edge answers it; `failure` says which
        │                      AuthFailure it is, for the protocol family's own code)
        ├── ExpiredCredentials   a session past its expiry
        └── UnknownCredentials   a key deleted or deactivated since it was looked up

The edge's SigV4 check already answers ExpiredToken / InvalidClientTokenId from
the `Credentials` the directory returned; `CredentialsRejected` covers the moment
between that check and `caller()`, and callers that use the directory directly.
"""

from __future__ import annotations

from pathlib import Path

from codeconn.service.errors import ServiceError
from codeconn.wire.errors import (
    EXPIRED_TOKEN_MESSAGE,
    INVALID_TOKEN_MESSAGE,
    AuthFailure,
)


class AuthLayerError(Exception):
    """Base class of the auth layer's own errors (CredentialsRejected is also a ServiceError)."""


class OrgPolicyError(AuthLayerError, ValueError):
    """The organization policy directory is malformed; `problems` holds one line per fault."""

    def __init__(self, directory: Path, problems: list[str]) -> None:
        self.directory = directory
        self.problems = tuple(problems)
        super().__init__(f"--org-policies {directory}: " + "; ".join(problems))


class CredentialsRejected(ServiceError, AuthLayerError):
    failure: AuthFailure = AuthFailure.INVALID_CLIENT_TOKEN


class ExpiredCredentials(CredentialsRejected):
    code = "ExpiredTokenException"
    failure = AuthFailure.EXPIRED_TOKEN

    def __init__(self) -> None:
        super().__init__(EXPIRED_TOKEN_MESSAGE)


class UnknownCredentials(CredentialsRejected):
    code = "InvalidClientTokenId"
    failure = AuthFailure.INVALID_CLIENT_TOKEN

    def __init__(self) -> None:
        super().__init__(INVALID_TOKEN_MESSAGE)
