"""Schema migrations: an ordered list of steps, applied at open, each exactly once.

Each step is frozen history: it carries its own DDL and never imports the live
tables of `schema.py` (which describe the schema after the last step). Append a
step to change the schema; never edit one that has shipped.

`migrate` runs all pending steps and their `schema_version` rows in one
transaction, so a failing step leaves the database as it was. Two processes
opening one database at once are serialised: SQLite by BEGIN IMMEDIATE (the
write lock), PostgreSQL by a transaction-scoped advisory lock. A database newer
than the code is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
    update,
)

from codeconn.store.base import SchemaError
from codeconn.store.schema import UtcDateTime, json_document, schema_version

# "codeconn" as eight bytes: the PostgreSQL advisory lock that serialises migrations.
ADVISORY_LOCK_KEY = int.from_bytes(b"codeconn", "big")

# Execution option read by the SQLite "begin" hook (see sql.py): the BEGIN to emit.
SQLITE_BEGIN_OPTION = "codeconn_sqlite_begin"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step: `apply` runs inside the migration transaction on the given connection."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial_tables(conn: Connection) -> None:
    """Version 1: accounts, records and tags (schema_version is made by `migrate` itself)."""
    meta = MetaData()
    Table("accounts", meta, Column("account_id", String, primary_key=True))
    Table(
        "records", meta,
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True),
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
    Table(
        "tags", meta,
        Column("record_seq", BigInteger().with_variant(Integer(), "sqlite"),
               ForeignKey("records.seq", ondelete="CASCADE"), primary_key=True),
        Column("key", String, primary_key=True),
        Column("value", String, nullable=False),
    )
    meta.create_all(conn)


def _connection_names_per_region(conn: Connection) -> None:
    """Version 2: a connection's name is unique in its account's Region, no longer in the account.

    The lookup of a connection record was `<account>:<name>`; it becomes
    `<account>:<Region>:<name>` with the Region the record holds, so that each
    Region keeps its own connections (the service's connection_name_key).
    """
    meta = MetaData()
    records = Table(
        "records", meta,
        Column("seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("account_id", String, nullable=False),
        Column("kind", String, nullable=False),
        Column("name", String, nullable=False),
        Column("lookup", String, nullable=True),
        Column("data", json_document(), nullable=False),
    )
    rows = conn.execute(select(records.c.seq, records.c.account_id, records.c.name, records.c.data)
                        .where(records.c.kind == "connection")).all()
    for seq, account_id, name, data in rows:
        conn.execute(update(records).where(records.c.seq == seq)
                     .values(lookup=f"{account_id}:{data.get('Region', '')}:{name}"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "accounts, records and tags", _initial_tables),
    Migration(2, "connection names unique per Region", _connection_names_per_region),
)


def _check_order(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise SchemaError(f"migration versions must be 1, 2, 3, ... in order; got {versions}")


def current_version(conn: Connection) -> int:
    """The highest applied version, 0 for an empty database."""
    return int(conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one())


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the pending steps; return the versions applied now (empty when up to date)."""
    _check_order(migrations)
    known = migrations[-1].version if migrations else 0
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
            schema_version.create(conn, checkfirst=True)
            current = current_version(conn)
            if current > known:
                raise SchemaError(f"the database schema is at version {current}, newer than this "
                                  f"codeconn knows ({known}); upgrade codeconn")
            applied: list[int] = []
            for step in migrations[current:]:
                try:
                    step.apply(conn)
                except Exception as error:
                    raise SchemaError(f"migration {step.version} ({step.name}) failed: "
                                      f"{type(error).__name__}") from error
                conn.execute(insert(schema_version).values(
                    version=step.version, name=step.name, applied_at=datetime.now(timezone.utc)))
                applied.append(step.version)
            return applied
