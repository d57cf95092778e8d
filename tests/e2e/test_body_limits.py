"""Issue 7, item 2: bodies are bounded per protocol, read as a stream, and Query forms parse in linear time.

An unsigned `Action=ListUsers&...` + `a.` * 20000 took 4 s and 400 MB; a 50 MB form
peaked at 2 GB. Memory is measured with tracemalloc around each request (the
server runs in this process); timeouts only detect a hang.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from hardening_wire import (
    CBOR_PATH,
    CODECONNECTIONS_TARGET,
    FORM,
    JSON_10,
    aws_error,
    json_call,
    send,
    signed,
)
from real_server import RealServer, real_server

from codeconn.wire.limits import BODY_LIMITS

MB = 1 << 20
LIMIT = BODY_LIMITS["query"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("limits")) as running:
        yield running


def peak_bytes(request: httpx.Request) -> tuple[httpx.Response, int]:
    tracemalloc.start()
    try:
        response = send(request)
        return response, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("segments", [20_000, 40_000])
def test_deep_member_paths_cost_linear_memory(server: RealServer, segments: int) -> None:
    body = b"Action=ListUsers&Version=2010-05-08&" + b"a." * segments + b"=1"
    unsigned = httpx.Request("POST", server.url + "/", headers={"Content-Type": FORM}, content=body)
    response, peak = peak_bytes(unsigned)
    assert (response.status_code, aws_error(response)) == (403, "MissingAuthenticationToken")
    assert peak < 100 * MB
    members = b"Action=ListUsers&Version=2010-05-08&" + b"PathPrefix." * segments + b"=1"
    response, peak = peak_bytes(signed("POST", server.url + "/", service="iam", headers={"Content-Type": FORM},
                                       body=members))
    assert response.status_code in (200, 400), response.content[:300]
    assert peak < 100 * MB


@pytest.mark.parametrize(("protocol", "request_for"), [
    pytest.param("query", lambda url, body: httpx.Request("POST", url + "/", headers={"Content-Type": FORM},
                                                          content=body), id="query"),
    pytest.param("json", lambda url, body: json_call(url, f"{CODECONNECTIONS_TARGET}.ListConnections", raw=body,
                                                     sign=False), id="json"),
    pytest.param("smithy-rpc-v2-cbor", lambda url, body: httpx.Request(
        "POST", url + CBOR_PATH + "ListConnections", content=body,
        headers={"Content-Type": "application/cbor", "Smithy-Protocol": "rpc-v2-cbor"}), id="cbor"),
])
def test_a_body_over_the_limit_is_413_saying_the_limit(server: RealServer, protocol: str, request_for: object) -> None:
    body = b"x=y&" * (BODY_LIMITS[protocol] // 4 + 1)
    response, peak = peak_bytes(request_for(server.url, body))  # type: ignore[operator]
    assert response.status_code == 413
    assert aws_error(response) == "RequestEntityTooLarge"
    assert str(BODY_LIMITS[protocol]).encode() in response.content
    assert peak < 100 * MB


def test_a_streamed_body_is_cut_at_the_limit(server: RealServer) -> None:
    """No Content-Length (chunked): the server stops reading past the limit instead of buffering 50 MB."""
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        for _ in range(50):
            sent += MB
            yield b"x=y&" * (MB // 4)

    request = httpx.Request("POST", server.url + "/", headers={"Content-Type": FORM}, content=chunks())
    try:
        response, peak = peak_bytes(request)
    except httpx.TransportError:  # the server may close before the client finishes sending: also a refusal
        return
    assert (response.status_code, aws_error(response)) == (413, "RequestEntityTooLarge")
    assert str(LIMIT) in response.text
    assert peak < 100 * MB


def test_a_body_within_the_limit_is_read(server: RealServer) -> None:
    response = send(json_call(server.url, f"{CODECONNECTIONS_TARGET}.ListConnections",
                              {"MaxResults": 10, "Padding": "p" * (LIMIT // 2)}))
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith(JSON_10)
