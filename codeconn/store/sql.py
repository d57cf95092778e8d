"""The one Store implementation: SQLAlchemy Core over SQLite or PostgreSQL.

How the promises of `base.py` are kept:

- Writers of one account are serialised. SQLite: BEGIN IMMEDIATE takes the
  database's write lock (and a process-local lock queues this process's threads
  fairly instead of letting them spin on the busy timeout); `transaction(wait=False)`
  takes both without waiting, or raises WouldWait before anything is begun.
  PostgreSQL: the transaction locks the account's row in `accounts` (SELECT ...
  FOR UPDATE), inserting it on first use (on the loop engine, an upsert sent with
  its BEGIN: `writer.begin_locked`); at READ COMMITTED every statement after the
  lock sees everything the previous holder committed. On the loop engine a
  process's writers of one account first queue in the process (`_queued`), so
  one of them at a time waits on the row.
- Reads: SQLite's WAL gives a deferred BEGIN a snapshot; PostgreSQL reads run
  REPEATABLE READ, READ ONLY, so list-then-tags is one snapshot and never blocks.
- Uniqueness (id, ARN, lookup key) is the database's constraints' to keep: a
  write that violates one is reported once, as a Conflict naming the field
  (`writer.py`).

SQLAlchemy makes the engine, the pool, the schema and the SQL; reads and writes
run on the pooled DB-API connection itself (`reader.py`, `writer.py`), since
SQLAlchemy's per-call machinery cost more than the database's own work (issue 13).

On an event loop (the server answers requests there, `server.workers`), code in a
greenlet spawned by SQLAlchemy's `greenlet_spawn` gets PostgreSQL connections from
a second pool, the loop engine: psycopg's AsyncConnection behind SQLAlchemy's
DB-API adapter, whose every round trip the greenlet awaits, so the loop runs other
requests meanwhile instead of waiting, and no thread hand-off is paid. The same
statements run on it; only the connection differs. A store holds at most one
transaction or read per thread, or per task on the loop (`NestedUse`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextvars import ContextVar, Token
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import await_, in_greenlet

from codeconn.store.base import NestedUse, WouldWait
from codeconn.store.engines import BUSY_TIMEOUT_SECONDS, DEFAULT_POOL_SIZE, create_store_engine, parse_url
from codeconn.store.migrations import MIGRATIONS, Migration, migrate
from codeconn.store.reader import SqlReader
from codeconn.store.statements import Statements
from codeconn.store.writer import SqlTx, begin_locked


class SqlStore:
    """The Store over one SQLAlchemy engine (see `open_store`)."""

    def __init__(self, engine: Engine, *, shared_connection: bool = False,
                 migrations: tuple[Migration, ...] = MIGRATIONS,
                 loop_engine: Callable[[], AsyncEngine] | None = None) -> None:
        self._engine = engine
        self._make_loop_engine = loop_engine
        self._on_loop: _LoopState | None = None  # made for the running loop by `_loop_state`
        self._loop_lock = threading.Lock()
        self._postgresql = engine.dialect.name == "postgresql"
        writers = None if self._postgresql else threading.Lock()
        self._write_lock = writers
        self._read_lock = writers if shared_connection else None
        self._held: ContextVar[bool] = ContextVar(f"codeconn_store_held_{id(self)}", default=False)
        # SQLite's single-statement reads take a connection from here, not the pool: see `_lone_read`.
        self._spares: list[sqlite3.Connection] | None = None if self._postgresql or shared_connection else []
        self._spares_kept = engine.pool.size() if hasattr(engine.pool, "size") else DEFAULT_POOL_SIZE
        self._closed = False
        self._statements = Statements(engine.dialect)
        self._integrity_error: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
        migrate(engine, migrations)

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """For tests and tools that inspect the database; the service goes through transactions."""
        return self._engine

    @contextmanager
    def _hold(self) -> Iterator[None]:
        token = self._take_hold()
        try:
            yield
        finally:
            self._held.reset(token)

    def _take_hold(self) -> Token[bool]:
        if self._held.get():
            raise NestedUse("this thread already holds a transaction or read of this store; they do not nest")
        return self._held.set(True)

    def _loop_state(self) -> _LoopState | None:
        """The loop engine and the writers' queues of the running loop, for code in a greenlet on it;
        None elsewhere, and without PostgreSQL."""
        if self._make_loop_engine is None or not in_greenlet():
            return None
        loop = asyncio.get_running_loop()
        with self._loop_lock:
            if self._on_loop is None or self._on_loop.loop is not loop:
                if self._on_loop is not None:  # a pool bound to another loop (in tests): dropped
                    self._on_loop.engine.sync_engine.dispose(close=False)
                self._on_loop = _LoopState(loop, self._make_loop_engine())
            return self._on_loop

    def _raw_connection(self) -> tuple[Any, bool]:
        """A pooled connection, and whether it is the loop engine's (in autocommit: the store sends
        BEGIN and its end itself); from the loop engine in a greenlet on an event loop, else the engine's."""
        state = self._loop_state()
        if state is None:
            return self._engine.raw_connection(), False
        return state.engine.sync_engine.raw_connection(), True

    @contextmanager
    def transaction(self, account_id: str, *, wait: bool = True) -> Iterator[SqlTx]:
        if not isinstance(account_id, str) or not account_id:
            raise ValueError("transaction() needs an account id")
        with self._hold(), self._writing(wait), self._queued(account_id):
            raw, explicit = self._raw_connection()
            try:
                cursor = raw.cursor()
                if not self._postgresql:
                    _begin_immediate(cursor, wait)
                elif explicit:  # READ COMMITTED, like the engine's, whose psycopg begins by itself
                    cursor.execute(begin_locked(account_id))
                tx = SqlTx(cursor, self._statements, account_id, integrity_error=self._integrity_error)
                try:
                    if not explicit:
                        tx.lock_account()
                    yield tx
                except BaseException:
                    _roll_back(raw, cursor if explicit else None)
                    raise
                finally:
                    tx._close()
                if explicit:
                    cursor.execute("COMMIT")
                else:
                    raw.commit()
            finally:
                raw.close()  # back to the pool, which rolls back anything left open

    @contextmanager
    def _queued(self, account_id: str) -> Iterator[None]:
        """On the loop engine, this process's turn to write the account, awaited before a connection
        is taken: its writers queue here in arrival order, and only one waits on the account's row.

        Sixteen writers of one account each holding a connection, all waiting on the row lock and
        all woken by each commit, made PostgreSQL's p99 for TagResource three times its p50 on
        the 2-core machine issue 13 measures on (the database shares its CPU with the server).
        Replicas still queue on the row, one writer each.
        """
        state = self._loop_state()
        if state is None:
            yield
            return
        with self._loop_lock:
            queue = state.queues.get(account_id)
            if queue is None:
                queue = state.queues[account_id] = asyncio.Lock()
        await_(queue.acquire())
        try:
            yield
        finally:
            queue.release()

    @contextmanager
    def _writing(self, wait: bool) -> Iterator[None]:
        """This process's turn to write (SQLite's; PostgreSQL's writers queue on the account's row)."""
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(blocking=wait):
            raise WouldWait("another thread of this process is writing")
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def read(self, account_id: str | None = None, *, single_statement: bool = False) -> Iterator[SqlReader]:
        """On the pooled DB-API connection itself (see SqlReader): SQLite's deferred BEGIN, or
        psycopg's own BEGIN at REPEATABLE READ, READ ONLY; ended without writing anything.
        A `single_statement` read runs its one statement in autocommit: no BEGIN, no end."""
        if single_statement and self._spares is not None:
            yield from self._lone_read(account_id)
            return
        with self._hold(), self._read_lock or nullcontext():
            raw, explicit = self._raw_connection()
            try:
                with self._reading(raw, explicit, single_statement) as cursor:
                    reader = SqlReader(cursor, self._statements, account_id,
                                       statements_left=1 if single_statement else None)
                    try:
                        yield reader
                    finally:
                        reader._close()
            finally:
                raw.close()  # back to the pool, which rolls back anything left open

    def _lone_read(self, account_id: str | None) -> Iterator[SqlReader]:
        """A single-statement read of a SQLite file, on a connection taken from `_spares`.

        Two such reads make a GetConnection (the key's generation, the connection), and
        the pool's checkout and check-in cost more than SQLite's own work on each
        (issue 13). A statement in autocommit leaves nothing open to reset, so these
        connections skip the pool: made by it (its connect hook sets the pragmas), then
        detached from it, kept in a list (whose pop and append need no lock), closed
        with the store, or at once if one failed or more are kept than the pool holds.
        """
        token = self._take_hold()  # as `_hold`, without a context manager's cost
        try:
            connection = self._spare()
            try:
                reader = SqlReader(connection.cursor(), self._statements, account_id, statements_left=1)
                try:
                    yield reader
                finally:
                    reader._close()
            except BaseException:
                connection.close()  # whatever went wrong, the next read gets a fresh connection
                raise
            self._keep(connection)
        finally:
            self._held.reset(token)

    def _spare(self) -> sqlite3.Connection:
        assert self._spares is not None
        try:
            return self._spares.pop()
        except IndexError:
            fairy = self._engine.raw_connection()
            fairy.detach()  # the pool forgets it (and opens another when it needs one)
            return cast(sqlite3.Connection, fairy.dbapi_connection)

    def _keep(self, connection: sqlite3.Connection) -> None:
        assert self._spares is not None
        if self._closed or len(self._spares) >= self._spares_kept:
            connection.close()
            return
        self._spares.append(connection)
        if self._closed:  # closed meanwhile: `close` may have missed it
            self._close_spares()

    def _close_spares(self) -> None:
        while self._spares:
            try:
                self._spares.pop().close()
            except IndexError:  # taken by another thread meanwhile
                break

    def _reading(self, raw: Any, explicit: bool, single_statement: bool) -> AbstractContextManager[Any]:
        if explicit:
            return self._explicit_read(raw, single_statement)
        return self._autocommit(raw) if single_statement else self._snapshot(raw)

    @contextmanager
    def _explicit_read(self, raw: Any, single_statement: bool) -> Iterator[Any]:
        """A read on a connection in autocommit (the loop engine's): a lone statement as it is,
        else a snapshot begun and ended here."""
        cursor = raw.cursor()
        if single_statement:
            yield cursor
            return
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        try:
            yield cursor
        finally:
            try:
                cursor.execute("ROLLBACK")  # nothing was written; ends the snapshot either way
            except Exception:
                raw.invalidate()  # a broken connection is never handed out again
                raise

    @contextmanager
    def _autocommit(self, raw: Any) -> Iterator[Any]:
        if not self._postgresql:  # pysqlite's own transactions are off: a lone SELECT is its own snapshot
            yield raw.cursor()
            return
        driver = raw.driver_connection
        driver.autocommit = True
        try:
            yield raw.cursor()
        finally:
            try:
                driver.autocommit = False  # as the pool handed it out
            except Exception:
                raw.invalidate()  # a broken connection is never handed out again
                raise

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
        self._closed = True
        if self._spares is not None:
            self._close_spares()
        with self._loop_lock:
            made, self._on_loop = self._on_loop, None
        if made is not None:
            _dispose(made.engine)
        self._engine.dispose()


@dataclass
class _LoopState:
    """What the store keeps for one event loop: its loop engine, and its writers' queue per account."""

    loop: asyncio.AbstractEventLoop
    engine: AsyncEngine
    queues: weakref.WeakValueDictionary[str, asyncio.Lock] = field(default_factory=weakref.WeakValueDictionary)


def _begin_immediate(cursor: Any, wait: bool) -> None:
    """SQLite's write lock, waiting for it up to the busy timeout; or, without `wait`, WouldWait
    at once when another connection holds it (its busy timeout is 0 for this one statement)."""
    if wait:
        cursor.execute("BEGIN IMMEDIATE")
        return
    cursor.execute("PRAGMA busy_timeout = 0")
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # the primary code of an extended one
            raise
        busy = True
    else:
        busy = False
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
    if busy:  # raised out here, so the driver's error is not chained to it
        raise WouldWait("another connection holds the database's write lock")


def _dispose(engine: AsyncEngine) -> None:
    """Close a loop engine's connections once its loop has stopped (closing a psycopg AsyncConnection
    waits for nothing, so a new loop does it); inside a running loop they are dropped, and closed
    as they are collected."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(engine.dispose())
    else:
        engine.sync_engine.dispose(close=False)


def _roll_back(raw: Any, cursor: Any | None = None) -> None:
    """End a failed transaction (with ROLLBACK on `cursor`, when the connection is in autocommit);
    a connection that cannot even roll back is never handed out again."""
    try:
        if cursor is not None:
            cursor.execute("ROLLBACK")
        else:
            raw.rollback()
    except Exception:  # noqa: BLE001 - the transaction's own error is the one to raise
        raw.invalidate()


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
        return SqlStore(choice.engine, shared_connection=choice.shared_connection, migrations=migrations,
                        loop_engine=choice.loop_engine)
    except BaseException:
        choice.engine.dispose()
        raise
