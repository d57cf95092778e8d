"""A code host stand-in on 127.0.0.1: a stdlib HTTP server in a thread, routing to a table of handlers.

Each provider's test server (gitlab_server.py, ...) subclasses `FakeHost` with its
documented endpoints. `FakeHost.queue` answers the next requests before routing
(rate limits, outages), and `requests` records what the adapter sent, so tests
check headers and bodies. Every wait in here is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # percent-decoded once, as a router sees it
    raw_path: str  # as sent
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    @property
    def authorization(self) -> str:
        return self.headers.get("authorization", "")

    def basic(self) -> tuple[str, str] | None:
        scheme, _, value = self.authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        user, _, password = base64.b64decode(value).decode().partition(":")
        return user, password

    def bearer(self) -> str | None:
        scheme, _, value = self.authorization.partition(" ")
        return value if scheme.lower() == "bearer" else None


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, "re.Match[str]"], Answer]


def s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(verifier)) without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class FakeHost:
    """Routes requests to handlers; subclasses call `route` in `__init__`."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.queue: list[Answer] = []
        self.requests: list[Request] = []
        self.base_url = ""  # set by `serve`
        self.lock = threading.Lock()

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def handle(self, request: Request) -> Answer:
        with self.lock:
            self.requests.append(request)
            if self.queue:
                return self.queue.pop(0)
            for method, pattern, handler in self.routes:
                match = pattern.match(request.raw_path)
                if method == request.method and match:
                    return handler(request, match)
        return self.not_found()

    def not_found(self) -> Answer:
        return Answer(404, {"message": "404 Not Found"})


def _handler_class(host: FakeHost) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(method=self.command, path=unquote(parts.path), raw_path=parts.path,
                              query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                              headers={k.lower(): v for k, v in self.headers.items()},
                              body=self.rfile.read(length) if length else b"")
            answer = host.handle(request)
            body = answer.body if isinstance(answer.body, bytes) else (
                b"" if answer.body is None else json.dumps(answer.body).encode())
            self.send_response(answer.status)
            headers = {"Content-Type": "application/json", **answer.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    return RequestHandler


@contextmanager
def serve(host: FakeHost) -> Iterator[FakeHost]:
    """Serve `host` on an ephemeral loopback port for the block; stopped and joined afterwards."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(host))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    host.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Recorder:
    """The injected `sleep`: records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
