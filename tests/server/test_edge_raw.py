"""Requests boto3 would not send, signed by botocore's own SigV4 and sent with httpx."""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock
from xml.etree import ElementTree

import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from server_fakes import (
    ROOT_KEY,
    ROOT_SECRET,
    SESSION_ARN,
    SESSION_KEY,
    SESSION_SECRET,
    SESSION_TOKEN,
)
from server_harness import LiveServer

ROOT = Credentials(ROOT_KEY, ROOT_SECRET)
SESSION = Credentials(SESSION_KEY, SESSION_SECRET, SESSION_TOKEN)
JSON_10 = "application/x-amz-json-1.0"
SHORT_TARGET = "CodeStar_connections_20191201.ListConnections"
LONG_TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201.ListConnections"


def signed(method: str, url: str, *, service: str, headers: dict[str, str] | None = None, body: bytes = b"",
           credentials: Credentials = ROOT, region: str = "us-east-1", at: datetime | None = None) -> httpx.Request:
    """A request signed by botocore's SigV4Auth, optionally as if signed at `at`."""
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    with _clock(at):
        SigV4Auth(credentials, service, region).add_auth(request)
    return httpx.Request(method, url, headers=dict(request.headers.items()), content=body)


def presigned(url: str, *, service: str, credentials: Credentials = ROOT, region: str = "us-east-1",
              expires: int = 300, at: datetime | None = None) -> str:
    request = AWSRequest(method="GET", url=url)
    with _clock(at):
        SigV4QueryAuth(credentials, service, region, expires=expires).add_auth(request)
    return str(request.url)


def _clock(at: datetime | None) -> Any:
    if at is None:
        return nullcontext()
    return mock.patch("botocore.auth.get_current_datetime", return_value=at.astimezone(UTC).replace(tzinfo=None))


def send(request: httpx.Request) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.send(request)


def list_connections(server: LiveServer, target: str = SHORT_TARGET, **kwargs: Any) -> httpx.Response:
    return send(signed("POST", server.url + "/", service="codestar-connections", body=b"{}",
                       headers={"X-Amz-Target": target, "Content-Type": JSON_10}, **kwargs))


@pytest.mark.parametrize("target", [pytest.param(SHORT_TARGET, id="short"), pytest.param(LONG_TARGET, id="long")])
def test_both_forms_of_the_json_target(server: LiveServer, target: str) -> None:
    response = list_connections(server, target)
    assert response.status_code == 200, response.text
    assert response.json()["Connections"][0]["ConnectionName"] == "my-connection"
    assert response.headers["content-type"] == JSON_10


@pytest.mark.parametrize(("offset", "start"), [
    pytest.param(timedelta(minutes=-6), "Signature expired: ", id="signed too long ago"),
    pytest.param(timedelta(minutes=6), "Signature not yet current: ", id="signed in the future"),
])
def test_clock_skew_beyond_five_minutes_is_refused(server: LiveServer, offset: timedelta, start: str) -> None:
    response = list_connections(server, at=datetime.now(UTC) + offset)
    assert response.status_code == 400
    assert response.json()["__type"] == "InvalidSignatureException"
    assert response.json()["message"].startswith(start)


def test_clock_skew_within_five_minutes_is_accepted(server: LiveServer) -> None:
    assert list_connections(server, at=datetime.now(UTC) - timedelta(minutes=4)).status_code == 200


def test_unsigned_requests_are_missing_the_token(server: LiveServer) -> None:
    response = httpx.post(server.url + "/", headers={"X-Amz-Target": SHORT_TARGET, "Content-Type": JSON_10},
                          content=b"{}", timeout=10)
    assert (response.status_code, response.json()["__type"]) == (400, "MissingAuthenticationTokenException")
    query = httpx.post(server.url + "/", data={"Action": "GetCallerIdentity", "Version": "2011-06-15"}, timeout=10)
    assert query.status_code == 403
    assert ElementTree.fromstring(query.text).findtext(".//{*}Code") == "MissingAuthenticationToken"


def test_routing_errors_come_after_authentication(server: LiveServer) -> None:
    unsigned = httpx.post(server.url + "/", headers={"X-Amz-Target": "Nope.Nothing", "Content-Type": JSON_10},
                          content=b"{}", timeout=10)
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    response = list_connections(server, "Nope.Nothing")
    assert (response.status_code, response.json()["__type"]) == (400, "UnknownOperationException")
    body = b"Action=DoSomethingElse&Version=2010-05-08"
    iam = send(signed("POST", server.url + "/", service="iam", body=body,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert iam.status_code == 400
    assert ElementTree.fromstring(iam.text).findtext(".//{*}Code") == "InvalidAction"


def test_the_credential_scope_must_name_the_service_routed_to(server: LiveServer) -> None:
    response = send(signed("POST", server.url + "/", service="iam", body=b"{}",
                           headers={"X-Amz-Target": SHORT_TARGET, "Content-Type": JSON_10}))
    assert response.status_code == 400
    assert response.json() == {"__type": "InvalidSignatureException",
                               "message": "Credential should be scoped to correct service: 'codestar-connections'."}


def test_a_json_body_that_is_not_json(server: LiveServer) -> None:
    response = send(signed("POST", server.url + "/", service="codestar-connections", body=b"{nope",
                           headers={"X-Amz-Target": SHORT_TARGET, "Content-Type": JSON_10}))
    assert (response.status_code, response.json()["__type"]) == (400, "SerializationException")


def test_presigned_sts_url_with_a_session_token(server: LiveServer) -> None:
    url = presigned(server.url + "/?Action=GetCallerIdentity&Version=2011-06-15", service="sts",
                    credentials=SESSION)
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert ElementTree.fromstring(response.text).findtext(".//{*}Arn") == SESSION_ARN
    request_id = response.headers["x-amzn-requestid"]
    assert ElementTree.fromstring(response.text).findtext(".//{*}RequestId") == request_id


def test_presigned_url_past_its_expiry(server: LiveServer) -> None:
    url = presigned(server.url + "/?Action=GetCallerIdentity&Version=2011-06-15", service="sts", expires=60,
                    at=datetime.now(UTC) - timedelta(minutes=2))
    response = httpx.get(url, timeout=10)
    assert response.status_code == 403
    assert ElementTree.fromstring(response.text).findtext(".//{*}Code") == "SignatureDoesNotMatch"
    assert ElementTree.fromstring(response.text).findtext(".//{*}Message").startswith("Signature expired")


def test_request_ids_are_fresh_uuid4s(server: LiveServer) -> None:
    ids = {list_connections(server).headers["x-amzn-requestid"] for _ in range(3)}
    assert len(ids) == 3


def test_error_bodies_carry_the_request_id(server: LiveServer) -> None:
    response = list_connections(server, "Nope.Nothing")
    assert json.loads(response.text)["__type"] == "UnknownOperationException"
    assert response.headers["x-amzn-requestid"]
