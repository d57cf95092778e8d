"""Fixtures for the connections handlers: a fresh in-memory store and bench per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from connections_env import Bench

from codeconn.store import SecretBox
from codeconn.store.sql import open_store


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    """Handlers over `open_store("sqlite://")`, a fresh key, the recording IAM authorizer (allow all), local mode."""
    store = open_store("sqlite://")
    try:
        yield Bench(store, SecretBox(SecretBox.generate_key()), tmp_path / "repositories")
    finally:
        store.close()
