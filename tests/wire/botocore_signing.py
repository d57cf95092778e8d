"""Requests signed by botocore itself, as they would reach the server (helpers for tests/wire).

Two ways in: `Signer` signs a hand-built AWSRequest with botocore's SigV4 signers,
and `capture` runs a real boto3 client call and takes the request at the moment it
would go on the wire (botocore's `before-send` event), so that botocore's own
serializers do the path and query encoding. Both freeze botocore's clock at
`SIGNED_AT` and return an `HttpRequest` shaped like what an ASGI server sees
(raw path and query string, a Host header, body bytes).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

from codeconn.wire.sigv4 import Credentials, HttpRequest

SIGNED_AT = datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)
ENDPOINT = "http://localhost:4566"
REGION = "us-west-2"

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TEMP_ACCESS_KEY = "ASIAIOSFODNN7EXAMPLE"
TEMP_SECRET_KEY = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=="
SESSION_EXPIRES = SIGNED_AT + timedelta(hours=1)

LONG_TERM = BotoCredentials(ACCESS_KEY, SECRET_KEY)
TEMPORARY = BotoCredentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY, SESSION_TOKEN)

STORED: dict[str, Credentials] = {
    ACCESS_KEY: Credentials(ACCESS_KEY, SECRET_KEY),
    TEMP_ACCESS_KEY: Credentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY, SESSION_TOKEN, SESSION_EXPIRES),
}


def lookup(access_key_id: str) -> Credentials | None:
    """The server's view of the keys above."""
    return STORED.get(access_key_id)


@contextmanager
def signing_clock(at: datetime) -> Iterator[None]:
    """Make botocore sign as if it were `at` (it reads `get_current_datetime` when signing)."""
    naive = at.astimezone(UTC).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive):
        yield


def as_received(prepared: AWSPreparedRequest | AWSRequest) -> HttpRequest:
    """What the server gets: urllib3 adds Host from the URL; the body arrives as bytes."""
    url = urlsplit(prepared.url)
    headers = [(name, value.decode() if isinstance(value, bytes) else value)
               for name, value in prepared.headers.items()]
    if not any(name.lower() == "host" for name, _ in headers):
        headers.append(("Host", url.netloc))
    body = prepared.body or b""
    return HttpRequest.build(prepared.method, url.path, url.query, headers,
                             body.encode() if isinstance(body, str) else body)


@dataclass(frozen=True)
class Signer:
    """`sign.header(...)` and `sign.presigned(...)`: botocore's SigV4Auth / SigV4QueryAuth."""

    def header(self, method: str, url: str, *, service: str, region: str = REGION,
               headers: Mapping[str, str] | None = None, body: bytes = b"",
               credentials: BotoCredentials = LONG_TERM, at: datetime = SIGNED_AT) -> HttpRequest:
        request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
        with signing_clock(at):
            SigV4Auth(credentials, service, region).add_auth(request)
        return as_received(request.prepare())

    def presigned(self, method: str, url: str, *, service: str, region: str = REGION, expires: int = 3600,
                  credentials: BotoCredentials = LONG_TERM, at: datetime = SIGNED_AT) -> HttpRequest:
        request = AWSRequest(method=method, url=url)
        with signing_clock(at):
            SigV4QueryAuth(credentials, service, region, expires=expires).add_auth(request)
        return as_received(request.prepare())


class _Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        super().__init__("captured")
        self.request = request


def capture(service: str, operation: str, params: Mapping[str, Any] | None = None, *,
             credentials: BotoCredentials = LONG_TERM, region: str = REGION, presign: bool = False,
             presign_method: str | None = "GET", at: datetime = SIGNED_AT) -> HttpRequest:
    """Run `client.<operation>(**params)` for real and return the request it would have sent.

    With `presign`, the URL from `generate_presigned_url(..., HttpMethod=presign_method)`
    fetched with GET. botocore signs for the operation's own method (POST for awsQuery)
    unless told otherwise, and AWS then rejects the GET (boto/boto3#756), so the
    default asks for GET as real users of presigned STS URLs do.
    """
    session = boto3.Session(aws_access_key_id=credentials.access_key, aws_secret_access_key=credentials.secret_key,
                            aws_session_token=credentials.token, region_name=region)
    client = session.client(service, endpoint_url=ENDPOINT,
                            config=Config(retries={"max_attempts": 0}))

    def stop(request: AWSPreparedRequest, **_: Any) -> None:
        raise _Captured(request)

    client.meta.events.register("before-send", stop)
    with signing_clock(at):
        if presign:
            url = client.generate_presigned_url(operation, Params=dict(params or {}), HttpMethod=presign_method)
            return as_received(AWSRequest(method="GET", url=url).prepare())
        try:
            getattr(client, operation)(**(params or {}))
        except _Captured as captured:
            return as_received(captured.request)
    raise AssertionError(f"{service}.{operation} sent nothing")
