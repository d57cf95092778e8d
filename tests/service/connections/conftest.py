"""Fixtures for the connections handlers: a fresh in-memory store and bench per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from connections_env import Bench

from codeconn.store import SecretBox
from codeconn.store.sql import open_store


@pytest.fixture
def bench() -> Iterator[Bench]:
    """Handlers over `open_store("sqlite://")`, a fresh key, and the recording IAM authorizer (allow all)."""
    store = open_store("sqlite://")
    try:
        yield Bench(store, SecretBox(SecretBox.generate_key()))
    finally:
        store.close()
