"""A small git smart-HTTP server standing in for a remote provider: bare repositories behind HTTP Basic.

It serves `<root>/<owner>/<name>.git` with `git http-backend` (through the same
`serve_local` the endpoint uses) and answers 401 unless the request carries exactly
the expected Basic credentials: the stored provider token the endpoint must forward.
It records every Authorization header it saw, so that a test can check the token
reached the provider and nothing else did.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import Receive, Scope, Send

from codeconn.server.git_backend import GitRequest, send_plain, serve_local
from codeconn.server.runner import serving_in_thread


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass
class GitHttpServer:
    root: Path
    authorization: str
    seen: list[str | None] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.seen.append(headers.get("authorization"))
        if headers.get("authorization") != self.authorization:
            await send_plain(send, 401, "Bad credentials", {"www-authenticate": 'Basic realm="provider"'})
            return
        owner, name, suffix = scope["path"].lstrip("/").split("/", 2)
        repository = self.root / owner / name
        if not (repository / "HEAD").is_file():
            await send_plain(send, 404, "Not found")
            return
        request = GitRequest(scope["method"], suffix, scope.get("query_string", b"").decode(), headers,
                             remote_user="provider-user", remote_addr="127.0.0.1")

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                yield message.get("body", b"")
                if not message.get("more_body", False):
                    return

        await serve_local(repository, request, body(), send)



@contextmanager
def git_http_server(root: Path, authorization: str) -> Iterator[tuple[str, GitHttpServer]]:
    app = GitHttpServer(root, authorization)
    with serving_in_thread(app) as url:
        yield url, app
