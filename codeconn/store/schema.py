"""The tables as they stand after every migration, for queries to use.

The DDL that makes them lives in `migrations.py`, frozen step by step; a test
checks that a migrated database has exactly these tables and columns.

- `records.seq` is the creation order: monotonic and never reused (SQLite's
  AUTOINCREMENT, PostgreSQL's identity), so a page cursor stays valid when the
  record it points at is deleted.
- `tags` hang off `records.seq` with ON DELETE CASCADE, so deleting a record
  deletes its tags and renaming its ARN keeps them.
- `accounts` has one row per account that ever wrote: PostgreSQL transactions
  lock it (`SELECT ... FOR UPDATE`) to serialise writers of that account.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite keeps no offset, so values are stored as naive UTC and given back
    aware; PostgreSQL's timestamptz comes back in the session's zone and is
    normalised to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime given to the store; use a timezone-aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if not isinstance(value, datetime):
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def json_document() -> JSON:
    """JSON text on SQLite, JSONB on PostgreSQL (both filter with `data[key].as_string()`)."""
    return JSON().with_variant(JSONB(), "postgresql")


def sequence_key() -> Column[int]:
    """The `seq` column: SQLite needs INTEGER for a rowid alias, PostgreSQL gets a bigint identity."""
    return Column("seq", BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True)


metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String, nullable=False),
    Column("applied_at", UtcDateTime, nullable=False),
)

accounts = Table(
    "accounts", metadata,
    Column("account_id", String, primary_key=True),
)

records = Table(
    "records", metadata,
    sequence_key(),
    Column("account_id", String, nullable=False),
    Column("kind", String, nullable=False),
    Column("id", String, nullable=False),
    Column("arn", String, nullable=False),
    Column("name", String, nullable=False),
    Column("lookup", String, nullable=True),
    Column("data", json_document(), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("account_id", "kind", "id", name="uq_records_id"),
    UniqueConstraint("arn", name="uq_records_arn"),
    UniqueConstraint("kind", "lookup", name="uq_records_lookup"),
    Index("ix_records_list", "account_id", "kind", "seq"),
    sqlite_autoincrement=True,
)

tags = Table(
    "tags", metadata,
    Column("record_seq", BigInteger().with_variant(Integer(), "sqlite"),
           ForeignKey("records.seq", ondelete="CASCADE"), primary_key=True),
    Column("key", String, primary_key=True),
    Column("value", String, nullable=False),
)
