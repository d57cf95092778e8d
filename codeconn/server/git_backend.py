"""Where a git request is served once it is authorized: the real git on disk, or the provider's git URL.

Local repositories: `git http-backend` (git's own smart-HTTP CGI) with a fixed
argument list and a CGI environment built here: the project root is the bare
repository's directory, the path names only the repository and the service, and
REMOTE_USER (which receive-pack requires) is the caller. Its stdin and stdout are
blocking pipes worked in worker threads, a chunk at a time, both ways at once:
nothing waits on the event loop, and no pack is ever held whole in memory.

Remote providers: the request is forwarded with httpx, streamed both ways, with
the connection's stored credential (`GitRemote.headers`) added here. What goes back
to the client is the provider's status, content type, encoding and body, nothing
else: no header the provider sent (a challenge included) and nothing codeconn sent.
A provider refusing the stored credential becomes a 502 saying so.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import anyio
import anyio.to_thread
import httpx
from starlette.types import Send

from codeconn.providers.base import GitRemote

GIT = "git"
CHUNK = 64 * 1024
_FORWARDED_REQUEST_HEADERS = ("content-type", "content-encoding", "git-protocol", "accept", "content-length")
_FORWARDED_RESPONSE_HEADERS = ("content-type", "content-encoding", "cache-control", "expires", "pragma")
_CGI_HEADER_LIMIT = 64 * 1024


@dataclass(frozen=True, slots=True)
class GitRequest:
    """A smart-HTTP request, reduced to what git needs: `suffix` is `info/refs`, `git-upload-pack` or `git-receive-pack`."""

    method: str
    suffix: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    remote_user: str
    remote_addr: str


async def send_plain(send: Send, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
    """A short text/plain answer: stock git prints its lines as `remote: ...` for a refused info/refs."""
    body = (message.rstrip("\n") + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            *((k.encode(), v.encode()) for k, v in (headers or {}).items())]})
    await send({"type": "http.response.body", "body": body})


async def send_bytes(send: Send, content_type: str, body: bytes) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-cache")]})
    await send({"type": "http.response.body", "body": body})


# -- local: git http-backend -------------------------------------------------------------------

def _cgi_env(repository: Path, request: GitRequest) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "GIT_PROJECT_ROOT": str(repository.resolve().parent), "GIT_HTTP_EXPORT_ALL": "1",
           "PATH_INFO": f"/{repository.name}/{request.suffix}", "REQUEST_METHOD": request.method,
           "QUERY_STRING": request.query, "REMOTE_USER": request.remote_user, "REMOTE_ADDR": request.remote_addr,
           "CONTENT_TYPE": request.headers.get("content-type", "")}
    for header, variable in (("content-length", "CONTENT_LENGTH"), ("content-encoding", "HTTP_CONTENT_ENCODING"),
                             ("git-protocol", "GIT_PROTOCOL")):
        if header in request.headers:
            env[variable] = request.headers[header]
    return env


async def serve_local(repository: Path, request: GitRequest, body: AsyncIterator[bytes], send: Send) -> None:
    """Answer `request` with `git http-backend` on the bare repository at `repository`."""
    process = subprocess.Popen([GIT, "http-backend"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, env=_cgi_env(repository, request))
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(_feed, process, stdin, body)
            try:
                await _relay(stdout, send)
            except BaseException:
                process.kill()  # unblocks the feeding thread
                raise
    finally:
        if process.poll() is None:
            process.kill()
        await anyio.to_thread.run_sync(process.wait)
        stdout.close()


async def _feed(process: subprocess.Popen[bytes], stdin: IO[bytes], body: AsyncIterator[bytes]) -> None:
    """The request body into git's stdin; a client that goes away ends git too."""
    try:
        async for chunk in body:
            if chunk:
                await anyio.to_thread.run_sync(stdin.write, chunk)
        await anyio.to_thread.run_sync(stdin.close)
    except BrokenPipeError:
        pass  # git answered without reading everything (an error it reports itself)
    except Exception:  # noqa: BLE001 - the client disconnected mid-request: git must not wait for more
        process.kill()
    finally:
        if not stdin.closed:
            try:
                stdin.close()
            except OSError:
                pass


async def _relay(stdout: IO[bytes], send: Send) -> None:
    """git's CGI answer: its headers become the response's, then its body, streamed a chunk at a time."""
    read = stdout.read1  # type: ignore[attr-defined]
    head = b""
    while b"\r\n\r\n" not in head and b"\n\n" not in head:
        chunk: bytes = await anyio.to_thread.run_sync(read, CHUNK)
        if not chunk or len(head) > _CGI_HEADER_LIMIT:
            await send_plain(send, 502, "git http-backend failed.")
            return
        head += chunk
    separator = b"\r\n\r\n" if b"\r\n\r\n" in head and (b"\n\n" not in head or
                                                      head.index(b"\r\n\r\n") < head.index(b"\n\n")) else b"\n\n"
    raw_headers, _, rest = head.partition(separator)
    status, headers = 200, []
    for line in raw_headers.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "status":
            status = int(value.strip().split(" ")[0])
        elif name.strip():
            headers.append((name.strip().lower().encode(), value.strip().encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    if rest:
        await send({"type": "http.response.body", "body": rest, "more_body": True})
    while True:
        chunk = await anyio.to_thread.run_sync(read, CHUNK)
        if not chunk:
            break
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


# -- remote: forwarded with the connection's credential -----------------------------------------

async def serve_remote(remote: GitRemote, request: GitRequest, body: AsyncIterator[bytes], send: Send, *,
                       timeout: float = 30.0) -> None:
    """Forward `request` to the provider's git URL with the stored credential; stream the answer back."""
    headers = {name: request.headers[name] for name in _FORWARDED_REQUEST_HEADERS if name in request.headers}
    headers.update({name: secret.reveal() for name, secret in remote.headers})
    url = f"{remote.url.rstrip('/')}/{request.suffix}" + (f"?{request.query}" if request.query else "")
    limits = httpx.Timeout(timeout, read=None, write=None)  # a large pack streams as long as bytes move
    async with httpx.AsyncClient(timeout=limits, follow_redirects=False, trust_env=False) as client:
        outgoing = client.build_request(request.method, url, headers=headers,
                                        content=body if request.method == "POST" else None)
        try:
            response = await client.send(outgoing, stream=True)
        except httpx.HTTPError:
            await send_plain(send, 502, "The provider's git server could not be reached.")
            return
        try:
            if response.status_code in (401, 403):
                await send_plain(send, 502, "The provider refused the connection's credentials "
                                            f"(HTTP {response.status_code}); update the connection.")
                return
            forwarded = [(name.encode(), response.headers[name].encode("latin-1"))
                         for name in _FORWARDED_RESPONSE_HEADERS if name in response.headers]
            await send({"type": "http.response.start", "status": response.status_code, "headers": forwarded})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()


__all__ = ["GitRequest", "send_bytes", "send_plain", "serve_local", "serve_remote"]
