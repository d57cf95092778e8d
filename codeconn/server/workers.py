"""Where the AWS endpoint's requests are worked on: worker threads, taken in turns.

    workers = Workers(edge, limits.worker_threads)
    Route("/{path:path}", AwsEndpoint(workers, limits.body_timeout), methods=AWS_METHODS)

The edge runs in a worker thread (a write waiting for SQLite's lock or a code
host's API would stall every connection on the event loop), except what may run
on the loop itself (`OnLoop`): a request whose SQLite work does not wait, or one
that only uses PostgreSQL, whose waits the loop awaits. How
many run at once is the point of `Workers`; see its docstring. `AwsEndpoint` is a bare ASGI app: the edge takes
bytes and gives bytes, so Starlette's Request and Response are skipped on the path
every API call takes (they were about a tenth of the event loop's time per call).
"""

from __future__ import annotations

import asyncio

import anyio
import anyio.to_thread
from sqlalchemy.util.concurrency import greenlet_spawn
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from codeconn.server.edge import Edge, Incoming
from codeconn.server.limits import OnLoop
from codeconn.wire.errors import RequestTimeout, WireError
from codeconn.wire.limits import BODY_LIMITS, too_large
from codeconn.wire.protocols import detect
from codeconn.wire.sigv4 import HttpRequest

BLOCKED_AFTER_SECONDS = 0.01

Answer = tuple[int, dict[str, str], bytes]


class Workers:
    """Runs the edge in worker threads: `running` requests at a time, more while some are blocked.

    CPython runs one thread's Python at a time, and a thread gives the interpreter
    up at every sqlite3 call, lock and write. With 16 requests in 16 threads the
    interpreter changed hands hundreds of times per GetConnection (about 350 context
    switches each, a third of the process's CPU time in the kernel), and the server
    answered 500 GetConnection/s where one thread answered 720 (issue 13). So only
    `running` requests work at once, taken in arrival order, while the event loop
    reads and writes the others (`ServeConfig.running_requests`: one with SQLite,
    three with PostgreSQL, whose round trips a request waits through). A request
    still working after `blocked_after` seconds is presumed to wait on something
    outside the process (a code host's API, a lock a slow writer holds) and stops
    counting, so the next one starts: a slow call never holds the others up, and at
    most `count` threads work in all.

    With `on_loop` (`ServeConfig.on_loop`), a request's turn is first worked on the
    event loop itself, through `Edge.handle_on_loop`, and goes to a thread only if
    the edge declines it there: a GetConnection then costs no thread hand-off, which
    was a third of its time (issue 13). With `OnLoop.STORE` (PostgreSQL) it runs in a
    greenlet (SQLAlchemy's `greenlet_spawn`), where the store awaits its every round
    trip (`SqlStore`'s loop engine): the loop works on other requests meanwhile, and
    a request waiting on a lock steps aside like one in a thread. With
    `OnLoop.NO_WAIT` (a SQLite file) nothing is awaited, and a greenlet would only
    cost its start (about a tenth of a GetConnection, measured).
    """

    def __init__(self, edge: Edge, count: int, *, running: int = 1, on_loop: OnLoop = OnLoop.NOTHING,
                 blocked_after: float = BLOCKED_AFTER_SECONDS) -> None:
        if count < 1 or running < 1:
            raise ValueError("count and running must be at least 1")
        self.edge = edge
        self._count = count
        self._running = min(count, running)
        self._on_loop = on_loop
        self._blocked_after = blocked_after
        self._threads: anyio.CapacityLimiter | None = None  # made on first use, in the loop
        self._turns: anyio.CapacityLimiter | None = None

    async def answer(self, scope: Scope, body: bytes, problem: WireError | None) -> Answer:
        """The edge's answer to the request in `scope` with `body` (or the `problem` reading it)."""
        if self._threads is None or self._turns is None:
            self._threads = anyio.CapacityLimiter(self._count)
            self._turns = anyio.CapacityLimiter(self._running)
        client = scope.get("client")
        incoming = Incoming(http_request(scope, body), source_ip=client[0] if client else "",
                            secure=scope.get("scheme") == "https", problem=problem)
        turns = self._turns
        answer = None
        inline = self._on_loop is OnLoop.NO_WAIT  # awaits nothing (so cannot be presumed blocked), in no greenlet
        if inline and turns.borrowed_tokens < turns.total_tokens:
            # A turn is free: taking it and giving it back around work that awaits nothing
            # would change nothing but cost anyio's limiter (a tenth of GetConnection's req/s, measured).
            # The loop is still let round once first: answering at once, on the turn the
            # request was read in, doubled the p99 latency at 16 connections (measured).
            await asyncio.sleep(0)
            if turns.borrowed_tokens < turns.total_tokens:
                answer = self.edge.handle_on_loop(incoming, self._on_loop)
                inline = False  # declined (it would wait): to a thread, in its turn
        if answer is None:
            async with turns:
                if inline:
                    answer = self.edge.handle_on_loop(incoming, self._on_loop)
                if answer is None:
                    answer = await self._waiting(turns, incoming)
        return _closing(answer) if problem is not None else answer

    async def _waiting(self, turns: anyio.CapacityLimiter, incoming: Incoming) -> Answer:
        """The answer from work that may wait: on the loop in a greenlet (`OnLoop.STORE`), else in a
        thread; still working after `blocked_after`, it stops counting against `turns`."""
        stepped_aside = False

        def step_aside() -> None:  # presumed blocked: one more request may start
            nonlocal stepped_aside
            if turns.total_tokens < self._count:
                stepped_aside = True
                turns.total_tokens += 1

        timer = asyncio.get_running_loop().call_later(self._blocked_after, step_aside)
        try:
            answer = None
            if self._on_loop is OnLoop.STORE:
                answer = await greenlet_spawn(self.edge.handle_on_loop, incoming, self._on_loop)
            if answer is None:
                answer = await anyio.to_thread.run_sync(self.edge.handle, incoming, limiter=self._threads)
            return answer
        finally:
            timer.cancel()
            if stepped_aside:
                turns.total_tokens -= 1

    async def response(self, scope: Scope, body: bytes, problem: WireError | None) -> Response:
        """`answer` as a Starlette Response, for routes that are Starlette endpoints."""
        status, headers, payload = await self.answer(scope, body, problem)
        return Response(payload, status_code=status, headers=headers)


class AwsEndpoint:
    """The AWS endpoint, as a bare ASGI app: the body read within its timeout, the edge's answer sent."""

    def __init__(self, workers: Workers, body_timeout: float) -> None:
        self._workers = workers
        self._body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.serve(scope, receive, send, lowered_headers(scope))

    async def serve(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        """The request in `scope`, whose `headers` (names lower-cased) the caller has read already."""
        body, problem = await read_body(headers, receive, self._body_timeout)
        await send_answer(send, await self._workers.answer(scope, body, problem))


def _closing(answer: Answer) -> Answer:
    """The answer to a request that was not read to its end: its connection cannot be reused."""
    status, headers, payload = answer
    return status, {**headers, "Connection": "close"}, payload


def lowered_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-cased name (of a header sent twice, the last value)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


async def send_answer(send: Send, answer: Answer) -> None:
    """The answer as one ASGI response (its Content-Length set here, as Starlette's Response sets it)."""
    status, headers, payload = answer
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
           if name.lower() != "content-length"]
    raw.append((b"content-length", str(len(payload)).encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def read_body(headers: dict[str, str], receive: Receive, timeout: float) -> tuple[bytes, WireError | None]:
    """The body, read within `timeout`, at most the protocol's limit + 1 byte; or the problem reading it."""
    protocol = detect(headers).NAME
    limit = BODY_LIMITS[protocol]
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", too_large(protocol)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return b"", RequestTimeout("The client closed the connection before the body arrived.")
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return b"", too_large(protocol)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        return b"", RequestTimeout()
    return b"".join(chunks), None


def http_request(scope: Scope, body: bytes) -> HttpRequest:
    """The request as SigV4 needs it: path and query exactly as sent, every header, the body bytes."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else scope["path"]
    headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
    return HttpRequest.build(scope["method"], path, scope.get("query_string", b"").decode("latin-1"), headers, body)


__all__ = ["AwsEndpoint", "BLOCKED_AFTER_SECONDS", "Workers", "lowered_headers", "read_body", "send_answer"]
