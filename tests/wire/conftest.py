"""Fixtures for the wire tests: botocore-signed requests (see botocore_signing.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore_signing import Signer, capture

from codeconn.wire.sigv4 import HttpRequest


@pytest.fixture(scope="session")
def sign() -> Signer:
    """`sign.header(method, url, service=...)` and `sign.presigned(...)`, signed at SIGNED_AT."""
    return Signer()


@pytest.fixture(scope="session")
def boto_request() -> Callable[..., HttpRequest]:
    """`boto_request("codestar-connections", "list_connections", {...}, credentials=TEMPORARY, presign=False)`."""
    return capture
