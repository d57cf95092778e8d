"""Fixtures for the auth layer: the IAM bench shared with tests/service/iam, and hand-made calls."""

from __future__ import annotations

from collections.abc import Iterator

import auth_helpers
import pytest
from iam_bench import Bench, fresh_bench


@pytest.fixture
def bench() -> Iterator[Bench]:
    with fresh_bench() as bench:
        yield bench


@pytest.fixture
def make_call() -> auth_helpers.MakeCall:
    """`make_call(caller, authorizer, **Call fields)`: a call with no store, for deciding only."""
    return auth_helpers.make_call
