"""Issue 7, item 5: slow clients are timed out, and connections are capped, so new clients are still served.

2,000 connections promising a body and never sending it stayed open past 60 s and,
at the usual 1,024-descriptor limit, locked new clients out. Here the server runs
with short timeouts (1 s) and a small cap so the test sees them act; the waits
below only detect a hang (a connection the server never cuts).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from hardening_wire import HANG, aws_error, parse_raw
from real_server import RealServer, real_server

from codeconn.server.limits import Limits

SHORT = Limits(header_timeout=1.0, body_timeout=1.0, keep_alive_timeout=1, max_connections=150)
SLOW = 100


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data", limits=SHORT) as running:
        yield running


def connect(server: RealServer) -> socket.socket:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=HANG)
    return connection


def read_to_close(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a hang fails at HANG seconds)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_slow_clients_are_cut_and_new_clients_served(server: RealServer) -> None:
    with ExitStack() as stack:
        silent = [stack.enter_context(connect(server)) for _ in range(SLOW // 2)]
        promising = [stack.enter_context(connect(server)) for _ in range(SLOW // 2)]
        for index, connection in enumerate(promising):
            if index % 2:  # headers promising a body that never comes
                connection.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-"
                                   b"urlencoded\r\nContent-Length: 1000\r\n\r\nAction=")
            else:  # half a request line
                connection.sendall(b"POST / HT")
        # While they wait, a new client is served: the health check and an API call.
        assert httpx.get(server.url + "/_codeconn/health", timeout=HANG).status_code == 200
        assert server.client("iam").list_users()["Users"] == []
        for connection in silent:
            assert read_to_close(connection) == b""
        for index, connection in enumerate(promising):
            answer = read_to_close(connection)
            if index % 2:
                response = parse_raw(answer)
                assert (response.status_code, aws_error(response)) == (408, "RequestTimeout")
            else:
                assert answer == b""
    assert httpx.get(server.url + "/_codeconn/health", timeout=HANG).status_code == 200


def test_connections_past_the_cap_are_refused_in_aws_shape(server: RealServer) -> None:
    with ExitStack() as stack:
        held = [stack.enter_context(connect(server)) for _ in range(SHORT.max_connections)]
        extra = stack.enter_context(connect(server))
        response = parse_raw(read_to_close(extra))
        assert (response.status_code, aws_error(response)) == (503, "ServiceUnavailable")
        for connection in held:
            read_to_close(connection)  # cut by the header timeout
    assert httpx.get(server.url + "/_codeconn/health", timeout=HANG).status_code == 200
