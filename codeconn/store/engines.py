"""From a database URL to a configured SQLAlchemy engine: SQLite or PostgreSQL.

SQLite (`sqlite:///path`): WAL, so reads never wait for a writer; foreign keys
on (tags cascade with their record); a 30 s busy timeout; synchronous=NORMAL,
which in WAL mode never corrupts and at worst loses the last commits on power
loss. pysqlite's own transaction handling is switched off and the store emits
BEGIN itself: BEGIN IMMEDIATE for writes takes the write lock up front, so a
check-then-write transaction can never fail half way with "database is locked".

`sqlite://` (or `sqlite:///:memory:`) is the in-memory twin: one connection
shared by every thread, which the store serialises with a lock.

PostgreSQL (`postgresql://`, `postgres://`, `postgresql+psycopg://`): psycopg 3,
a 30 s lock timeout so a stuck transaction cannot block an account forever, and
a ping of a connection that has sat in the pool for `PING_AFTER_IDLE_SECONDS` or
more before it is handed out (replicas outlive database restarts): a dead one is
replaced there, through SQLAlchemy's DisconnectionError, unseen by the caller.
SQLAlchemy's own pre-ping pinged on every checkout: two of a GetConnection's nine
round trips to the database (issue 13). A connection used within the last second
is not pinged; one that broke meanwhile fails that one request, and is thrown away
(SQLAlchemy's invalidation, or the store's on a failed read), never handed out again.

`create_loop_engine` makes the same for code in a greenlet on an event loop
(`SqlStore`'s loop engine): psycopg's AsyncConnection, through SQLAlchemy's asyncio
extension, with the same arguments and pool size, in autocommit (the store sends
BEGIN and its end itself, BEGIN with the account's lock in one round trip), pinged
the same way but with a statement the greenlet awaits (libpq's own ping blocks, and
would stall the loop). One handed back inside a transaction is rolled back.

The pool (issue 13) keeps `pool_size` connections open, as many as the server has
worker threads, so a request never opens a connection (nor runs the connect hook's
pragmas, which run once per connection): SQLAlchemy's default of 5 (+10 overflow,
closed again on return) under 32 threads opened and closed a SQLite connection on
most requests. The overflow beyond it is for the odd extra thread (the health
check's, a CLI tool sharing the store) and is closed when returned.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from codeconn.store.base import StoreError
from codeconn.store.migrations import SQLITE_BEGIN_OPTION

DEFAULT_SQLITE_NAME = "codeconn.sqlite3"
BUSY_TIMEOUT_SECONDS = 30
POSTGRES_LOCK_TIMEOUT_MS = 30_000
DEFAULT_POOL_SIZE = 32  # `Limits.worker_threads`' default
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED = "codeconn_returned"  # the pool record's note of when its connection came back
_PG_EMPTY_QUERY = 0  # psycopg.pq.ExecStatus.EMPTY_QUERY: the answer to ";"
_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open
POOL_OVERFLOW = 16


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """An engine and whether all its users share one connection (the in-memory twin)."""

    engine: Engine
    shared_connection: bool
    loop_engine: Callable[[], AsyncEngine] | None = None  # for code in a greenlet on the event loop


def parse_url(url: str | None, data_dir: Path | None) -> URL:
    """The URL to open; without one, a SQLite file in `data_dir`."""
    if url is None:
        if data_dir is None:
            raise StoreError("no database URL and no data directory to put the default SQLite file in")
        return URL.create("sqlite", database=str(Path(data_dir) / DEFAULT_SQLITE_NAME))
    try:
        return make_url(url)
    except ArgumentError:
        raise StoreError("the database URL cannot be parsed") from None


def create_store_engine(url: URL, *, pool_size: int = DEFAULT_POOL_SIZE) -> EngineChoice:
    """An engine configured as the module docstring says; StoreError for other databases."""
    if pool_size < 1:
        raise ValueError("pool_size must be at least 1")
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite(url, pool_size)
    if backend in ("postgresql", "postgres"):
        return EngineChoice(_postgresql(url, pool_size), shared_connection=False,
                            loop_engine=lambda: create_loop_engine(url, pool_size=pool_size))
    raise StoreError(f"unsupported database {backend!r}: use sqlite:///path or postgresql://...")


def _sqlite(url: URL, pool_size: int) -> EngineChoice:
    if url.get_driver_name() not in ("pysqlite", ""):
        url = url.set(drivername="sqlite")
    memory = url.database in (None, "", ":memory:")
    if memory:
        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
    else:
        Path(str(url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW,
                               connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" hook below emits BEGIN
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "BEGIN"))

    return EngineChoice(engine, shared_connection=memory)


def _enable_wal(cursor: Any) -> None:
    """Switch the database to WAL (a lasting property of the file) unless it already is.

    Changing the journal mode needs a moment with no other connection inside a
    transaction, and SQLite answers "database is locked" at once instead of
    waiting for its busy timeout; so several processes opening a new database
    together retry here, for at most the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.01
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


def _postgresql_settings(url: URL) -> tuple[URL, dict[str, Any]]:
    """psycopg 3's URL and connect arguments; server options given in the URL (`?options=-c search_path=x`) are kept."""
    given = url.query.get("options", "")
    options = " ".join([*([given] if isinstance(given, str) else given),
                        f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}"]).strip()
    url = url.set(drivername="postgresql+psycopg").difference_update_query(["options"])
    return url, {"application_name": "codeconn", "connect_timeout": 10, "options": options}


def create_loop_engine(url: URL, *, pool_size: int = DEFAULT_POOL_SIZE) -> AsyncEngine:
    """PostgreSQL through psycopg's AsyncConnection, for code in a greenlet on an event loop."""
    url, connect_args = _postgresql_settings(url)
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW,
                                 connect_args={**connect_args, "autocommit": True}, pool_reset_on_return=None)
    _ping_when_idle(engine.sync_engine, _ping_async)

    @event.listens_for(engine.sync_engine, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        if state.asyncio_safe and dbapi_connection.info.transaction_status != _PG_IDLE:
            dbapi_connection.rollback()  # a transaction left open (the store ends its own)

    return engine


def _ping_async(dbapi_connection: Any) -> bool:
    """One awaited round trip (SQLAlchemy's adapter awaits each call), in autocommit like every use."""
    dbapi_connection.cursor().execute("SELECT 1")
    return True


def _ping_sync(dbapi_connection: Any) -> bool:
    """An empty query, on libpq itself: one round trip outside any transaction, no statement run."""
    return bool(dbapi_connection.pgconn.exec_(b";").status == _PG_EMPTY_QUERY)


def _postgresql(url: URL, pool_size: int) -> Engine:
    url, connect_args = _postgresql_settings(url)
    engine = create_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW, connect_args=connect_args)
    _ping_when_idle(engine, _ping_sync)
    return engine


def _ping_when_idle(engine: Engine, ping: Callable[[Any], bool]) -> None:
    """Before a connection idle for PING_AFTER_IDLE_SECONDS is handed out, `ping` it; replace it if it fails."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return  # new, or used a moment ago
        try:
            answered = ping(dbapi_connection)
        except Exception:  # noqa: BLE001 - any failure to answer is a dead connection
            answered = False
        if not answered:
            raise DisconnectionError("the pooled connection did not answer; it is replaced")
