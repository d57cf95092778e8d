"""The one clock of codeconn: aware UTC, outside the layers so that every layer may import it.

Everything that decides takes "now" as a value (`Call.now`); only the parts that
meet real time (the server edge, the caller directory, the provider adapters'
rate-limit waits and token expiries) take a `Clock`, so tests pass a fixed one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware UTC (the default `Clock`)."""
    return datetime.now(UTC)


__all__ = ["Clock", "utc_now"]
