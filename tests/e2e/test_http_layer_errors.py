"""Issue 7, item 7: what the HTTP layer refuses is answered in the protocol family's error shape, and audited.

Malformed framing, OPTIONS, TRACE, unknown methods and lowercase `post` answered
uvicorn's plain text or Starlette's `405 Method Not Allowed`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hardening_wire import CODECONNECTIONS_TARGET, JSON_10, aws_error, parse_raw, raw_exchange
from real_server import RealServer, real_server

from codeconn.server.audit import read_audit

JSON_HEADERS = {"X-Amz-Target": f"{CODECONNECTIONS_TARGET}.ListConnections", "Content-Type": JSON_10}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("http-errors")) as running:
        yield running


def audited_codes(server: RealServer) -> list[str | None]:
    return [record.error_code for record in read_audit(server.config.audit_path).records]


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PROPFIND", "post", "Get"])
@pytest.mark.parametrize(("headers", "shape"), [
    pytest.param(JSON_HEADERS, "application/x-amz-json-1.0", id="json"),
    pytest.param({"Content-Type": "application/x-www-form-urlencoded"}, "text/xml", id="query"),
    pytest.param({"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor"}, "application/cbor",
                 id="cbor"),
])
def test_methods_the_endpoint_lacks_are_405_in_the_familys_shape(server: RealServer, method: str,
                                                                  headers: dict[str, str], shape: str) -> None:
    # Raw bytes: HTTP clients upper-case the method themselves.
    lines = [f"{method} / HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Length: 2",
             *(f"{name}: {value}" for name, value in headers.items())]
    response = parse_raw(raw_exchange(server.url, "\r\n".join(lines).encode() + b"\r\n\r\n{}"))
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(shape)
    assert aws_error(response) == "MethodNotAllowed"
    assert response.headers["x-amzn-requestid"] in {r.request_id for r in read_audit(server.config.audit_path).records}


def test_the_health_check_answers_other_methods_in_aws_shape(server: RealServer) -> None:
    response = parse_raw(raw_exchange(server.url, b"POST /_codeconn/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                  b"Connection: close\r\nContent-Length: 0\r\n\r\n"))
    assert (response.status_code, aws_error(response)) == (405, "MethodNotAllowed")


@pytest.mark.parametrize(("request_bytes", "shape"), [
    pytest.param(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: " + JSON_HEADERS["X-Amz-Target"].encode()
                 + b"\r\nContent-Length: abc\r\n\r\n{}", "application/x-amz-json-1.0", id="bad Content-Length, json"),
    pytest.param(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n", "text/xml",
                 id="bad chunk, query"),
    pytest.param(b"GARBAGE\r\n\r\n", "text/xml", id="not a request line"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"x" * 20_000, "text/xml",
                 id="headers too large"),
])
def test_malformed_framing_is_400_in_aws_shape(server: RealServer, request_bytes: bytes, shape: str) -> None:
    before = audited_codes(server).count("MalformedRequest")
    response = parse_raw(raw_exchange(server.url, request_bytes))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(shape)
    assert aws_error(response) == "MalformedRequest"
    assert audited_codes(server).count("MalformedRequest") == before + 1
