"""Records as the store holds them, for the domain's round-trip tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from codeconn.store import Record

ACCOUNT = "111122223333"
CREATED = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
UPDATED = CREATED + timedelta(minutes=5)


def record(kind: str, id: str, arn: str, name: str, data: dict[str, Any], lookup: str | None = None) -> Record:
    """A record of ACCOUNT created at CREATED and last changed at UPDATED."""
    return Record(account_id=ACCOUNT, kind=kind, id=id, arn=arn, name=name, data=data, created_at=CREATED,
                  updated_at=UPDATED, lookup=lookup)
