"""The store used on an event loop (`server.workers`, `OnLoop`), as the server uses it.

On PostgreSQL a read or transaction in a greenlet (SQLAlchemy's `greenlet_spawn`)
runs on psycopg's AsyncConnection, every round trip awaited: requests on one loop
interleave at their waits without blocking each other or the loop. SQLite and the
in-memory twin run the same code in the greenlet without awaiting anything; their
write transactions, which would block, can be asked not to wait (`wait=False`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from greenlet_loop import run_in_greenlet
from sqlalchemy import text
from sqlalchemy.util.concurrency import await_, greenlet_spawn

from codeconn.store import Conflict, NestedUse, Record, WouldWait
from codeconn.store.sql import SqlStore, open_store

T = TypeVar("T")
ACCOUNT = "111122223333"  # as the fixtures' records (conftest.py)
MakeRecord = Callable[..., Record]
WAIT = 10.0


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("memory", id="memory"),
                        pytest.param("postgresql", id="postgresql")])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The suite's backends, without its "postgresql-on-loop": these tests run their own loops."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if request.param == "memory":
        return "sqlite://"
    return str(request.getfixturevalue("postgres_url"))


def run_on_loop(scenario: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), WAIT)

    return asyncio.run(bounded())


def test_greenlets_on_one_loop_read_and_write_side_by_side(store: SqlStore, record: MakeRecord) -> None:
    def write(n: int) -> None:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record(f"c{n}"))
            tx.set_tags(record(f"c{n}").arn, {"n": str(n)})

    def read(n: int) -> tuple[str, dict[str, str]] | None:
        with store.read(ACCOUNT, single_statement=True) as reader:
            found = reader.get_with_tags("connection", f"c{n}")
        return (found[0].id, found[1]) if found is not None else None

    async def scenario() -> list[tuple[str, dict[str, str]] | None]:
        await asyncio.gather(*(greenlet_spawn(write, n) for n in range(6)))
        return list(await asyncio.gather(*(greenlet_spawn(read, n) for n in range(7))))

    assert run_on_loop(scenario) == [(f"c{n}", {"n": str(n)}) for n in range(6)] + [None]


def test_a_conflict_in_a_greenlet_is_reported_and_the_transaction_goes_on(store: SqlStore,
                                                                          record: MakeRecord) -> None:
    def write() -> str:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("taken"))
            try:
                tx.insert(record("taken"))
            except Conflict as conflict:
                field = conflict.field
            tx.insert(record("after"))
        return field

    def ids() -> list[str]:
        with store.read(ACCOUNT) as reader:
            return [r.id for r in reader.list("connection").records]

    async def scenario() -> tuple[str, list[str]]:
        return await greenlet_spawn(write), await greenlet_spawn(ids)

    assert run_on_loop(scenario) == ("id", ["taken", "after"])


def test_a_read_in_a_transaction_is_still_refused_in_a_greenlet(store: SqlStore) -> None:
    def nested() -> None:
        with store.transaction(ACCOUNT), store.read(ACCOUNT):
            pass

    with pytest.raises(NestedUse):
        run_in_greenlet(nested)


def test_a_transaction_waiting_for_the_account_lock_leaves_the_loop_free(postgres_url: str,
                                                                         record: MakeRecord) -> None:
    """While one greenlet holds the account's lock and another waits for it, the loop runs other work."""
    with_store = open_store(postgres_url)
    try:
        def hold(release: asyncio.Event) -> None:
            with with_store.transaction(ACCOUNT) as tx:
                tx.insert(record("first"))
                await_(release.wait())

        def second() -> None:
            with with_store.transaction(ACCOUNT) as tx:
                tx.insert(record("second"))

        async def scenario() -> tuple[int, bool]:
            release = asyncio.Event()
            holder = asyncio.ensure_future(greenlet_spawn(hold, release))
            await asyncio.sleep(0.05)
            waiter = asyncio.ensure_future(greenlet_spawn(second))
            ticks = 0
            for _ in range(10):  # the loop keeps turning while `second` waits for the lock
                await asyncio.sleep(0.01)
                ticks += 1
            waited = not waiter.done()
            release.set()
            await asyncio.gather(holder, waiter)
            return ticks, waited

        assert run_on_loop(scenario) == (10, True)
        with with_store.read(ACCOUNT) as reader:
            assert [r.id for r in reader.list("connection").records] == ["first", "second"]
    finally:
        with_store.close()


def test_writers_of_one_account_on_the_loop_queue_in_the_process_in_arrival_order(postgres_url: str,
                                                                                  record: MakeRecord) -> None:
    """While another replica holds the account's row, six writers on one loop wait in the process:
    one of them on the row (one connection, one PostgreSQL backend waiting), the others for it.
    They then write in the order they came, and a writer of another account is not held up."""
    replica, store = open_store(postgres_url), open_store(postgres_url)
    waiting_backends = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND wait_event_type = 'Lock'")
    try:
        with replica.transaction(ACCOUNT) as tx:  # the account's row, and a connection to count with
            tx.insert(record("replica"))

        order: list[int] = []

        def write(n: int) -> None:
            with store.transaction(ACCOUNT) as tx:
                order.append(n)
                tx.insert(record(f"c{n}"))

        def other_account() -> None:
            with store.transaction("444455556666") as tx:
                tx.insert(record("elsewhere", account="444455556666"))

        async def scenario(release: threading.Event, held: threading.Event) -> tuple[int, bool]:
            holder = asyncio.ensure_future(asyncio.to_thread(hold_row, release, held))
            assert await asyncio.to_thread(held.wait, WAIT)
            writers = []
            for n in range(6):
                writers.append(asyncio.ensure_future(greenlet_spawn(write, n)))
                await asyncio.sleep(0.02)  # arrival order
            await asyncio.wait_for(greenlet_spawn(other_account), WAIT)
            await asyncio.sleep(0.2)
            with replica.engine.connect() as connection:
                waiting = int(connection.execute(waiting_backends).scalar_one())
            pending = not any(writer.done() for writer in writers)
            release.set()
            await asyncio.gather(holder, *writers)
            return waiting, pending

        def hold_row(release: threading.Event, held: threading.Event) -> None:
            with replica.transaction(ACCOUNT):
                held.set()
                assert release.wait(WAIT)

        assert run_on_loop(lambda: scenario(threading.Event(), threading.Event())) == (1, True)
        assert order == list(range(6))
        with store.read(ACCOUNT) as reader:
            assert reader.count("connection") == 7
    finally:
        store.close()
        replica.close()


def test_closing_the_store_after_its_loop_stopped_closes_the_loops_connections(postgres_url: str) -> None:
    opened = open_store(postgres_url)
    count = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'codeconn' "
                 "AND datname = current_database()")

    def connections() -> int:
        with opened.engine.connect() as connection:
            return int(connection.execute(count).scalar_one())

    def read() -> None:
        with opened.read(ACCOUNT) as reader:
            reader.count("connection")

    async def scenario() -> None:
        await asyncio.gather(*(greenlet_spawn(read) for _ in range(3)))

    try:
        before = connections()
        run_on_loop(scenario)
        assert connections() >= before + 3  # the loop's own pool, beside the engine's
    finally:
        opened.close()
    other = open_store(postgres_url)
    try:
        with other.engine.connect() as connection:
            assert int(connection.execute(count).scalar_one()) <= before
    finally:
        other.close()


def test_a_transaction_that_must_not_wait_is_refused_while_another_thread_writes(store: SqlStore,
                                                                                record: MakeRecord) -> None:
    """SQLite (file and in-memory) serialise this process's writers: without `wait`, WouldWait at once
    while another thread holds a transaction, and nothing of the refused one is written."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("held"))
            holding.set()
            assert release.wait(WAIT)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(WAIT)
        if store.engine.dialect.name == "postgresql":  # writers queue on the account's row, awaited on a loop
            return
        with pytest.raises(WouldWait), store.transaction(ACCOUNT, wait=False) as tx:
            tx.insert(record("refused"))
    finally:
        release.set()
        holder.join(WAIT)
    with store.transaction(ACCOUNT, wait=False) as tx:
        tx.insert(record("after"))
    with store.read(ACCOUNT) as reader:
        assert sorted(r.id for r in reader.list("connection").records) == ["after", "held"]


def test_a_transaction_that_must_not_wait_is_refused_while_another_process_writes(tmp_path: Path,
                                                                                  record: MakeRecord) -> None:
    """SQLite's write lock held by another connection (another process): WouldWait at once without
    `wait`; with it, the transaction still waits its busy timeout, and goes on once the lock is free."""
    path = tmp_path / "store.sqlite3"
    opened = open_store(f"sqlite:///{path}")
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        with pytest.raises(WouldWait), opened.transaction(ACCOUNT, wait=False) as tx:
            tx.insert(record("refused"))
        refused_after = time.monotonic() - started
        threading.Timer(0.3, lambda: other.execute("ROLLBACK")).start()
        with opened.transaction(ACCOUNT) as tx:  # the busy timeout is back: this one waits for the lock
            tx.insert(record("waited"))
        with opened.read(ACCOUNT) as reader:
            assert [r.id for r in reader.list("connection").records] == ["waited"]
        assert refused_after < WAIT
    finally:
        other.close()
        opened.close()
