"""Store code run as the server runs it with PostgreSQL: in a greenlet on an event loop (`server.workers`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.util.concurrency import greenlet_spawn

T = TypeVar("T")
WAIT = 30.0  # seconds the body may take before it fails instead of hanging


def run_in_greenlet(body: Callable[..., T], /, *args: Any, timeout: float = WAIT, **kwargs: Any) -> T:
    """`body(*args, **kwargs)` in a greenlet on a new event loop, where the store uses its loop engine."""
    async def scenario() -> T:
        return await asyncio.wait_for(greenlet_spawn(body, *args, **kwargs), timeout)

    return asyncio.run(scenario())


__all__ = ["WAIT", "run_in_greenlet"]
