"""The one Store implementation: SQLAlchemy Core over SQLite or PostgreSQL.

How the promises of `base.py` are kept:

- Writers of one account are serialised. SQLite: BEGIN IMMEDIATE takes the
  database's write lock (and a process-local lock queues this process's threads
  fairly instead of letting them spin on the busy timeout). PostgreSQL: the
  transaction locks the account's row in `accounts` (SELECT ... FOR UPDATE),
  inserting it on first use; at READ COMMITTED every statement after the lock
  sees everything the previous holder committed.
- Reads: SQLite's WAL gives a deferred BEGIN a snapshot; PostgreSQL reads run
  REPEATABLE READ, READ ONLY, so list-then-tags is one snapshot and never blocks.
- Uniqueness (id, ARN, lookup key) is the database's constraints' to keep: a
  write that violates one is reported once, as a Conflict naming the field. The
  write runs in a savepoint, so a caller that catches Conflict may go on with the
  transaction.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from codeconn.store.base import (
    Conflict,
    InvalidCursor,
    NestedUse,
    NotFound,
    OutsideAccount,
    Page,
    Record,
    StoreError,
)
from codeconn.store.engines import DEFAULT_POOL_SIZE, create_store_engine, parse_url
from codeconn.store.migrations import (
    MIGRATIONS,
    SQLITE_BEGIN_OPTION,
    Migration,
    migrate,
)
from codeconn.store.schema import accounts, records
from codeconn.store.statements import Statements
from codeconn.store.schema import tags as tag_rows

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+$")


# The hot reads (a key, a generation, a record, its tags: every request makes some)
# as statements built once, with bound parameters: building `records.c.kind == kind`
# anew was about a quarter of a GetConnection's store time (issue 13).
_BY_ID = select(records).where(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"),
                               records.c.id == bindparam("id"))
_BY_ARN = select(records).where(records.c.arn == bindparam("arn"))
_BY_LOOKUP = select(records).where(records.c.kind == bindparam("kind"), records.c.lookup == bindparam("lookup"))
_SEQ_BY_ARN = select(records.c.seq, records.c.account_id).where(records.c.arn == bindparam("arn"))
_ACCOUNT_IDS = select(accounts.c.account_id).order_by(accounts.c.account_id)
_TAGS_BY_ARN = (select(tag_rows.c.key, tag_rows.c.value)  # one row of NULLs for a record without tags
                .select_from(records.outerjoin(tag_rows, tag_rows.c.record_seq == records.c.seq))
                .where(records.c.arn == bindparam("arn")).order_by(tag_rows.c.key))


def _upserts_of(table: Any, make: Any) -> Any:
    statement = make(table)
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns),
                                           set_={"value": statement.excluded.value})


# Writes made on every tagging and every transaction, per dialect (both have ON CONFLICT).
_TAG_UPSERTS = {"sqlite": _upserts_of(tag_rows, sqlite_insert), "postgresql": _upserts_of(tag_rows, postgresql_insert)}
_ACCOUNT_INSERTS = {name: make(accounts).values(account_id=bindparam("account_id")).on_conflict_do_nothing()
                    for name, make in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}
_ACCOUNT_LOCK = select(accounts.c.account_id).where(accounts.c.account_id == bindparam("account_id")).with_for_update()


def _to_record(row: tuple[Any, ...]) -> Record:
    """A record from a `select(records)` row (the table's column order)."""
    (_seq, account_id, kind, id, arn, name, lookup, data, created_at, updated_at) = row
    return Record(account_id=account_id, kind=kind, id=id, arn=arn, name=name, data=data,
                  created_at=created_at, updated_at=updated_at, lookup=lookup)


def _decode_cursor(after: str) -> int:
    if not isinstance(after, str) or not after.isdigit():
        raise InvalidCursor("the page cursor is not one this store handed out")
    return int(after)


class SqlReader:
    """Reads inside one open database transaction; unusable once it has ended.

    Reads run on the DB-API cursor of the transaction's connection, with statements
    compiled once (`statements.py`): SQLAlchemy's per-call execution cost more than
    the database's work (issue 13).
    """

    def __init__(self, cursor: Any, statements: Statements, account_id: str | None) -> None:
        self._cursor: Any = cursor
        self._statements = statements
        self._account_id = account_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_id={self._account_id!r})"

    @property
    def account_id(self) -> str | None:
        return self._account_id

    def _live_cursor(self) -> Any:
        if self._cursor is None:
            raise StoreError("this transaction has ended; open a new one")
        return self._cursor

    def _rows(self, statement: Any, values: Mapping[str, Any], shape: Hashable | None = None) -> list[tuple[Any, ...]]:
        return self._statements.all(self._live_cursor(), statement, values, shape=shape)

    def _close(self) -> None:
        self._cursor = None

    def _account(self) -> str:
        if self._account_id is None:
            raise StoreError("this read was opened without an account; pass one to read()")
        return self._account_id

    def _in_kind(self) -> ColumnElement[bool]:
        return and_(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"))

    def _matching(self, where: Mapping[str, str] | None) -> tuple[list[ColumnElement[bool]], dict[str, Any]]:
        """`data[key] == value` for each pair, where the field is a JSON string (not 7 for "7"),
        with the values to bind (the keys are part of the statement's shape).

        The type test keeps both backends in agreement: without it PostgreSQL's ->>
        and SQLite's json_extract would turn numbers and booleans into different texts.
        """
        conditions: list[ColumnElement[bool]] = []
        values: dict[str, Any] = {}
        postgresql = self._statements.dialect_name == "postgresql"
        for index, (key, value) in enumerate((where or {}).items()):
            if not _FIELD_NAME.match(key):
                raise ValueError(f"where: field name {key!r} must be letters, digits or _")
            if not isinstance(value, str):
                raise ValueError(f"where: the value for {key!r} must be a string")
            is_string = (func.jsonb_typeof(records.c.data[key]) == "string" if postgresql
                         else func.json_type(records.c.data, f'$."{key}"') == "text")
            conditions += [is_string, records.c.data[key].as_string() == bindparam(f"where_{index}")]
            values[f"where_{index}"] = value
        return conditions, values

    def _one(self, statement: Any, values: dict[str, str]) -> Record | None:
        rows = self._rows(statement, values)
        return _to_record(rows[0]) if rows else None

    def get(self, kind: str, id: str) -> Record | None:
        return self._one(_BY_ID, {"account_id": self._account(), "kind": kind, "id": id})

    def get_by_arn(self, arn: str) -> Record | None:
        return self._one(_BY_ARN, {"arn": arn})

    def get_by_lookup(self, kind: str, lookup: str) -> Record | None:
        return self._one(_BY_LOOKUP, {"kind": kind, "lookup": lookup})

    def list(self, kind: str, *, after: str | None = None, limit: int | None = None,
             where: Mapping[str, str] | None = None) -> Page:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        conditions, values = self._matching(where)
        values |= {"account_id": self._account(), "kind": kind}
        query = select(records).where(self._in_kind(), *conditions)
        if after is not None:
            query = query.where(records.c.seq > bindparam("after"))
            values["after"] = _decode_cursor(after)
        query = query.order_by(records.c.seq)
        if limit is not None:
            query = query.limit(bindparam("limit", type_=Integer))
            values["limit"] = limit + 1
        shape = ("list", tuple(where or ()), after is not None, limit is not None)
        rows = self._rows(query, values, shape)
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if more else rows
        return Page(tuple(_to_record(row) for row in rows), str(rows[-1][0]) if more else None)

    def count(self, kind: str, *, where: Mapping[str, str] | None = None) -> int:
        conditions, values = self._matching(where)
        values |= {"account_id": self._account(), "kind": kind}
        query = select(func.count()).select_from(records).where(self._in_kind(), *conditions)
        return int(self._rows(query, values, ("count", tuple(where or ())))[0][0])

    def _seq_of(self, arn: str) -> tuple[int, str]:
        """The record's sequence number and account; NotFound if no record has this ARN."""
        rows = self._rows(_SEQ_BY_ARN, {"arn": arn})
        if not rows:
            raise NotFound(f"no record has the ARN {arn}")
        return int(rows[0][0]), str(rows[0][1])

    def tags(self, arn: str) -> dict[str, str]:
        rows = self._rows(_TAGS_BY_ARN, {"arn": arn})
        if not rows:
            raise NotFound(f"no record has the ARN {arn}")
        return {key: value for key, value in rows if key is not None}

    def account_ids(self) -> tuple[str, ...]:
        return tuple(str(row[0]) for row in self._rows(_ACCOUNT_IDS, {}))


class SqlTx(SqlReader):
    """A write transaction on one account (see the module docstring for how it serialises)."""

    def __init__(self, conn: Connection, statements: Statements, account_id: str) -> None:
        super().__init__(conn.connection.cursor(), statements, account_id)
        self._connection: Connection | None = conn
        self._owner = account_id

    @property
    def _conn(self) -> Connection:
        """The SQLAlchemy connection, for writes (savepoints, executemany, rowcounts)."""
        if self._connection is None:
            raise StoreError("this transaction has ended; open a new one")
        return self._connection

    def _close(self) -> None:
        super()._close()
        self._connection = None

    @property
    def account_id(self) -> str:
        return self._owner

    def _own(self, record: Record) -> None:
        if record.account_id != self._owner:
            raise OutsideAccount(f"a transaction of account {self._owner} cannot write a record of "
                                 f"account {record.account_id}")

    def _conflict(self, record: Record, *, besides: int | None = None) -> Conflict:
        """The Conflict for a unique violation by `record`: the first of its unique fields another record holds.

        Only this account's writers are serialised; a writer of another account (the
        ARN and the lookup key are unique across accounts) has committed by the time
        its row violates ours, so the holder is found.
        """
        same_id = and_(records.c.account_id == record.account_id, records.c.kind == record.kind,
                       records.c.id == record.id)
        clash: ColumnElement[bool] = or_(same_id, records.c.arn == record.arn)
        if record.lookup is not None:
            clash = or_(clash, and_(records.c.kind == record.kind, records.c.lookup == record.lookup))
        query = select(records.c.account_id, records.c.kind, records.c.id, records.c.arn).where(clash)
        if besides is not None:
            query = query.where(records.c.seq != besides)
        rows = self._conn.execute(query).all()
        for row in rows:
            if (row.account_id, row.kind, row.id) == (record.account_id, record.kind, record.id):
                return Conflict(f"{record.kind} {record.id!r} already exists in account {record.account_id}",
                                field="id")
        for row in rows:
            if row.arn == record.arn:
                return Conflict(f"the ARN {record.arn} is already used by {row.kind} {row.id!r}", field="arn")
        if rows:
            return Conflict(f"the lookup key of {record.kind} {record.id!r} is already used by another "
                            f"{record.kind}", field="lookup")
        return Conflict(f"{record.kind} {record.id!r} collides with a record written concurrently", field="lookup")

    def _write(self, statement: Any, record: Record, *, besides: int | None = None) -> None:
        """Run one write in a savepoint; a unique violation becomes the Conflict naming the field."""
        try:
            with self._conn.begin_nested():
                self._conn.execute(statement)
            return
        except IntegrityError:
            pass  # outside the except block, so the driver's error (with its parameters) is not chained
        raise self._conflict(record, besides=besides)

    def _values(self, record: Record) -> dict[str, Any]:
        return {"arn": record.arn, "name": record.name, "lookup": record.lookup, "data": record.data,
                "created_at": record.created_at, "updated_at": record.updated_at}

    def insert(self, record: Record) -> None:
        self._own(record)
        self._write(insert(records).values(account_id=record.account_id, kind=record.kind, id=record.id,
                                           **self._values(record)), record)

    def update(self, record: Record) -> None:
        self._own(record)
        seq = self._conn.execute(select(records.c.seq).where(_in_account_kind(record.account_id, record.kind),
                                                             records.c.id == record.id)).scalar()
        if seq is None:
            raise NotFound(f"{record.kind} {record.id!r} does not exist in account {record.account_id}")
        self._write(update(records).where(records.c.seq == seq).values(**self._values(record)), record,
                    besides=seq)

    def delete(self, kind: str, id: str) -> bool:
        # The tags go with the record: ON DELETE CASCADE (foreign keys are on for SQLite too).
        result = self._conn.execute(delete(records).where(_in_account_kind(self._owner, kind), records.c.id == id))
        return bool(result.rowcount)

    def _owned_seq(self, arn: str) -> int:
        seq, account_id = self._seq_of(arn)
        if account_id != self._owner:
            raise OutsideAccount(f"a transaction of account {self._owner} cannot tag {arn}")
        return seq

    def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        seq = self._owned_seq(arn)
        if not tags:
            return
        for key, value in tags.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("tag keys and values must be strings")
        self._statements.run_many(self._live_cursor(), _TAG_UPSERTS[self._statements.dialect_name],
                                  [{"record_seq": seq, "key": key, "value": value} for key, value in tags.items()])

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        seq = self._owned_seq(arn)
        keys = list(keys)
        if keys:
            self._conn.execute(delete(tag_rows).where(tag_rows.c.record_seq == seq, tag_rows.c.key.in_(keys)))


def _in_account_kind(account_id: str, kind: str) -> ColumnElement[bool]:
    return and_(records.c.account_id == account_id, records.c.kind == kind)


def _lock_account(tx: SqlTx) -> None:
    """Hold the account's row lock until the transaction ends (a no-op clause on SQLite)."""
    values = {"account_id": tx.account_id}
    if not tx._rows(_ACCOUNT_LOCK, values):
        tx._statements.run_many(tx._live_cursor(), _ACCOUNT_INSERTS[tx._statements.dialect_name], [values])
        if not tx._rows(_ACCOUNT_LOCK, values):
            raise StoreError(f"the row of account {tx.account_id} could not be made")


class SqlStore:
    """The Store over one SQLAlchemy engine (see `open_store`)."""

    def __init__(self, engine: Engine, *, shared_connection: bool = False,
                 migrations: tuple[Migration, ...] = MIGRATIONS) -> None:
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        writers = None if self._postgresql else threading.Lock()
        self._write_lock = writers
        self._read_lock = writers if shared_connection else None
        self._held = threading.local()
        self._statements = Statements(engine.dialect)
        migrate(engine, migrations)

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """For tests and tools that inspect the database; the service goes through transactions."""
        return self._engine

    @contextmanager
    def _hold(self) -> Iterator[None]:
        if getattr(self._held, "busy", False):
            raise NestedUse("this thread already holds a transaction or read of this store; they do not nest")
        self._held.busy = True
        try:
            yield
        finally:
            self._held.busy = False

    @contextmanager
    def transaction(self, account_id: str) -> Iterator[SqlTx]:
        if not isinstance(account_id, str) or not account_id:
            raise ValueError("transaction() needs an account id")
        with self._hold(), self._write_lock or nullcontext(), self._engine.connect() as conn:
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            tx = SqlTx(conn, self._statements, account_id)
            try:
                with conn.begin():
                    _lock_account(tx)
                    yield tx
            finally:
                tx._close()

    @contextmanager
    def read(self, account_id: str | None = None) -> Iterator[SqlReader]:
        """On the pooled DB-API connection itself (see SqlReader): SQLite's deferred BEGIN, or
        psycopg's own BEGIN at REPEATABLE READ, READ ONLY; ended without writing anything."""
        with self._hold(), self._read_lock or nullcontext():
            raw = self._engine.raw_connection()
            try:
                with self._snapshot(raw) as cursor:
                    reader = SqlReader(cursor, self._statements, account_id)
                    try:
                        yield reader
                    finally:
                        reader._close()
            finally:
                raw.close()  # back to the pool, which rolls back anything left open

    @contextmanager
    def _snapshot(self, raw: Any) -> Iterator[Any]:
        driver = raw.driver_connection
        if not self._postgresql:
            cursor = raw.cursor()
            cursor.execute("BEGIN")
            yield cursor
            cursor.execute("COMMIT")
            return
        from psycopg import IsolationLevel  # only with PostgreSQL

        driver.isolation_level, driver.read_only = IsolationLevel.REPEATABLE_READ, True
        try:
            yield raw.cursor()
        finally:
            try:
                driver.rollback()  # nothing was written; ends the snapshot either way
                driver.isolation_level, driver.read_only = None, None  # as the pool handed it out
            except Exception:
                raw.invalidate()  # a broken connection is never handed out again
                raise

    def close(self) -> None:
        self._engine.dispose()


def open_store(url: str | None = None, *, data_dir: Path | None = None,
               migrations: tuple[Migration, ...] = MIGRATIONS, pool_size: int = DEFAULT_POOL_SIZE) -> SqlStore:
    """Open (creating and migrating if needed) the database at `url`.

    `url` is `sqlite:///path/file`, `sqlite://` (in memory: the unit-test twin),
    or `postgresql://user@host/db`; without one, `data_dir/codeconn.sqlite3`.
    `migrations` is for tests of the migration machinery. `pool_size`: the connections
    kept open, as many as the threads that use the store at once (`engines.py`).
    """
    choice = create_store_engine(parse_url(url, data_dir), pool_size=pool_size)
    try:
        return SqlStore(choice.engine, shared_connection=choice.shared_connection, migrations=migrations)
    except BaseException:
        choice.engine.dispose()
        raise
