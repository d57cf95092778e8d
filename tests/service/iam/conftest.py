"""Fixtures for the IAM handlers: a fresh in-memory store and bench per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from iam_bench import Bench

from codeconn.service.call import IamMode
from codeconn.store import SecretBox, open_store


@pytest.fixture
def bench() -> Iterator[Bench]:
    """IAM and STS handlers over `open_store("sqlite://")`, a fresh key, enforcing IAM."""
    store = open_store("sqlite://")
    try:
        yield Bench(store, SecretBox(SecretBox.generate_key()), IamMode.ENFORCE)
    finally:
        store.close()
