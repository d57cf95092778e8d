"""The store a request answered on the event loop gets with a SQLite file (`server.no_wait`): its first
write transaction is refused if it would wait, so the request can move to a thread; once one has begun,
the request cannot move without writing twice, and its later transactions wait."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codeconn.server.no_wait import NotOnLoop, NoWaiting
from codeconn.store import Record
from codeconn.store.sql import SqlStore, open_store

ACCOUNT = "111122223333"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def record(id: str) -> Record:
    return Record(account_id=ACCOUNT, kind="connection", id=id, name=id, data={}, created_at=NOW, updated_at=NOW,
                  arn=f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/{id}")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[SqlStore, Path]]:
    path = tmp_path / "store.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        yield store, path
    finally:
        store.close()


@contextmanager
def held_write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's writer, as far as SQLite can tell: a connection inside BEGIN IMMEDIATE
    (the block may end it itself, with ROLLBACK)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def ids(store: SqlStore) -> list[str]:
    with store.read(ACCOUNT) as reader:
        return [r.id for r in reader.list("connection").records]


def test_a_first_transaction_that_would_wait_is_refused_with_nothing_written(
        database: tuple[SqlStore, Path]) -> None:
    store, path = database
    with held_write_lock(path), pytest.raises(NotOnLoop), NoWaiting(store).transaction(ACCOUNT) as tx:
        tx.insert(record("refused"))
    assert ids(store) == []


def test_after_a_first_transaction_the_request_s_next_one_waits_instead_of_being_refused(
        database: tuple[SqlStore, Path]) -> None:
    """A request that wrote once on the loop would write twice if answered again in a thread."""
    store, path = database
    request = NoWaiting(store)
    with request.transaction(ACCOUNT) as tx:
        tx.insert(record("first"))
    with held_write_lock(path) as holder:
        releaser = threading.Timer(0.3, holder.execute, ("ROLLBACK",))
        releaser.start()
        try:
            with request.transaction(ACCOUNT) as tx:  # waits for the holder, then writes
                tx.insert(record("second"))
        finally:
            releaser.join(10)
    assert ids(store) == ["first", "second"]
    with held_write_lock(path), pytest.raises(NotOnLoop), NoWaiting(store).transaction(ACCOUNT):
        pass  # a new request's first transaction is refused again
