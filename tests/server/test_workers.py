"""The AWS endpoint's requests take turns in worker threads (issue 13): `running` at once, and a
request presumed blocked (still working after `blocked_after`) lets the next one start, up to
`count` threads. With `on_loop`, a request is first worked on the event loop, in a greenlet, and
goes to a thread only when the edge declines it there."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import httpx
from sqlalchemy.util.concurrency import await_

from codeconn.server.edge import Edge, Incoming
from codeconn.server.limits import OnLoop
from codeconn.server.workers import AwsEndpoint, Workers

WAIT = 10.0  # seconds any one step may take before the test fails instead of hanging


class FakeEdge:
    """Answers with the path; `/slow...` waits until released; counts the requests working at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self._lock = threading.Lock()
        self.working = 0
        self.most_at_once = 0
        self.slow_started = threading.Semaphore(0)
        self.inline_attempts: list[tuple[str, OnLoop]] = []
        self.awaited: asyncio.Event | None = None  # what `/await...` waits for on the loop

    def handle_on_loop(self, incoming: Incoming, on_loop: OnLoop) -> tuple[int, dict[str, str], bytes] | None:
        """`/read...` is answered wherever this runs (with the thread's name), `/await...` too once
        `awaited` is set (awaited as the store awaits a round trip); anything else goes to a thread."""
        path = incoming.request.path
        self.inline_attempts.append((path, on_loop))
        if path.startswith("/await"):
            assert self.awaited is not None
            await_(asyncio.wait_for(self.awaited.wait(), WAIT))
        elif not path.startswith("/read"):
            return None
        return 200, {}, threading.current_thread().name.encode()

    def handle(self, incoming: Incoming) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.working += 1
            self.most_at_once = max(self.most_at_once, self.working)
        try:
            path = incoming.request.path
            if path.startswith("/slow"):
                self.slow_started.release()
                assert self.release.wait(WAIT)
            else:
                threading.Event().wait(0.002)  # a little work, with the GIL given up as I/O would
            return 200, {"Content-Type": "text/plain"}, path.encode()
        finally:
            with self._lock:
                self.working -= 1


def client_for(workers: Workers) -> httpx.AsyncClient:
    app = AwsEndpoint(workers, body_timeout=5.0)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


def workers_over(edge: FakeEdge, count: int, *, running: int = 1, blocked_after: float = 0.05,
                 on_loop: OnLoop = OnLoop.NOTHING) -> Workers:
    return Workers(cast(Edge, edge), count, running=running, blocked_after=blocked_after, on_loop=on_loop)


async def wait_started(edge: FakeEdge) -> None:
    assert await asyncio.to_thread(edge.slow_started.acquire, True, WAIT)


def test_one_request_works_at_a_time_by_default() -> None:
    edge = FakeEdge()

    async def scenario() -> list[Any]:
        async with client_for(workers_over(edge, 8, blocked_after=WAIT)) as client:
            return await asyncio.gather(*(client.post(f"/r{i}", content=b"{}") for i in range(12)))

    responses = asyncio.run(scenario())
    assert [r.status_code for r in responses] == [200] * 12
    assert edge.most_at_once == 1


def test_running_sets_how_many_work_at_once() -> None:
    edge = FakeEdge()

    async def scenario() -> None:
        async with client_for(workers_over(edge, 8, running=3, blocked_after=WAIT)) as client:
            await asyncio.gather(*(client.post(f"/r{i}", content=b"{}") for i in range(24)))

    asyncio.run(scenario())
    assert 1 <= edge.most_at_once <= 3


def test_a_blocked_request_lets_the_next_one_start() -> None:
    """A call waiting on a code host must not hold up the endpoint: after `blocked_after` it stops counting."""
    edge = FakeEdge()

    async def scenario() -> tuple[int, bytes, bool]:
        async with client_for(workers_over(edge, 4)) as client:
            slow = asyncio.create_task(client.post("/slow", content=b"{}"))
            await wait_started(edge)
            fast = await asyncio.wait_for(client.post("/fast", content=b"{}"), WAIT)
            still_waiting = not slow.done()
            edge.release.set()
            await asyncio.wait_for(slow, WAIT)
            return fast.status_code, fast.content, still_waiting

    assert asyncio.run(scenario()) == (200, b"/fast", True)


def test_no_more_than_count_threads_work_even_when_all_are_blocked() -> None:
    edge = FakeEdge()

    async def scenario() -> tuple[bool, list[int]]:
        async with client_for(workers_over(edge, 2)) as client:
            slow = [asyncio.create_task(client.post(f"/slow{i}", content=b"{}")) for i in range(2)]
            for _ in slow:
                await wait_started(edge)
            third = asyncio.create_task(client.post("/fast", content=b"{}"))
            done, _ = await asyncio.wait([third], timeout=0.3)
            held = not done  # both threads are taken: the third waits for one
            edge.release.set()
            answers = await asyncio.wait_for(asyncio.gather(*slow, third), WAIT)
            return held, [a.status_code for a in answers]

    assert asyncio.run(scenario()) == (True, [200, 200, 200])
    assert edge.most_at_once == 2


def test_the_answer_carries_its_content_length() -> None:
    edge = FakeEdge()

    async def scenario() -> httpx.Response:
        async with client_for(workers_over(edge, 2)) as client:
            return await client.post("/abc", content=b"{}")

    response = asyncio.run(scenario())
    assert response.headers["content-length"] == "4" and response.content == b"/abc"
    assert response.headers["content-type"] == "text/plain"


def test_what_the_edge_declines_on_the_event_loop_is_answered_in_a_thread() -> None:
    edge = FakeEdge()

    async def scenario() -> tuple[str, list[httpx.Response]]:
        async with client_for(workers_over(edge, 2, on_loop=OnLoop.NO_WAIT)) as client:
            answers = [await client.post(path, content=b"{}") for path in ("/read", "/write", "/read2")]
            return threading.current_thread().name, answers

    loop_thread, (read, write, read2) = asyncio.run(scenario())
    assert read.content == read2.content == loop_thread.encode()
    assert write.content == b"/write"  # FakeEdge.handle's answer: the write went to a worker thread
    assert edge.inline_attempts == [(p, OnLoop.NO_WAIT) for p in ("/read", "/write", "/read2")]
    assert edge.most_at_once == 1


def test_a_request_for_the_loop_waits_for_its_turn_while_a_thread_has_it() -> None:
    """Work that awaits nothing skips taking a free turn, but does not jump a turn that is taken."""
    edge = FakeEdge()

    async def scenario() -> tuple[bool, bytes, bytes]:
        async with client_for(workers_over(edge, 2, blocked_after=WAIT, on_loop=OnLoop.NO_WAIT)) as client:
            slow = asyncio.create_task(client.post("/slow", content=b"{}"))  # declined: a thread, with the turn
            await wait_started(edge)
            read = asyncio.create_task(client.post("/read", content=b"{}"))
            done, _ = await asyncio.wait([read], timeout=0.3)
            held = not done
            edge.release.set()
            answers = await asyncio.wait_for(asyncio.gather(slow, read), WAIT)
            return held, answers[0].content, answers[1].content

    held, slow, read = asyncio.run(scenario())
    assert held and slow == b"/slow"
    assert read == threading.main_thread().name.encode()  # then answered on the loop, in its turn
    assert [path for path, _ in edge.inline_attempts] == ["/slow", "/read"]


def test_a_request_awaiting_on_the_loop_holds_up_no_other() -> None:
    """A store round trip awaited in the greenlet frees the loop; one still waiting after
    `blocked_after` stops counting, so with one turn the next request still starts."""
    edge = FakeEdge()

    async def scenario() -> tuple[bytes, bytes, bool, int]:
        edge.awaited = asyncio.Event()
        async with client_for(workers_over(edge, 2, on_loop=OnLoop.STORE)) as client:
            waiting = asyncio.create_task(client.post("/await", content=b"{}"))
            read = await asyncio.wait_for(client.post("/read", content=b"{}"), WAIT)
            write = await asyncio.wait_for(client.post("/write", content=b"{}"), WAIT)
            still_waiting = not waiting.done()
            edge.awaited.set()
            done = await asyncio.wait_for(waiting, WAIT)
            return read.content, write.content, still_waiting, done.status_code

    read, write, still_waiting, status = asyncio.run(scenario())
    assert still_waiting and status == 200
    assert read == threading.main_thread().name.encode() and write == b"/write"
    assert [path for path, _ in edge.inline_attempts] == ["/await", "/read", "/write"]


def test_without_on_loop_every_request_goes_to_a_thread() -> None:
    edge = FakeEdge()

    async def scenario() -> httpx.Response:
        async with client_for(workers_over(edge, 2)) as client:
            return await client.post("/read", content=b"{}")

    assert asyncio.run(scenario()).content == b"/read" and edge.inline_attempts == []
