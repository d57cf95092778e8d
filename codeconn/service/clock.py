"""The one clock of the server: aware UTC, read once per request by the edge (and by the directory for expiry).

Everything below takes "now" as a value (`Call.now`); only the parts that meet
real time (the edge, the caller directory) take a `Clock`, so tests pass a fixed one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


__all__ = ["Clock", "utc_now"]
