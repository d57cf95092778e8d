"""Verify SigV4-signed requests: who signed, for which region and service, and is it still good.

    caller = authenticate(request, lookup, now, family="json")
    caller.access_key_id, caller.region, caller.service, caller.credentials

`authenticate` is `parse_authorization` (the signature's structure, from an
`Authorization: AWS4-HMAC-SHA256 ...` header or a presigned query) then `verify`
(clock, credential scope, signature), with the secret looked up in between and the
session token checked last. Nothing here reads a clock or a store: `now` and `lookup`
are the caller's.

Errors are AWS's, in the protocol family of the service answering (`family`): a JSON
service says `UnrecognizedClientException` where IAM says `InvalidClientTokenId`; see
`errors.py`. Checks run in nearly the order AWS services run them, as recorded from
DynamoDB by architect/dynalite (`index.js`), so a request with several faults mostly
reports the one AWS would: which header, its parts, date format, algorithm and
credential (parsing); clock, Host signed, credential scope (verify); access key,
signature, session token. DynamoDB looks at the clock and Host before the algorithm
and credential; parsing cannot, having no clock.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from codeconn.wire.errors import (
    INVALID_SESSION_TOKEN_MESSAGE,
    AuthError,
    AuthFailure,
    Family,
    error_for,
)
from codeconn.wire.sigv4_canonical import (
    ALGORITHM,
    CONTENT_SHA256_HEADER,
    TERMINATOR,
    TIMESTAMP_FORMAT,
    CredentialScope,
    HttpRequest,
    body_sha256,
    calculate_signature,
)

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far a request's date may be from the server's clock, either way (AWS's limit)."""

MAX_PRESIGNED_EXPIRES = timedelta(days=7)
"""A presigned URL's longest life: a signing key is only good for seven days."""

_BASIC_TIMESTAMP = re.compile(r"\d{8}T\d{6}Z")
_AUTHORIZATION_SEPARATORS = re.compile(r"[,\s]+")
_HEADER_PARTS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARTS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What the client claims: its key, scope, the headers it signed and the signature.

    `timestamp` is the request date in SigV4's basic format as it enters the string
    to sign, whether it came from X-Amz-Date or from an HTTP Date header.
    """

    access_key_id: str
    scope: CredentialScope
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str
    signed_at: datetime
    presigned: bool = False
    expires: timedelta | None = None
    session_token: str | None = None
    algorithm: str = ALGORITHM

    @property
    def region(self) -> str:
        return self.scope.region

    @property
    def service(self) -> str:
        return self.scope.service


@dataclass(frozen=True, slots=True)
class Credentials:
    """A secret the server holds for one access key id, as `lookup` returns it.

    `session_token` is set for temporary credentials (STS), and then the request
    must carry the same token; `expires_at` ends them. A caller may return a
    subclass with its own fields (the principal, say): `VerifiedCaller.credentials`
    is the very object `lookup` returned.
    """

    access_key_id: str
    secret_key: str
    session_token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VerifiedCaller:
    """A request whose signature checked out: whose key, and the region and service it was signed for."""

    credentials: Credentials
    region: str
    service: str
    signed_at: datetime
    presigned: bool

    @property
    def access_key_id(self) -> str:
        return self.credentials.access_key_id


CredentialsLookup = Callable[[str], Credentials | None]
"""Access key id -> its credentials, or None when the key is unknown."""


# --- parsing ---------------------------------------------------------------------------


def parse_authorization(request: HttpRequest, *, family: Family) -> SignedRequest:
    """Read the signature's parts from the Authorization header or a presigned query.

    Checks structure only (every part present, dates and credential well formed);
    raises IncompleteSignature(Exception) naming what is missing, in AWS's words,
    or MissingAuthenticationToken(Exception) when the request is not SigV4-signed.
    """
    header = request.header("authorization")
    query = request.query_params()
    if header is not None and "X-Amz-Algorithm" in query:
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH,
                        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.")
    if header is not None and header.strip().startswith("AWS4-"):
        return _parse_header(request, header, family)
    if header is None and "X-Amz-Algorithm" in query:
        return _parse_query(query, family)
    raise error_for(family, AuthFailure.MISSING_AUTHENTICATION_TOKEN)


def _parse_header(request: HttpRequest, header: str, family: Family) -> SignedRequest:
    algorithm, _, rest = header.strip().partition(" ")
    parts: dict[str, str] = {}
    # AWS splits on commas and whitespace alike, so "Credential= AKID/..." is two
    # tokens and the second has no "=" (iann0036/cloud9-sync#10).
    for token in _AUTHORIZATION_SEPARATORS.split(rest):
        if not token:
            continue
        if "=" not in token:
            raise _incomplete(family, f"'{token}' not a valid key=value pair (missing equal-sign) "
                                      f"in Authorization header: '{header}'.")
        name, _, value = token.partition("=")
        parts.setdefault(name, value)
    amz_date, http_date = request.header("x-amz-date"), request.header("date")
    missing = [f"Authorization header requires '{name}' parameter." for name in _HEADER_PARTS if name not in parts]
    if amz_date is None and http_date is None:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        raise _incomplete(family, " ".join(missing) + f" Authorization={header}")
    signed_at = _parse_amz_date(amz_date, family) if amz_date is not None else _parse_http_date(http_date, family)
    _check_algorithm(algorithm, family)
    access_key_id, scope = _parse_credential(parts["Credential"], family)
    return SignedRequest(
        access_key_id=access_key_id,
        scope=scope,
        signed_headers=_parse_signed_headers(parts["SignedHeaders"]),
        signature=parts["Signature"],
        timestamp=amz_date if amz_date is not None else signed_at.strftime(TIMESTAMP_FORMAT),
        signed_at=signed_at,
        session_token=request.header("x-amz-security-token"),
    )


def _parse_query(query: dict[str, str], family: Family) -> SignedRequest:
    missing = [f"AWS query-string parameters must include '{name}'." for name in _QUERY_PARTS if not query.get(name)]
    if missing:
        raise _incomplete(family, " ".join(missing) + " Re-examine the query-string parameters.")
    signed_at = _parse_amz_date(query["X-Amz-Date"], family)
    _check_algorithm(query["X-Amz-Algorithm"], family)
    access_key_id, scope = _parse_credential(query["X-Amz-Credential"], family)
    return SignedRequest(
        access_key_id=access_key_id,
        scope=scope,
        signed_headers=_parse_signed_headers(query["X-Amz-SignedHeaders"]),
        signature=query["X-Amz-Signature"],
        timestamp=query["X-Amz-Date"],
        signed_at=signed_at,
        presigned=True,
        expires=_parse_expires(query.get("X-Amz-Expires"), family),
        session_token=query.get("X-Amz-Security-Token"),
    )


def _parse_amz_date(value: str, family: Family) -> datetime:
    try:
        if _BASIC_TIMESTAMP.fullmatch(value):  # YYYYMMDDTHHMMSSZ, read by position (strptime cost more)
            return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]), int(value[9:11]),
                            int(value[11:13]), int(value[13:15]), tzinfo=UTC)
    except ValueError:
        pass
    raise _incomplete(family, f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
                              "See http://en.wikipedia.org/wiki/ISO_8601")


def _parse_http_date(value: str | None, family: Family) -> datetime:
    try:
        parsed = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        raise _incomplete(family, f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
                                  "See http://en.wikipedia.org/wiki/ISO_8601") from None
    # "-0000" parses as naive: RFC 5322 says the time is UTC with no local offset known.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _check_algorithm(algorithm: str, family: Family) -> None:
    if algorithm != ALGORITHM:
        raise _incomplete(family, f"Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now).")


def _parse_credential(credential: str, family: Family) -> tuple[str, CredentialScope]:
    parts = credential.rstrip("/").split("/")
    if len(parts) != 5 or not all(parts):
        raise _incomplete(family, "Credential must have exactly 5 slash-delimited elements, "
                                  f"e.g. keyid/date/region/service/term, got '{credential}'")
    access_key_id, date, region, service, terminator = parts
    return access_key_id, CredentialScope(date, region, service, terminator)


def _parse_signed_headers(value: str) -> tuple[str, ...]:
    return tuple(name.strip().lower() for name in value.split(";") if name.strip())


def _parse_expires(value: str | None, family: Family) -> timedelta | None:
    # Wording from S3's AuthorizationQueryParametersError; other services publish none.
    if value is None:
        return None
    if not re.fullmatch(r"-?[0-9]+", value):
        raise _incomplete(family, "X-Amz-Expires should be a number")
    expires = timedelta(seconds=int(value))
    if expires < timedelta(0):
        raise _incomplete(family, "X-Amz-Expires must be non-negative")
    if expires > MAX_PRESIGNED_EXPIRES:
        raise _incomplete(family, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
    return expires


def _incomplete(family: Family, message: str) -> AuthError:
    return error_for(family, AuthFailure.INCOMPLETE_SIGNATURE, message)


# --- verification ---------------------------------------------------------------------


def verify(signed: SignedRequest, request: HttpRequest, *, secret_key: str, now: datetime, family: Family,
           max_skew: timedelta = MAX_CLOCK_SKEW, service: str | None = None,
           regions: Collection[str] | None = None) -> None:
    """Check the clock, the credential scope and the signature of a parsed request.

    `now` must be timezone-aware. `service` and `regions`, when given, are what the
    endpoint accepts; the scope's date must always match the request's date.
    Raises InvalidSignatureException / SignatureDoesNotMatch on any failure.
    """
    _check_request(signed, now=now, family=family, max_skew=max_skew, service=service, regions=regions)
    _check_signature(signed, request, secret_key, family)


def authenticate(request: HttpRequest, lookup: CredentialsLookup, now: datetime, *, family: Family,
                 max_skew: timedelta = MAX_CLOCK_SKEW, service: str | None = None,
                 regions: Collection[str] | None = None) -> VerifiedCaller:
    """Who sent `request`: parse, verify, and check the session token against the stored credentials.

    `lookup` maps an access key id to its credentials (None when unknown). An
    unknown key, or a session token missing, unexpected or different from the
    stored one, raises UnrecognizedClientException / InvalidClientTokenId;
    credentials past `expires_at` raise ExpiredTokenException / ExpiredToken.
    """
    signed = parse_authorization(request, family=family)
    _check_request(signed, now=now, family=family, max_skew=max_skew, service=service, regions=regions)
    credentials = lookup(signed.access_key_id)
    if credentials is None:
        raise error_for(family, AuthFailure.INVALID_CLIENT_TOKEN)
    _check_signature(signed, request, credentials.secret_key, family)
    _check_session(signed, credentials, _utc(now), family)
    return VerifiedCaller(credentials, signed.region, signed.service, signed.signed_at, signed.presigned)


def _check_request(signed: SignedRequest, *, now: datetime, family: Family, max_skew: timedelta,
                   service: str | None, regions: Collection[str] | None) -> None:
    _check_clock(signed, _utc(now), max_skew, family)
    if "host" not in signed.signed_headers and ":authority" not in signed.signed_headers:
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH,
                        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    _check_scope(signed, family, service, regions)


def _check_clock(signed: SignedRequest, now: datetime, max_skew: timedelta, family: Family) -> None:
    """Within `max_skew` of now; a presigned URL with X-Amz-Expires is good until it expires.

    Messages as AWS words them (reference_sigv-troubleshooting; full form quoted
    in serverless/enterprise#11 and aws/aws-sdk-js#573).
    """
    lifetime = signed.expires if signed.expires is not None else max_skew
    earliest, latest = now - lifetime, now + max_skew
    if signed.signed_at < earliest:
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH,
                        f"Signature expired: {signed.timestamp} is now earlier than "
                        f"{_stamp(earliest)} ({_stamp(now)} - {_span(lifetime)})")
    if signed.signed_at > latest:
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH,
                        f"Signature not yet current: {signed.timestamp} is still later than "
                        f"{_stamp(latest)} ({_stamp(now)} + {_span(max_skew)})")


def _check_scope(signed: SignedRequest, family: Family, service: str | None,
                 regions: Collection[str] | None) -> None:
    """Every scope fault at once, joined as AWS joins them."""
    scope, problems = signed.scope, []
    if regions is not None and scope.region not in regions:
        problems.append(f"Credential should be scoped to a valid region, not '{scope.region}'. "
                        f"Regions served: {', '.join(sorted(regions))}.")
    if service is not None and scope.service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'.")
    if scope.terminator != TERMINATOR:
        problems.append(f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
                        f"not '{scope.terminator}'.")
    if scope.date != signed.timestamp[:8]:
        problems.append("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
                        f"HTTP: '{scope.date}' != '{signed.timestamp[:8]}', from '{signed.timestamp}'.")
    if problems:
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH, " ".join(problems))


def _check_signature(signed: SignedRequest, request: HttpRequest, secret_key: str, family: Family) -> None:
    """Recompute the signature and compare in constant time.

    A declared x-amz-content-sha256 must also be the body's hash: the signature
    covers the declared value, not the bytes, so otherwise the body could be
    swapped under a valid signature.
    """
    declared = request.header(CONTENT_SHA256_HEADER)
    expected = calculate_signature(request, secret_key=secret_key, scope=signed.scope, timestamp=signed.timestamp,
                                   signed_headers=signed.signed_headers, presigned=signed.presigned)
    matches = hmac.compare_digest(expected.encode(), signed.signature.encode())
    if not matches or (declared is not None and declared != body_sha256(request.body)):
        raise error_for(family, AuthFailure.SIGNATURE_MISMATCH)


def _check_session(signed: SignedRequest, credentials: Credentials, now: datetime, family: Family) -> None:
    stored, sent = credentials.session_token, signed.session_token
    if (stored is not None or sent is not None) and (
            stored is None or sent is None or not hmac.compare_digest(stored.encode(), sent.encode())):
        raise error_for(family, AuthFailure.INVALID_CLIENT_TOKEN, INVALID_SESSION_TOKEN_MESSAGE)
    if credentials.expires_at is not None and now >= _utc(credentials.expires_at):
        raise error_for(family, AuthFailure.EXPIRED_TOKEN)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"a naive datetime is ambiguous here; give a timezone-aware one: {moment!r}")
    return moment.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} min." if seconds % 60 == 0 else f"{seconds} sec."


__all__ = [
    "MAX_CLOCK_SKEW",
    "MAX_PRESIGNED_EXPIRES",
    "CredentialScope",
    "Credentials",
    "CredentialsLookup",
    "HttpRequest",
    "SignedRequest",
    "VerifiedCaller",
    "authenticate",
    "parse_authorization",
    "verify",
]
