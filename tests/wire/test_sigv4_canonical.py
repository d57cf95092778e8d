"""SigV4's canonical forms, checked against AWS's published vectors and the spec's rules."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from codeconn.wire.sigv4 import Credentials, authenticate
from codeconn.wire.sigv4_canonical import (
    CredentialScope,
    HttpRequest,
    calculate_signature,
    canonical_headers,
    canonical_query_string,
    canonical_request,
    canonical_uri,
    signature,
    signing_key,
    string_to_sign,
)

EXAMPLE_KEY = "AKIDEXAMPLE"
EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
EMPTY_HASH = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# AWS's worked example ("Create a signed AWS API request" / "Request signature examples"):
# IAM ListUsers at 20150830T123600Z in us-east-1, every intermediate value published.
IAM_EXAMPLE = HttpRequest.build("GET", "/", "Action=ListUsers&Version=2010-05-08", {
    "Host": "iam.amazonaws.com",
    "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    "X-Amz-Date": "20150830T123600Z",
})
IAM_SCOPE = CredentialScope("20150830", "us-east-1", "iam")
IAM_CANONICAL = (
    "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
    "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n" + EMPTY_HASH
)


def test_iam_example_every_step() -> None:
    signed_headers = ("content-type", "host", "x-amz-date")
    canonical = canonical_request(IAM_EXAMPLE, signed_headers)
    assert canonical == IAM_CANONICAL
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    to_sign = string_to_sign("20150830T123600Z", IAM_SCOPE, canonical)
    assert to_sign == ("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
                       "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
    key = signing_key(EXAMPLE_SECRET, IAM_SCOPE)
    assert key.hex() == "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    assert signature(key, to_sign) == "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


def _vector(path: str, query: str, date_header: tuple[str, str], host: str) -> HttpRequest:
    return HttpRequest.build("GET", path, query, [("Host", host), date_header])


SUITE_2015 = ("X-Amz-Date", "20150830T123600Z")
SUITE_2011 = ("Date", "Mon, 09 Sep 2011 23:36:00 GMT")

# AWS's SigV4 test suite. The 2015 cases (service "service") are the ones every SDK
# reproduces; the 2011 cases (service "host", HTTP Date header) are the copies kept in
# botocore's tests/unit/auth/aws4_testsuite (get-space, get-utf8).
GOLDEN = [
    pytest.param(_vector("/", "", SUITE_2015, "example.amazonaws.com"), "20150830T123600Z",
                 CredentialScope("20150830", "us-east-1", "service"), ("host", "x-amz-date"),
                 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", id="get-vanilla"),
    pytest.param(_vector("/", "Param2=value2&Param1=value1", SUITE_2015, "example.amazonaws.com"),
                 "20150830T123600Z", CredentialScope("20150830", "us-east-1", "service"), ("host", "x-amz-date"),
                 "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
                 id="get-vanilla-query-order-key-case: parameters are sorted"),
    pytest.param(_vector("/%20/foo", "", SUITE_2011, "host.foo.com"), "20110909T233600Z",
                 CredentialScope("20110909", "us-east-1", "host"), ("date", "host"),
                 "2be9e587d1ee1f0fd02128724b86b4358ba3630d39f493b6e06610a19a50779e",
                 id="get-space: an encoded path is encoded again"),
    pytest.param(_vector("/%E1%88%B4", "", SUITE_2011, "host.foo.com"), "20110909T233600Z",
                 CredentialScope("20110909", "us-east-1", "host"), ("date", "host"),
                 "57b1eb3df3b16a8479c0097b66c0b261cfd65b829419a3f2c3d05319722490b8",
                 id="get-utf8: UTF-8 path bytes, encoded twice"),
]


@pytest.mark.parametrize(("request_", "timestamp", "scope", "signed_headers", "expected"), GOLDEN)
def test_aws_test_suite(request_: HttpRequest, timestamp: str, scope: CredentialScope,
                        signed_headers: tuple[str, ...], expected: str) -> None:
    assert calculate_signature(request_, secret_key=EXAMPLE_SECRET, scope=scope, timestamp=timestamp,
                               signed_headers=signed_headers) == expected


@pytest.mark.parametrize(("request_", "timestamp", "scope", "signed_headers", "expected"), GOLDEN)
def test_aws_test_suite_authenticates(request_: HttpRequest, timestamp: str, scope: CredentialScope,
                                      signed_headers: tuple[str, ...], expected: str) -> None:
    authorization = (f"AWS4-HMAC-SHA256 Credential={EXAMPLE_KEY}/{scope}, "
                     f"SignedHeaders={';'.join(signed_headers)}, Signature={expected}")
    signed = HttpRequest.build(request_.method, request_.path, request_.query_string,
                               [*request_.headers, ("Authorization", authorization)])
    now = datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    caller = authenticate(signed, {EXAMPLE_KEY: Credentials(EXAMPLE_KEY, EXAMPLE_SECRET)}.get, now, family="json")
    assert (caller.access_key_id, caller.region, caller.service) == (EXAMPLE_KEY, scope.region, scope.service)


def test_get_space_canonical_request_as_published() -> None:
    request = _vector("/%20/foo", "", SUITE_2011, "host.foo.com")
    assert canonical_request(request, ("date", "host")) == (
        "GET\n/%2520/foo\n\ndate:Mon, 09 Sep 2011 23:36:00 GMT\nhost:host.foo.com\n\ndate;host\n" + EMPTY_HASH)


@pytest.mark.parametrize(("path", "expected"), [
    pytest.param("", "/", id="empty path is the root"),
    pytest.param("/", "/", id="root"),
    pytest.param("/a/b/", "/a/b/", id="trailing slash kept"),
    pytest.param("/a/./b/../c", "/a/c", id="dot segments removed"),
    pytest.param("/a//b", "/a/b", id="empty segments removed"),
    pytest.param("/../a", "/a", id="cannot climb above the root"),
    pytest.param("/a%20b", "/a%2520b", id="percent signs are encoded again"),
    pytest.param("/arn%3Aaws%3Aiam", "/arn%253Aaws%253Aiam", id="encoded colons encoded again"),
    pytest.param("/a~b-c_d.e", "/a~b-c_d.e", id="unreserved characters untouched"),
])
def test_canonical_uri(path: str, expected: str) -> None:
    assert canonical_uri(path) == expected


@pytest.mark.parametrize(("query", "presigned", "expected"), [
    pytest.param("", False, "", id="no query"),
    pytest.param("b=2&a=1", False, "a=1&b=2", id="sorted by name"),
    pytest.param("a=2&a=1", False, "a=1&a=2", id="repeated names sorted by value"),
    pytest.param("B=1&a=1", False, "B=1&a=1", id="sorted by code point, upper case first"),
    pytest.param("flag", False, "flag=", id="a name without a value gets an empty one"),
    pytest.param("a=x%7ey", False, "a=x~y", id="unreserved escapes decoded"),
    pytest.param("a=%2f", False, "a=%2F", id="escapes upper-cased"),
    pytest.param("a=b%20c", False, "a=b%20c", id="space stays %20"),
    pytest.param("a=%C3%BC%2B", False, "a=%C3%BC%2B", id="UTF-8 and plus stay encoded"),
    pytest.param("a=%FF", False, "a=%FF", id="a non-UTF-8 escape survives"),
    pytest.param("a=1&&b=2", False, "a=1&b=2", id="empty pairs ignored"),
    pytest.param("X-Amz-Signature=abc&a=1", True, "a=1", id="presigned: own signature excluded"),
    pytest.param("X-Amz-Signature=abc&a=1", False, "X-Amz-Signature=abc&a=1", id="header-signed: kept"),
])
def test_canonical_query_string(query: str, presigned: bool, expected: str) -> None:
    assert canonical_query_string(query, presigned=presigned) == expected


def test_canonical_headers_trim_collapse_and_join() -> None:
    request = HttpRequest.build("GET", "/", headers=[
        ("My-Header", "  a   b \t c  "), ("X-Multi", "one"), ("x-multi", " two "), ("Host", "h")])
    assert canonical_headers(request, ("host", "my-header", "x-multi")) == (
        "host:h\nmy-header:a b c\nx-multi:one,two\n")
