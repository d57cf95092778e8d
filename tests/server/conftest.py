"""Fixtures for the server tests: one live server per test module (see server_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server_harness import LiveServer, live_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("codeconn-data")) as running:
        yield running
