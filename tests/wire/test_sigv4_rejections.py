"""Every way a SigV4 request is refused, with AWS's error and exact message, in both protocol families.

Each case names the failure neutrally (`AuthFailure`); the test runs it as a JSON
service and as a Query service and checks the class each family answers with
(`InvalidSignatureException` there, `SignatureDoesNotMatch` here) and its message.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.credentials import Credentials as BotoCredentials
from botocore_signing import (
    ACCESS_KEY,
    ENDPOINT,
    SESSION_EXPIRES,
    SIGNED_AT,
    TEMP_ACCESS_KEY,
    TEMP_SECRET_KEY,
    TEMPORARY,
    Signer,
    capture,
    lookup,
)

from codeconn.wire.errors import (
    AUTH_ERRORS,
    FAMILIES,
    AuthError,
    AuthFailure,
    Family,
)
from codeconn.wire.sigv4 import (
    Credentials,
    CredentialsLookup,
    HttpRequest,
    authenticate,
    parse_authorization,
)

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")
TARGET = "CodeStar_connections_20191201.ListConnections"


# --- requests to spoil ---------------------------------------------------------------


def json_call(sign: Signer, **options: Any) -> HttpRequest:
    return sign.header("POST", f"{ENDPOINT}/", service="codestar-connections", body=b'{"MaxResults": 5}',
                       headers={"X-Amz-Target": TARGET, "Content-Type": "application/x-amz-json-1.0"}, **options)


def get_call(sign: Signer) -> HttpRequest:
    return sign.header("GET", f"{ENDPOINT}/things/a%20b?a=1&b=two", service="codestar-connections")


def presigned(sign: Signer, *, expires: int = 900) -> HttpRequest:
    return sign.presigned("GET", f"{ENDPOINT}/?Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                          expires=expires)


def with_header(request: HttpRequest, name: str, value: str) -> HttpRequest:
    kept = tuple((key, old) for key, old in request.headers if key != name.lower())
    return dataclasses.replace(request, headers=(*kept, (name.lower(), value)))


def without_header(request: HttpRequest, name: str) -> HttpRequest:
    return dataclasses.replace(request, headers=tuple((k, v) for k, v in request.headers if k != name.lower()))


def edit_authorization(request: HttpRequest, old: str, new: str) -> HttpRequest:
    return with_header(request, "authorization", (request.header("authorization") or "").replace(old, new))


def edit_query(request: HttpRequest, old: str, new: str) -> HttpRequest:
    return dataclasses.replace(request, query_string=request.query_string.replace(old, new))


def authorization_of(build: Callable[[Signer], HttpRequest]) -> Callable[[Signer], str]:
    return lambda sign: build(sign).header("authorization") or ""


# --- the cases ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rejection:
    build: Callable[[Signer], HttpRequest]
    failure: AuthFailure
    message: str | Callable[[Signer], str]
    now: datetime = SIGNED_AT
    lookup: CredentialsLookup = lookup
    options: Mapping[str, Any] = field(default_factory=dict)


def _wrong_secret(access_key_id: str) -> Credentials | None:
    return Credentials(access_key_id, "not-the-secret") if access_key_id == ACCESS_KEY else None


def _auth_header(value: str) -> Callable[[Signer], HttpRequest]:
    return lambda sign: with_header(json_call(sign), "authorization", value)


CREDENTIAL = f"Credential={ACCESS_KEY}/20240101/us-west-2/codestar-connections/aws4_request"
SIGNED = "SignedHeaders=host;x-amz-date"
SIGNATURE = "Signature=" + "0" * 64

CASES = [
    # tampering: the signature no longer matches
    pytest.param(Rejection(lambda s: dataclasses.replace(json_call(s), body=b'{"MaxResults": 6}'),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="tampered body"),
    pytest.param(Rejection(lambda s: with_header(json_call(s), "X-Amz-Target", TARGET.replace("List", "Delete")),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="tampered signed header"),
    pytest.param(Rejection(lambda s: without_header(json_call(s), "Content-Type"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="signed header removed"),
    pytest.param(Rejection(lambda s: edit_query(get_call(s), "b=two", "b=three"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="tampered query value"),
    pytest.param(Rejection(lambda s: edit_query(get_call(s), "a=1", "a=1&admin=true"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="query parameter added"),
    pytest.param(Rejection(lambda s: dataclasses.replace(get_call(s), path="/things/a%20c"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="tampered path"),
    pytest.param(Rejection(lambda s: dataclasses.replace(get_call(s), method="DELETE"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="tampered method"),
    pytest.param(Rejection(json_call, AuthFailure.SIGNATURE_MISMATCH, MISMATCH, lookup=_wrong_secret),
                 id="wrong secret"),
    pytest.param(Rejection(lambda s: s.header("POST", f"{ENDPOINT}/", service="codestar-connections", body=b"{}",
                                              headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="UNSIGNED-PAYLOAD refused: an S3 rule"),
    pytest.param(Rejection(lambda s: dataclasses.replace(
        s.header("POST", f"{ENDPOINT}/", service="codestar-connections", body=b"{}",
                 headers={"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()}), body=b'{"evil": 1}'),
        AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="declared payload hash no longer matches the body"),
    pytest.param(Rejection(lambda s: capture("sts", "get_caller_identity", presign=True, presign_method=None),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH),
                 id="boto3 presigned URL signed for POST, sent as GET (boto/boto3#756)"),
    # who is calling
    pytest.param(Rejection(json_call, AuthFailure.INVALID_CLIENT_TOKEN,
                           "The security token included in the request is invalid.", lookup=lambda key: None),
                 id="unknown access key id"),
    pytest.param(Rejection(lambda s: with_header(json_call(s, credentials=TEMPORARY), "X-Amz-Security-Token",
                                                 "IQoJb3JpZ2luX2VjEXAMPLE//forged"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH),
                 id="forged session token breaks the signature first"),
    pytest.param(Rejection(lambda s: json_call(s, credentials=TEMPORARY), AuthFailure.INVALID_CLIENT_TOKEN,
                           "The security token included in the request is invalid",
                           lookup=lambda key: Credentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY, "another-token")),
                 id="session token differs from the stored one"),
    pytest.param(Rejection(lambda s: json_call(s, credentials=BotoCredentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY)),
                           AuthFailure.INVALID_CLIENT_TOKEN, "The security token included in the request is invalid"),
                 id="temporary key without its session token"),
    pytest.param(Rejection(lambda s: json_call(s, credentials=TEMPORARY), AuthFailure.INVALID_CLIENT_TOKEN,
                           "The security token included in the request is invalid",
                           lookup=lambda key: Credentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY)),
                 id="session token sent for a long-term key"),
    pytest.param(Rejection(lambda s: json_call(s, credentials=TEMPORARY, at=SESSION_EXPIRES),
                           AuthFailure.EXPIRED_TOKEN, "The security token included in the request is expired",
                           now=SESSION_EXPIRES), id="temporary credentials expired"),
    # the clock
    pytest.param(Rejection(json_call, AuthFailure.SIGNATURE_MISMATCH,
                           "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z "
                           "(20240101T001000Z - 5 min.)", now=SIGNED_AT + timedelta(minutes=10)),
                 id="signed more than 5 minutes ago"),
    pytest.param(Rejection(json_call, AuthFailure.SIGNATURE_MISMATCH,
                           "Signature not yet current: 20240101T000000Z is still later than 20231231T235500Z "
                           "(20231231T235000Z + 5 min.)", now=SIGNED_AT - timedelta(minutes=10)),
                 id="signed more than 5 minutes in the future"),
    pytest.param(Rejection(json_call, AuthFailure.SIGNATURE_MISMATCH,
                           "Signature expired: 20240101T000000Z is now earlier than 20240101T000001Z "
                           "(20240101T000501Z - 5 min.)", now=SIGNED_AT + timedelta(minutes=5, seconds=1)),
                 id="one second past the skew limit"),
    # presigned URLs
    pytest.param(Rejection(presigned, AuthFailure.SIGNATURE_MISMATCH,
                           "Signature expired: 20240101T000000Z is now earlier than 20240101T000100Z "
                           "(20240101T001600Z - 15 min.)", now=SIGNED_AT + timedelta(minutes=16)),
                 id="presigned URL past X-Amz-Expires"),
    pytest.param(Rejection(presigned, AuthFailure.SIGNATURE_MISMATCH,
                           "Signature not yet current: 20240101T000000Z is still later than 20231231T235000Z "
                           "(20231231T234500Z + 5 min.)", now=SIGNED_AT - timedelta(minutes=15)),
                 id="presigned URL from the future"),
    pytest.param(Rejection(lambda s: presigned(s, expires=604801), AuthFailure.INCOMPLETE_SIGNATURE,
                           "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
                 id="presigned URL valid for more than 7 days"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "X-Amz-Expires=900", "X-Amz-Expires=soon"),
                           AuthFailure.INCOMPLETE_SIGNATURE, "X-Amz-Expires should be a number"),
                 id="presigned X-Amz-Expires not a number"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "X-Amz-Expires=900", "X-Amz-Expires=-1"),
                           AuthFailure.INCOMPLETE_SIGNATURE, "X-Amz-Expires must be non-negative"),
                 id="presigned X-Amz-Expires negative"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "Action=GetCallerIdentity", "Action=AssumeRole"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="presigned URL with tampered query"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "X-Amz-Expires=900", "X-Amz-Expires=3600"),
                           AuthFailure.SIGNATURE_MISMATCH, MISMATCH), id="presigned URL with its expiry extended"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "&X-Amz-Signature=", "&X-Amz-Ignored="),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "AWS query-string parameters must include 'X-Amz-Signature'. "
                           "Re-examine the query-string parameters."), id="presigned URL without its signature"),
    pytest.param(Rejection(lambda s: dataclasses.replace(presigned(s), query_string="X-Amz-Algorithm=AWS4-HMAC-SHA256"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "AWS query-string parameters must include 'X-Amz-Credential'. "
                           "AWS query-string parameters must include 'X-Amz-Signature'. "
                           "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
                           "AWS query-string parameters must include 'X-Amz-Date'. "
                           "Re-examine the query-string parameters."), id="presigned query with only the algorithm"),
    pytest.param(Rejection(lambda s: edit_query(presigned(s), "X-Amz-Algorithm=AWS4-HMAC-SHA256",
                                                "X-Amz-Algorithm=AWS4-HMAC-SHA1"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now)."),
                 id="presigned with another algorithm"),
    pytest.param(Rejection(lambda s: with_header(presigned(s), "Authorization", "AWS4-HMAC-SHA256 " + CREDENTIAL),
                           AuthFailure.SIGNATURE_MISMATCH,
                           "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."),
                 id="both a presigned query and an Authorization header"),
    # no signature at all
    pytest.param(Rejection(lambda s: without_header(json_call(s), "Authorization"),
                           AuthFailure.MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token"),
                 id="no Authorization header"),
    pytest.param(Rejection(_auth_header("Basic YWxhZGRpbjpvcGVuc2VzYW1l"),
                           AuthFailure.MISSING_AUTHENTICATION_TOKEN, "Request is missing Authentication Token"),
                 id="Authorization header of another scheme"),
    # a malformed Authorization header
    pytest.param(Rejection(_auth_header(f"AWS4-HMAC-SHA256 {SIGNED}, {SIGNATURE}"), AuthFailure.INCOMPLETE_SIGNATURE,
                           f"Authorization header requires 'Credential' parameter. "
                           f"Authorization=AWS4-HMAC-SHA256 {SIGNED}, {SIGNATURE}"), id="no Credential"),
    pytest.param(Rejection(_auth_header(f"AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNED}"), AuthFailure.INCOMPLETE_SIGNATURE,
                           f"Authorization header requires 'Signature' parameter. "
                           f"Authorization=AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNED}"), id="no Signature"),
    pytest.param(Rejection(_auth_header(f"AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNATURE}"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           f"Authorization header requires 'SignedHeaders' parameter. "
                           f"Authorization=AWS4-HMAC-SHA256 {CREDENTIAL}, {SIGNATURE}"), id="no SignedHeaders"),
    pytest.param(Rejection(lambda s: without_header(_auth_header("AWS4-HMAC-SHA256")(s), "X-Amz-Date"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Authorization header requires 'Credential' parameter. "
                           "Authorization header requires 'Signature' parameter. "
                           "Authorization header requires 'SignedHeaders' parameter. "
                           "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                           "Authorization=AWS4-HMAC-SHA256"), id="nothing but the algorithm, and no date"),
    pytest.param(Rejection(lambda s: without_header(json_call(s), "X-Amz-Date"), AuthFailure.INCOMPLETE_SIGNATURE,
                           lambda s: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                                     "header. Authorization=" + authorization_of(json_call)(s)), id="no date header"),
    pytest.param(Rejection(_auth_header(f"AWS4-HMAC-SHA256 Credential= {ACCESS_KEY}/20240101/us-west-2/"
                                        f"codestar-connections/aws4_request, {SIGNED}, {SIGNATURE}"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           f"'{ACCESS_KEY}/20240101/us-west-2/codestar-connections/aws4_request' not a valid key=value "
                           f"pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= "
                           f"{ACCESS_KEY}/20240101/us-west-2/codestar-connections/aws4_request, {SIGNED}, "
                           f"{SIGNATURE}'."), id="space after Credential="),
    pytest.param(Rejection(lambda s: edit_authorization(json_call(s), "AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA512 "),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now)."),
                 id="another algorithm"),
    pytest.param(Rejection(lambda s: edit_authorization(json_call(s), "/aws4_request", ""),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Credential must have exactly 5 slash-delimited elements, "
                           "e.g. keyid/date/region/service/term, "
                           f"got '{ACCESS_KEY}/20240101/us-west-2/codestar-connections'"),
                 id="credential with four elements"),
    pytest.param(Rejection(lambda s: with_header(json_call(s), "X-Amz-Date", "2024-01-01T00:00:00Z"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'. "
                           "See http://en.wikipedia.org/wiki/ISO_8601"), id="X-Amz-Date not in basic format"),
    pytest.param(Rejection(lambda s: with_header(json_call(s), "X-Amz-Date", "20241301T000000Z"),
                           AuthFailure.INCOMPLETE_SIGNATURE,
                           "Date must be in ISO-8601 'basic format'. Got '20241301T000000Z'. "
                           "See http://en.wikipedia.org/wiki/ISO_8601"), id="X-Amz-Date month 13"),
    pytest.param(Rejection(lambda s: edit_authorization(json_call(s), "SignedHeaders=content-type;host;",
                                                        "SignedHeaders=content-type;"),
                           AuthFailure.SIGNATURE_MISMATCH,
                           "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."),
                 id="Host not signed"),
    # the credential scope
    pytest.param(Rejection(lambda s: edit_authorization(json_call(s), "/20240101/", "/20231231/"),
                           AuthFailure.SIGNATURE_MISMATCH,
                           "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                           "'20231231' != '20240101', from '20240101T000000Z'."), id="scope date is not the request's"),
    pytest.param(Rejection(lambda s: edit_authorization(json_call(s), "/aws4_request", "/aws5_request"),
                           AuthFailure.SIGNATURE_MISMATCH,
                           "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."),
                 id="wrong terminator"),
    pytest.param(Rejection(lambda s: s.header("POST", f"{ENDPOINT}/", service="iam", region="eu-west-1"),
                           AuthFailure.SIGNATURE_MISMATCH,
                           "Credential should be scoped to a valid region, not 'eu-west-1'. Regions served: "
                           "us-west-2. Credential should be scoped to correct service: 'codestar-connections'.",
                           options={"service": "codestar-connections", "regions": {"us-west-2"}}),
                 id="signed for another region and service"),
]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("case", CASES)
def test_rejected(sign: Signer, case: Rejection, family: Family) -> None:
    request = case.build(sign)
    with pytest.raises(AuthError) as caught:
        authenticate(request, case.lookup, case.now, family=family, **case.options)
    expected = AUTH_ERRORS[family][case.failure]
    message = case.message(sign) if callable(case.message) else case.message
    assert (type(caught.value), caught.value.message) == (expected, message)
    assert (caught.value.code, caught.value.status) == (expected.code, expected.status)


@pytest.mark.parametrize(("family", "code", "status"), [
    pytest.param("json", "IncompleteSignatureException", 400, id="json"),
    pytest.param("query", "IncompleteSignature", 400, id="query"),
])
def test_parse_alone_reports_malformed_headers(sign: Signer, family: Family, code: str, status: int) -> None:
    request = edit_authorization(json_call(sign), "/aws4_request", "")
    with pytest.raises(AuthError) as caught:
        parse_authorization(request, family=family)
    assert (caught.value.code, caught.value.status) == (code, status)
