"""The `console` fixture: the console over the real components in a temporary data directory (console_app.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_app import ConsoleApp, console_app


@pytest.fixture
def console(tmp_path: Path) -> Iterator[ConsoleApp]:
    yield from console_app(tmp_path / "data")
