"""Errors the wire layer answers with: AWS's own error codes, wording and HTTP statuses.

    WireError                                   code, message, HTTP status: what goes on the wire
    ├── (protocol errors, defined beside their protocol: UnknownOperationException,
    │    SerializationException, ValidationException, MissingAction, ...)
    ├── (HTTP-level errors, the same code in both families: RequestEntityTooLarge 413,
    │    RequestTimeout 408, MethodNotAllowed 405, ServiceUnavailable 503)
    └── AuthError                               authentication failed; knows its family and failure
        │  family "json": awsJson and rpc-v2-cbor services (CodeStar Connections, CodeConnections)
        ├── MissingAuthenticationTokenException   400  neither an AWS4 Authorization header nor a presigned query
        ├── IncompleteSignatureException          400  the Authorization header or presigned query is malformed
        ├── InvalidSignatureException             400  signature, credential scope or clock check failed
        ├── UnrecognizedClientException           400  unknown access key id, missing or wrong session token
        ├── ExpiredTokenException                 400  temporary credentials past their expiry
        ├── AccessDeniedException                 400  authenticated, but no policy allows the call
        │  family "query": awsQuery services (IAM, STS)
        ├── MissingAuthenticationToken            403
        ├── IncompleteSignature                   400
        ├── SignatureDoesNotMatch                 403
        ├── InvalidClientTokenId                  403
        ├── ExpiredToken                          403
        └── AccessDenied                          403

The same failure has a different code in each protocol family (a JSON service says
`UnrecognizedClientException` where IAM says `InvalidClientTokenId`), so every class
records the neutral `AuthFailure` it reports, and `error_for(family, failure)` looks the
class up in one table. Class names are the codes, letter for letter.

Sources for codes, statuses and wording:
- AWS "Common Error Types" (IAM API reference, CommonErrors): IncompleteSignature 400,
  InvalidClientTokenId / MissingAuthenticationToken 403.
  https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html
- AWS "Troubleshoot signed requests" (reference_sigv-troubleshooting): the credential
  scope and clock messages. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
- Responses quoted in public issues: STS `<Code>MissingAuthenticationToken</Code>
  <Message>Request is missing Authentication Token</Message>` (amzn/selling-partner-api-docs#3081);
  STS/IAM `InvalidClientTokenId` 403 (aws-azure-login#251, cli53#278); `ExpiredToken`
  403 "The security token included in the request is expired" (aws-sdk-java-v2#1649);
  DynamoDB-style JSON services answer 400 with `UnrecognizedClientException`,
  `MissingAuthenticationTokenException` "Request is missing Authentication Token",
  `IncompleteSignatureException` and `InvalidSignatureException` (aws-sdk-js#254,
  aws-dynamodb-session-tomcat#42, iann0036/cloud9-sync#10).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

Family = Literal["json", "query"]
"""Protocol family of the service answering: decides the error codes and statuses."""

FAMILIES: tuple[Family, ...] = ("json", "query")


class AuthFailure(StrEnum):
    """Why authentication failed, before the protocol family names it."""

    MISSING_AUTHENTICATION_TOKEN = "missing authentication token"
    INCOMPLETE_SIGNATURE = "incomplete signature"
    SIGNATURE_MISMATCH = "signature does not match"
    INVALID_CLIENT_TOKEN = "invalid client token"
    EXPIRED_TOKEN = "expired token"
    ACCESS_DENIED = "access denied"


SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
# For a session token that is wrong or missing AWS drops the full stop (STS in
# aws-azure-login#251, DynamoDB as recorded by architect/dynalite); for an unknown
# access key id it keeps it.
INVALID_SESSION_TOKEN_MESSAGE = "The security token included in the request is invalid"
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
MISSING_TOKEN_MESSAGE = "Request is missing Authentication Token"
INCOMPLETE_SIGNATURE_MESSAGE = "The request signature does not conform to AWS standards."
ACCESS_DENIED_MESSAGE = "You do not have sufficient access to perform this action."


class WireError(Exception):
    """An error answered to an AWS client: its `code`, `message` and HTTP `status`.

    Subclasses fix `code` and `status`; the message defaults to AWS's generic text
    for the code and is replaced by a specific one where AWS gives one.
    """

    code: ClassVar[str] = "InternalFailure"
    status: ClassVar[int] = 500
    default_message: ClassVar[str] = "An internal error occurred."
    sender_fault: ClassVar[bool] = True

    def __init__(self, message: str | None = None) -> None:
        self.message = self.default_message if message is None else message
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class AuthError(WireError):
    """The request could not be authenticated (or, for AccessDenied, authorised)."""

    family: ClassVar[Family]
    failure: ClassVar[AuthFailure]


# --- family "json" ------------------------------------------------------------------


class MissingAuthenticationTokenException(AuthError):
    code = "MissingAuthenticationTokenException"
    status = 400
    family = "json"
    failure = AuthFailure.MISSING_AUTHENTICATION_TOKEN
    default_message = MISSING_TOKEN_MESSAGE


class IncompleteSignatureException(AuthError):
    code = "IncompleteSignatureException"
    status = 400
    family = "json"
    failure = AuthFailure.INCOMPLETE_SIGNATURE
    default_message = INCOMPLETE_SIGNATURE_MESSAGE


class InvalidSignatureException(AuthError):
    code = "InvalidSignatureException"
    status = 400
    family = "json"
    failure = AuthFailure.SIGNATURE_MISMATCH
    default_message = SIGNATURE_MISMATCH_MESSAGE


class UnrecognizedClientException(AuthError):
    code = "UnrecognizedClientException"
    status = 400
    family = "json"
    failure = AuthFailure.INVALID_CLIENT_TOKEN
    default_message = INVALID_TOKEN_MESSAGE


class ExpiredTokenException(AuthError):
    code = "ExpiredTokenException"
    status = 400
    family = "json"
    failure = AuthFailure.EXPIRED_TOKEN
    default_message = EXPIRED_TOKEN_MESSAGE


class AccessDeniedException(AuthError):
    code = "AccessDeniedException"
    status = 400
    family = "json"
    failure = AuthFailure.ACCESS_DENIED
    default_message = ACCESS_DENIED_MESSAGE


# --- family "query" -----------------------------------------------------------------


class MissingAuthenticationToken(AuthError):
    code = "MissingAuthenticationToken"
    status = 403
    family = "query"
    failure = AuthFailure.MISSING_AUTHENTICATION_TOKEN
    default_message = MISSING_TOKEN_MESSAGE


class IncompleteSignature(AuthError):
    code = "IncompleteSignature"
    status = 400
    family = "query"
    failure = AuthFailure.INCOMPLETE_SIGNATURE
    default_message = INCOMPLETE_SIGNATURE_MESSAGE


class SignatureDoesNotMatch(AuthError):
    code = "SignatureDoesNotMatch"
    status = 403
    family = "query"
    failure = AuthFailure.SIGNATURE_MISMATCH
    default_message = SIGNATURE_MISMATCH_MESSAGE


class InvalidClientTokenId(AuthError):
    code = "InvalidClientTokenId"
    status = 403
    family = "query"
    failure = AuthFailure.INVALID_CLIENT_TOKEN
    default_message = INVALID_TOKEN_MESSAGE


class ExpiredToken(AuthError):
    code = "ExpiredToken"
    status = 403
    family = "query"
    failure = AuthFailure.EXPIRED_TOKEN
    default_message = EXPIRED_TOKEN_MESSAGE


class AccessDenied(AuthError):
    code = "AccessDenied"
    status = 403
    family = "query"
    failure = AuthFailure.ACCESS_DENIED
    default_message = ACCESS_DENIED_MESSAGE


# --- HTTP-level errors: the request never became an API call ----------------------------
# The codes and wording are AWS's own where a service has them: RequestTimeout and
# MethodNotAllowed as S3 answers them, ServiceUnavailable from IAM's CommonErrors.


class RequestEntityTooLarge(WireError):
    """The body is larger than the protocol's limit (`codeconn.wire.limits.BODY_LIMITS`)."""

    code = "RequestEntityTooLarge"
    status = 413
    default_message = "The request body is too large."


class RequestTimeout(WireError):
    """The body did not arrive in time."""

    code = "RequestTimeout"
    status = 408
    default_message = ("Your socket connection to the server was not read from or written to within "
                       "the timeout period.")


class MethodNotAllowed(WireError):
    """An HTTP method the AWS endpoint does not take (OPTIONS, TRACE, `post`, ...)."""

    code = "MethodNotAllowed"
    status = 405
    default_message = "The specified method is not allowed against this resource."


class ServiceUnavailable(WireError):
    """The server is at its connection limit."""

    code = "ServiceUnavailable"
    status = 503
    sender_fault = False
    default_message = "The request has failed due to a temporary failure of the server."


AUTH_ERRORS: dict[Family, dict[AuthFailure, type[AuthError]]] = {
    family: {cls.failure: cls for cls in AuthError.__subclasses__() if cls.family == family}
    for family in FAMILIES
}
"""family -> failure -> the class AWS answers with; complete for every pair (a test checks)."""


def error_for(family: Family, failure: AuthFailure, message: str | None = None) -> AuthError:
    """The error a service of `family` answers for `failure`, with `message` or AWS's default."""
    return AUTH_ERRORS[family][failure](message)


__all__ = [
    "ACCESS_DENIED_MESSAGE",
    "AUTH_ERRORS",
    "EXPIRED_TOKEN_MESSAGE",
    "FAMILIES",
    "INCOMPLETE_SIGNATURE_MESSAGE",
    "INVALID_SESSION_TOKEN_MESSAGE",
    "INVALID_TOKEN_MESSAGE",
    "MISSING_TOKEN_MESSAGE",
    "SIGNATURE_MISMATCH_MESSAGE",
    "AccessDenied",
    "AccessDeniedException",
    "AuthError",
    "AuthFailure",
    "ExpiredToken",
    "ExpiredTokenException",
    "Family",
    "IncompleteSignature",
    "IncompleteSignatureException",
    "InvalidClientTokenId",
    "MethodNotAllowed",
    "InvalidSignatureException",
    "MissingAuthenticationToken",
    "MissingAuthenticationTokenException",
    "RequestEntityTooLarge",
    "RequestTimeout",
    "ServiceUnavailable",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "WireError",
    "error_for",
]
