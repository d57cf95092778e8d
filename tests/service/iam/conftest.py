"""Fixtures for the IAM handlers: a fresh in-memory store and bench per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from iam_bench import Bench, fresh_bench


@pytest.fixture
def bench() -> Iterator[Bench]:
    """IAM and STS handlers over `open_store("sqlite://")`, a fresh key, enforcing IAM."""
    with fresh_bench() as bench:
        yield bench
