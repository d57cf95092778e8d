"""Reads on the DB-API cursor with compiled statements (issue 13): the same answers as before, and
a pooled connection that a read used is handed out again exactly as the pool gave it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, literal, select
from greenlet_loop import run_in_greenlet

from codeconn.store import NotFound, Record, StoreError
from codeconn.store.sql import SqlStore, open_store
from codeconn.store.statements import SHAPES_KEPT, Statements

ACCOUNT = "111122223333"  # as the fixtures' records (conftest.py)
EPOCH = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)
MakeRecord = Callable[..., Record]


def arn_of(kind: str, id: str) -> str:
    return f"arn:aws:codeconnections:us-west-2:{ACCOUNT}:{kind}/{id}"


def test_a_read_gives_back_aware_utc_datetimes_and_decoded_json(store_url: str, record: MakeRecord) -> None:
    store = open_store(store_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1", data={"ProviderType": "GitHub", "Nested": {"n": [1, True, None]}}, lookup="k1"))
        with store.read(ACCOUNT) as reader:
            by_id, by_arn = reader.get("connection", "c1"), reader.get_by_arn(arn_of("connection", "c1"))
            by_lookup = reader.get_by_lookup("connection", "k1")
        assert by_id == by_arn == by_lookup
        assert by_id is not None
        assert by_id.data == {"ProviderType": "GitHub", "Nested": {"n": [1, True, None]}}
        assert by_id.created_at == EPOCH and by_id.created_at.tzinfo == timezone.utc
    finally:
        store.close()


def test_listings_with_other_values_in_the_same_shape_filter_by_their_own_values(
        store_url: str, record: MakeRecord) -> None:
    """A listing's statement is compiled once per shape (its field names); its values are bound per call."""
    store = open_store(store_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("g1", data={"ProviderType": "GitHub"}))
            tx.insert(record("b1", data={"ProviderType": "Bitbucket"}))
            tx.insert(record("h1", kind="host", data={"ProviderType": "GitHub"}))
        with store.read(ACCOUNT) as reader:
            github = reader.list("connection", where={"ProviderType": "GitHub"})
            bitbucket = reader.list("connection", where={"ProviderType": "Bitbucket"})
            hosts = reader.list("host", where={"ProviderType": "GitHub"})
            counted = (reader.count("connection", where={"ProviderType": "GitHub"}),
                       reader.count("host", where={"ProviderType": "Bitbucket"}))
            first = reader.list("connection", limit=1)
            rest = reader.list("connection", limit=1, after=first.next_token)
        assert [r.id for r in github.records] == ["g1"]
        assert [r.id for r in bitbucket.records] == ["b1"]
        assert [r.id for r in hosts.records] == ["h1"]
        assert counted == (1, 0)
        assert [r.id for r in first.records + rest.records] == ["g1", "b1"] and rest.next_token is None
    finally:
        store.close()


def test_many_listing_shapes_are_answered_past_the_kept_number(tmp_path: object, record: MakeRecord) -> None:
    store = open_store("sqlite://")
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1", data={f"f{i}": "x" for i in range(3)}))
        with store.read(ACCOUNT) as reader:
            for i in range(SHAPES_KEPT + 5):
                assert reader.count("connection", where={f"f{i % 3}": "x", f"g{i}": "y"}) == 0
            assert reader.count("connection", where={"f0": "x"}) == 1
    finally:
        store.close()


def test_a_reader_is_unusable_after_its_read(store_url: str) -> None:
    store = open_store(store_url)
    try:
        with store.read(ACCOUNT) as reader:
            pass
        with pytest.raises(StoreError, match="ended"):
            reader.get("connection", "c1")
    finally:
        store.close()


@pytest.mark.parametrize("fails", [False, True], ids=["read", "read-that-raises"])
def test_one_pooled_connection_writes_after_a_read_used_it(durable_url: str, record: MakeRecord,
                                                           fails: bool) -> None:
    """PostgreSQL reads set REPEATABLE READ, READ ONLY on the driver's connection: with a pool of one,
    the next write transaction gets that same connection back and must be able to write."""
    store = open_store(durable_url, pool_size=1)
    try:
        for n in range(3):
            try:
                with store.read(ACCOUNT) as reader:
                    reader.list("connection")
                    if fails:
                        reader.tags(arn_of("connection", "missing"))
            except NotFound:
                assert fails
            with store.transaction(ACCOUNT) as tx:
                tx.insert(record(f"c{n}"))
        with store.read(ACCOUNT) as reader:
            assert [r.id for r in reader.list("connection").records] == ["c0", "c1", "c2"]
    finally:
        store.close()


def test_a_read_on_postgresql_is_one_snapshot(postgres_url: str, record: MakeRecord) -> None:
    """A write committed between two statements of one read is not seen by the second."""
    store = open_store(postgres_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1"))
        with store.read(ACCOUNT) as reader:
            before = reader.count("connection")
            with closing(open_store(postgres_url)) as other, other.transaction(ACCOUNT) as tx:  # a replica
                tx.insert(record("c2"))
            assert reader.count("connection") == before == 1
        with store.read(ACCOUNT) as reader:
            assert reader.count("connection") == 2
    finally:
        store.close()


def _terminate_backends(url: str) -> int:
    """What a database restart does to a replica's pooled connections: every one of them is cut."""
    admin = open_store(url, pool_size=1)
    raw = admin.engine.raw_connection()
    try:
        raw.driver_connection.autocommit = True
        cursor = raw.cursor()
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = 'codeconn' AND pid <> pg_backend_pid()")
        return len(cursor.fetchall())
    finally:
        raw.invalidate()
        admin.close()


@pytest.fixture(params=[pytest.param("thread", id="thread"), pytest.param("loop", id="loop")])
def run_where(request: pytest.FixtureRequest) -> Callable[[Callable[[], None]], None]:
    """Runs a test's body in this thread, or in a greenlet on an event loop (the store's loop engine)."""
    return (lambda body: body()) if request.param == "thread" else run_in_greenlet


@contextmanager
def pinging_store(postgres_url: str, monkeypatch: pytest.MonkeyPatch, *, ping_after: float,
                  pool_size: int) -> Iterator[SqlStore]:
    """A store whose pooled connections are pinged when idle for `ping_after` seconds or more."""
    from codeconn.store import engines

    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", ping_after)
    with closing(open_store(postgres_url, pool_size=pool_size)) as store:
        yield store


def test_a_pooled_connection_cut_while_idle_is_replaced_unseen(postgres_url: str, record: MakeRecord,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               run_where: Callable[[Callable[[], None]], None]) -> None:
    """Connections idle for PING_AFTER_IDLE_SECONDS are pinged when handed out; a dead one is replaced."""
    with pinging_store(postgres_url, monkeypatch, ping_after=0.0, pool_size=2) as store:
        def body() -> None:
            with store.transaction(ACCOUNT) as tx:
                tx.insert(record("c1"))
            with store.read(ACCOUNT) as reader:
                assert reader.get("connection", "c1") is not None
            assert _terminate_backends(postgres_url) >= 1
            with store.read(ACCOUNT) as reader:
                assert reader.get("connection", "c1") is not None
            with store.transaction(ACCOUNT) as tx:
                tx.insert(record("c2"))
            with store.read(ACCOUNT) as reader:
                assert reader.count("connection") == 2

        run_where(body)


def test_a_connection_cut_between_uses_fails_one_read_and_is_not_handed_out_again(
        postgres_url: str, monkeypatch: pytest.MonkeyPatch, run_where: Callable[[Callable[[], None]], None]) -> None:
    """Within the ping window nothing checks the connection: the read on it fails, and it is thrown away."""
    with pinging_store(postgres_url, monkeypatch, ping_after=3600.0, pool_size=1) as store:
        def body() -> None:
            with store.read(ACCOUNT) as reader:
                reader.count("connection")
            assert _terminate_backends(postgres_url) >= 1  # the one the read used (and on a loop, the migration's)
            with pytest.raises(Exception), store.read(ACCOUNT) as reader:  # noqa: B017, PT011 - the driver's error
                reader.count("connection")
            with store.read(ACCOUNT) as reader:
                assert reader.count("connection") == 0

        run_where(body)


def test_a_single_statement_read_answers_once_and_refuses_a_second_look_up(store_url: str,
                                                                           record: MakeRecord) -> None:
    store = open_store(store_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1"))
        with store.read(ACCOUNT, single_statement=True) as reader:
            found = reader.get("connection", "c1")
            with pytest.raises(StoreError, match="single statement"):
                reader.tags(arn_of("connection", "c1"))
        assert found is not None and found.id == "c1"
    finally:
        store.close()


def test_a_connection_a_single_statement_read_used_goes_back_to_transactions(durable_url: str,
                                                                            record: MakeRecord) -> None:
    """On PostgreSQL the read runs in autocommit; with a pool of one, the next transaction and snapshot
    read get that same connection back, and must still be transactions."""
    store = open_store(durable_url, pool_size=1)
    try:
        with store.read(ACCOUNT, single_statement=True) as reader:
            reader.count("connection")
        with pytest.raises(RuntimeError), store.transaction(ACCOUNT) as tx:
            tx.insert(record("undone"))
            raise RuntimeError("the caller fails: the insert must be rolled back")
        with store.read(ACCOUNT, single_statement=True) as reader:
            assert reader.count("connection") == 0
    finally:
        store.close()


def test_a_transaction_tags_the_record_it_read_even_after_replacing_it(store_url: str, record: MakeRecord) -> None:
    """A transaction tags by the sequence number it read a record with (no second read); a record
    deleted and made again, or renamed, in the same transaction is tagged as it is now."""
    store = open_store(store_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1"))
            tx.insert(record("c2"))
        with store.transaction(ACCOUNT) as tx:
            assert tx.get_with_tags("connection", "c1") is not None
            tx.set_tags(arn_of("connection", "c1"), {"read": "once"})
            assert tx.delete("connection", "c1")
            tx.insert(record("c1", name="again"))
            tx.set_tags(arn_of("connection", "c1"), {"made": "again"})
            assert tx.get_with_tags("connection", "c2") is not None
            renamed = arn_of("connection", "c2-renamed")
            tx.update(record("c2", arn=renamed))
            tx.set_tags(renamed, {"renamed": "yes"})
            with pytest.raises(NotFound):
                tx.set_tags(arn_of("connection", "c2"), {"old": "arn"})
        with store.read(ACCOUNT) as reader:
            assert reader.tags(arn_of("connection", "c1")) == {"made": "again"}
            assert reader.tags(renamed) == {"renamed": "yes"}
    finally:
        store.close()


def _open_files_of(path: Path) -> int:
    """How many of this process's descriptors are open on `path` or its WAL and shared-memory files."""
    names = {str(path), f"{path}-wal", f"{path}-shm"}
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd) in names
        except OSError:  # closed meanwhile (the listing's own descriptor)
            pass
    return count


def test_sqlite_single_statement_reads_from_many_threads_leave_no_file_open_after_close(
        tmp_path: Path, record: MakeRecord) -> None:
    """Single-statement reads of a SQLite file skip the pool (issue 13): their connections are kept
    for the next read, never more than the pool holds, and closed with the store."""
    path = tmp_path / "lone.sqlite3"
    store = open_store(f"sqlite:///{path}", pool_size=2)
    with store.transaction(ACCOUNT) as tx:
        tx.insert(record("c1"))

    def read_many(_: int) -> int:
        found = 0
        for _ in range(50):
            with store.read(ACCOUNT, single_statement=True) as reader:
                found += reader.get("connection", "c1") is not None
        return found

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(read_many, range(8))) == [50] * 8
    assert _open_files_of(path) > 0
    store.close()
    assert _open_files_of(path) == 0


def test_a_failed_single_statement_read_leaves_the_next_one_working(durable_url: str, record: MakeRecord) -> None:
    store = open_store(durable_url)
    try:
        with store.transaction(ACCOUNT) as tx:
            tx.insert(record("c1"))
        with pytest.raises(StoreError, match="single statement"), store.read(ACCOUNT, single_statement=True) as reader:
            reader.get("connection", "c1")
            reader.get("connection", "c1")
        with pytest.raises(RuntimeError), store.read(ACCOUNT, single_statement=True):
            raise RuntimeError("the caller fails inside the read")
        with store.read(ACCOUNT, single_statement=True) as reader:
            assert reader.get("connection", "c1") is not None
        with store.transaction(ACCOUNT) as tx:  # and a write from another connection is seen at once
            tx.delete("connection", "c1")
        with store.read(ACCOUNT, single_statement=True) as reader:
            assert reader.get("connection", "c1") is None
    finally:
        store.close()


def test_a_statement_made_by_a_function_is_made_once_per_kept_shape(tmp_path: Path) -> None:
    """A listing's filter is built in SQLAlchemy Core only when its shape is not kept (issue 13)."""
    store = open_store(f"sqlite:///{tmp_path / 'shapes.sqlite3'}")
    try:
        statements = Statements(store.engine.dialect)
        made: list[int] = []

        def build() -> Select[Any]:
            made.append(1)
            return select(literal(len(made)))

        with store.engine.connect() as connection:
            cursor = connection.connection.cursor()
            answers = [statements.all(cursor, build, {}, shape=("one",)) for _ in range(3)]
            answers.append(statements.all(cursor, build, {}, shape=("two",)))
        assert answers == [[(1,)], [(1,)], [(1,)], [(2,)]] and len(made) == 2
    finally:
        store.close()
