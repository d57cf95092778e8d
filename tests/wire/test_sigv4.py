"""Requests signed by botocore and boto3 verify: header-signed, presigned, with session tokens."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.credentials import Credentials as BotoCredentials
from botocore.utils import percent_encode_sequence
from botocore_signing import (
    ACCESS_KEY,
    ENDPOINT,
    LONG_TERM,
    REGION,
    SECRET_KEY,
    SESSION_TOKEN,
    SIGNED_AT,
    TEMP_ACCESS_KEY,
    TEMPORARY,
    Signer,
    lookup,
)

from codeconn.wire.errors import Family, SignatureDoesNotMatch
from codeconn.wire.sigv4 import (
    Credentials,
    CredentialScope,
    HttpRequest,
    SignedRequest,
    VerifiedCaller,
    authenticate,
    parse_authorization,
    verify,
)
from codeconn.wire.sigv4_canonical import calculate_signature

BotoRequest = Callable[..., HttpRequest]
AWKWARD = "a b+c/ü~*'()!&=%20;:@$,"


@pytest.mark.parametrize(("service", "operation", "params", "credentials", "family"), [
    pytest.param("codestar-connections", "list_connections", {}, LONG_TERM, "json", id="awsJson1_0 call"),
    pytest.param("codestar-connections", "create_connection",
                 {"ConnectionName": "conn ü", "ProviderType": "GitHub", "Tags": [{"Key": "k", "Value": AWKWARD}]},
                 TEMPORARY, "json", id="awsJson1_0 call with a session token"),
    pytest.param("codeconnections", "list_connections", {"ProviderTypeFilter": "GitHub"}, LONG_TERM, "json",
                 id="CodeConnections, awsJson1_0 as botocore sends it"),
    pytest.param("iam", "list_users", {"PathPrefix": "/division abc/ü/"}, LONG_TERM, "query",
                 id="awsQuery form body"),
    pytest.param("iam", "create_user", {"UserName": "bob+alice@example.com"}, TEMPORARY, "query",
                 id="awsQuery with a session token"),
    pytest.param("sts", "get_caller_identity", {}, TEMPORARY, "query", id="sts with a session token"),
    pytest.param("lambda", "get_function", {"FunctionName": AWKWARD}, LONG_TERM, "json",
                 id="restJson path label with special characters"),
    pytest.param("lambda", "list_functions", {"Marker": AWKWARD, "MaxItems": 5}, LONG_TERM, "json",
                 id="restJson query string with special characters"),
])
def test_boto3_requests_verify(boto_request: BotoRequest, service: str, operation: str,
                               params: Mapping[str, Any], credentials: BotoCredentials, family: Family) -> None:
    request = boto_request(service, operation, params, credentials=credentials)
    caller = authenticate(request, lookup, SIGNED_AT + timedelta(seconds=3), family=family)
    assert (caller.access_key_id, caller.region, caller.service, caller.presigned) == (
        credentials.access_key, REGION, service, False)


@pytest.mark.parametrize("credentials", [
    pytest.param(LONG_TERM, id="long-term key"),
    pytest.param(TEMPORARY, id="temporary key: the token travels in the query"),
])
def test_boto3_presigned_url_verifies(boto_request: BotoRequest, credentials: BotoCredentials) -> None:
    request = boto_request("sts", "get_caller_identity", credentials=credentials, presign=True)
    caller = authenticate(request, lookup, SIGNED_AT + timedelta(minutes=30), family="query")
    assert (caller.access_key_id, caller.service, caller.presigned) == (credentials.access_key, "sts", True)


def _url(path: str = "/", **query: str) -> str:
    # botocore's serializers percent-encode the query this way before signing (prepare_request_dict).
    return ENDPOINT + path + ("?" + percent_encode_sequence(query) if query else "")


@pytest.mark.parametrize(("method", "url", "headers", "body"), [
    pytest.param("POST", _url(), {"X-Amz-Target": "CodeStar_connections_20191201.ListConnections",
                                  "Content-Type": "application/x-amz-json-1.0"}, b"{}", id="JSON POST"),
    pytest.param("GET", _url("/v1/things/a%20b/%C3%BC", q=AWKWARD, empty=""), {}, b"",
                 id="encoded path and awkward query"),
    pytest.param("GET", _url("/a/./b/../c//d"), {}, b"", id="path normalised the same on both sides"),
    pytest.param("PUT", _url("/x"), {"X-Custom": "  spaced    out  value  "}, b"payload",
                 id="header whitespace canonicalised"),
    pytest.param("POST", _url(), {"Date": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"{}",
                 id="HTTP Date header instead of X-Amz-Date"),
    pytest.param("POST", _url(), {"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()}, b"{}",
                 id="declared payload hash that matches the body"),
])
def test_header_signed_requests_verify(sign: Signer, method: str, url: str, headers: dict[str, str],
                                       body: bytes) -> None:
    request = sign.header(method, url, service="codestar-connections", headers=headers, body=body)
    caller = authenticate(request, lookup, SIGNED_AT, family="json", service="codestar-connections",
                          regions={REGION})
    assert caller.signed_at == SIGNED_AT


@pytest.mark.parametrize(("credentials", "url"), [
    pytest.param(LONG_TERM, _url(Action="GetCallerIdentity", Version="2011-06-15"), id="long-term key"),
    pytest.param(TEMPORARY, _url(Action="GetCallerIdentity", Version="2011-06-15"), id="temporary key"),
    pytest.param(LONG_TERM, _url("/x y", Name=AWKWARD), id="awkward path and query"),
])
def test_presigned_urls_verify(sign: Signer, credentials: BotoCredentials, url: str) -> None:
    request = sign.presigned("GET", url, service="sts", credentials=credentials, expires=3600)
    caller = authenticate(request, lookup, SIGNED_AT + timedelta(minutes=59), family="query")
    assert caller.presigned


@pytest.mark.parametrize("now", [
    pytest.param(SIGNED_AT + timedelta(minutes=5), id="5 minutes late is still in time"),
    pytest.param(SIGNED_AT - timedelta(minutes=5), id="5 minutes early is still in time"),
])
def test_clock_skew_limit_is_inclusive(sign: Signer, now: datetime) -> None:
    request = sign.header("POST", _url(), service="codestar-connections", body=b"{}")
    authenticate(request, lookup, now, family="json")


def _presigned_without_expires() -> HttpRequest:
    # botocore always sends X-Amz-Expires, so sign this one with our own steps.
    scope = CredentialScope("20240101", REGION, "sts")
    query = percent_encode_sequence({
        "Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{ACCESS_KEY}/{scope}", "X-Amz-Date": "20240101T000000Z", "X-Amz-SignedHeaders": "host"})
    unsigned = HttpRequest.build("GET", "/", query, {"Host": "localhost:4566"})
    signature = calculate_signature(unsigned, secret_key=SECRET_KEY, scope=scope, timestamp="20240101T000000Z",
                                    signed_headers=("host",), presigned=True)
    return dataclasses.replace(unsigned, query_string=f"{query}&X-Amz-Signature={signature}")


def test_presigned_url_without_expires_gets_the_clock_skew_window() -> None:
    request = _presigned_without_expires()
    assert parse_authorization(request, family="query").expires is None
    authenticate(request, lookup, SIGNED_AT + timedelta(minutes=5), family="query")
    with pytest.raises(SignatureDoesNotMatch, match="Signature expired"):
        authenticate(request, lookup, SIGNED_AT + timedelta(minutes=6), family="query")


def test_parse_extracts_what_the_server_routes_by(sign: Signer) -> None:
    request = sign.header("POST", _url(), service="codestar-connections", credentials=TEMPORARY, body=b"{}")
    signed = parse_authorization(request, family="json")
    assert signed == SignedRequest(
        access_key_id=TEMP_ACCESS_KEY,
        scope=signed.scope,
        signed_headers=signed.signed_headers,
        signature=signed.signature,
        timestamp="20240101T000000Z",
        signed_at=SIGNED_AT,
        session_token=SESSION_TOKEN,
    )
    assert (signed.region, signed.service, str(signed.scope)) == (
        REGION, "codestar-connections", f"20240101/{REGION}/codestar-connections/aws4_request")
    assert "host" in signed.signed_headers and "x-amz-security-token" in signed.signed_headers


def test_verify_takes_the_secret_directly(sign: Signer) -> None:
    request = sign.header("POST", _url(), service="iam", body=b"Action=ListUsers&Version=2010-05-08")
    signed = parse_authorization(request, family="query")
    verify(signed, request, secret_key=SECRET_KEY, now=SIGNED_AT, family="query", service="iam")


@dataclass(frozen=True, slots=True)
class OwnedCredentials(Credentials):
    principal: str = ""


def test_caller_gets_back_the_credentials_lookup_returned(sign: Signer) -> None:
    stored = OwnedCredentials(ACCESS_KEY, SECRET_KEY, principal="arn:aws:iam::111122223333:user/alice")
    request = sign.header("POST", _url(), service="codestar-connections", body=b"{}")
    caller = authenticate(request, {ACCESS_KEY: stored}.get, SIGNED_AT, family="json")
    assert caller == VerifiedCaller(stored, REGION, "codestar-connections", SIGNED_AT, presigned=False)
    assert caller.credentials is stored


def test_now_must_be_timezone_aware(sign: Signer) -> None:
    request = sign.header("POST", _url(), service="codestar-connections", body=b"{}")
    with pytest.raises(ValueError, match="timezone-aware"):
        authenticate(request, lookup, SIGNED_AT.replace(tzinfo=None), family="json")


def test_now_in_another_timezone_is_the_same_instant(sign: Signer) -> None:
    request = sign.header("POST", _url(), service="codestar-connections", body=b"{}")
    elsewhere = SIGNED_AT.astimezone(datetime.now(UTC).astimezone().tzinfo)
    authenticate(request, lookup, elsewhere, family="json")
