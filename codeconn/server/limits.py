"""How long and how much the HTTP layer waits and holds, so no client can stall or exhaust the server.

    header_timeout      a request line and its headers must arrive within it, on a new
                        connection and after each response on a kept-alive one; else the
                        connection is closed (a client promising headers and sending none)
    body_timeout        a body must arrive within it; else RequestTimeout (408), and the
                        connection is closed
    keep_alive_timeout  an idle kept-alive connection is closed after it (uvicorn's)
    max_connections     connections held at once; one more is answered ServiceUnavailable
                        (503) and closed at once, so the descriptors never run out
    max_header_bytes    the request line and headers together (h11's incomplete-event limit);
                        past it the request is a 400 in the protocol family's shape
    worker_threads      requests worked on at once, each in a worker thread (`/_codeconn/health`
                        answers while they work)
    running_requests    of those, how many run their Python at once; the others count only
                        while presumed blocked (`server.workers`). None: by the database
                        (`ServeConfig.running_requests`)
    on_loop             what is answered on the event loop, without a thread (`OnLoop`).
                        None: by the database (`ServeConfig.on_loop`)

Body sizes are the wire layer's (`codeconn.wire.limits.BODY_LIMITS`): they are part
of each protocol. `Limits()` holds `codeconn serve`'s values; tests shorten the
timeouts to see them act.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class OnLoop(Enum):
    """Which requests are answered on the event loop (in a greenlet, with PostgreSQL) rather than in a thread.

    A worker thread costs two hand-offs of the interpreter per request, a third of a
    GetConnection's time (issue 13); the loop may run only what never blocks it. A
    request that reaches a code host always goes to a thread.
    """

    NOTHING = "nothing"  # every request in a thread (the in-memory twin, which serialises with a lock)
    NO_WAIT = "no-wait"  # one whose store work never waits (a SQLite file: its reads, and its writes
    # while no other writer holds the write lock; `server.no_wait`)
    STORE = "store"  # every one that only uses the store (PostgreSQL: its every wait awaited on the loop)


@dataclass(frozen=True)
class Limits:
    """The HTTP layer's timeouts (seconds) and caps."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: int = 5
    max_connections: int = 768
    max_header_bytes: int = 16 * 1024
    worker_threads: int = 32
    running_requests: int | None = None
    on_loop: OnLoop | None = None


__all__ = ["Limits", "OnLoop"]
