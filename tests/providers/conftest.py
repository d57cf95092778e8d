"""Fixtures every provider adapter test shares."""

from __future__ import annotations

import pytest
from provider_server import Recorder


@pytest.fixture
def sleep() -> Recorder:
    """The adapters' injected `sleep`: records each wait instead of waiting."""
    return Recorder()
