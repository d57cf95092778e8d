"""Raw requests to a real server for the hardening tests (issue 7), and a reader of AWS error shapes.

(A module of its own, not conftest.py, so that test modules import it by name.)

`signed` and `presigned` sign with botocore's own SigV4 as the default root
(`test`/`test`); `send` sends with httpx and a timeout that only detects a hang;
`aws_error` asserts a response is an AWS error body (JSON `__type`, CBOR
`__type`, or Query `<ErrorResponse>`) and returns its code.
"""

from __future__ import annotations

import json
import socket
from typing import Any
from xml.etree import ElementTree

import cbor2
import httpx
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = Credentials("test", "test")
JSON_10 = "application/x-amz-json-1.0"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
CODECONNECTIONS_TARGET = "com.amazonaws.codeconnections.CodeConnections_20231201"
CODESTAR_TARGET = "com.amazonaws.codestar.connections.CodeStar_connections_20191201"
CBOR_PATH = "/service/CodeConnections_20231201/operation/"
HANG = 30.0
"""A timeout that detects a hang, never a measure of speed: a request must answer well within it."""


def signed(method: str, url: str, *, service: str, headers: dict[str, str] | None = None, body: bytes = b"",
           credentials: Credentials = ROOT) -> httpx.Request:
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body)
    SigV4Auth(credentials, service, "us-east-1").add_auth(request)
    return httpx.Request(method, url, headers=dict(request.headers.items()), content=body)


def presigned(url: str, *, service: str, credentials: Credentials = ROOT) -> str:
    request = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(credentials, service, "us-east-1", expires=300).add_auth(request)
    return str(request.url)


def json_call(url: str, target: str, document: Any = None, *, raw: bytes | None = None, sign: bool = True,
              service: str = "codeconnections") -> httpx.Request:
    body = raw if raw is not None else json.dumps(document or {}).encode()
    headers = {"Content-Type": JSON_10, "X-Amz-Target": target}
    if sign:
        return signed("POST", url + "/", service=service, headers=headers, body=body)
    return httpx.Request("POST", url + "/", headers=headers, content=body)


def send(request: httpx.Request, timeout: float = HANG) -> httpx.Response:
    with httpx.Client(timeout=timeout) as client:
        return client.send(request)


def aws_error(response: httpx.Response) -> str:
    """The error code of an AWS-shaped error body; AssertionError when the body is not one."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("application/x-amz-json"):
        code = json.loads(response.content)["__type"]
    elif content_type.startswith("application/cbor"):
        code = cbor2.loads(response.content)["__type"]
    elif content_type.startswith("text/xml"):
        root = ElementTree.fromstring(response.content)
        found = root.find("./{*}Error/{*}Code")
        if found is None:
            found = root.find("./Error/Code")
        assert found is not None and found.text, response.content[:300]
        code = found.text
    else:
        raise AssertionError(f"not an AWS error body: {content_type!r} {response.content[:200]!r}")
    return str(code).rsplit("#", 1)[-1]


def raw_exchange(url: str, data: bytes, timeout: float = HANG) -> bytes:
    """Send `data` on a fresh TCP connection and read until the server closes it."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse_raw(response: bytes) -> httpx.Response:
    """A raw HTTP/1.1 response as an httpx.Response (status, headers, body)."""
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    return httpx.Response(status, headers=headers, content=body)
