"""Concurrent writers lose nothing: quota checks hold, tags and counters add up.

Two Store objects opened on one database stand for two processes (replicas):
each has its own engine and connections, so only the database's own locking
(SQLite's write lock, PostgreSQL's account row lock) keeps them apart. The
in-memory twin cannot be shared between stores, so its threads share one.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from codeconn.store import Conflict, Record, Tx
from codeconn.store.sql import SqlStore, open_store

MakeRecord = Callable[..., Record]
ACCOUNT = "111122223333"
THREADS = 8
OPS_PER_THREAD = 50
QUOTA = 60


class QuotaExceeded(Exception):
    """What the service would raise when the account has QUOTA connections."""


class Boom(Exception):
    """A failure in the middle of a transaction."""


@pytest.fixture
def replicas(store_url: str) -> Iterator[tuple[SqlStore, SqlStore]]:
    first = open_store(store_url)
    second = first if store_url == "sqlite://" else open_store(store_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def run_threads(target: Callable[[int], None], count: int = THREADS) -> list[BaseException]:
    """Run `target(n)` in `count` threads started together; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def body(n: int) -> None:
        try:
            barrier.wait(30)
            target(n)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=body, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread is stuck"
    return errors


def test_the_quota_check_and_the_insert_are_atomic(replicas: tuple[SqlStore, SqlStore],
                                                   record: MakeRecord) -> None:
    quota, attempts = 50, 20
    refused = [0] * THREADS

    def create(n: int) -> None:
        for i in range(attempts):
            try:
                with replicas[n % 2].transaction(ACCOUNT) as tx:
                    if tx.count("connection") >= quota:
                        raise QuotaExceeded
                    tx.insert(record(f"t{n}-{i}"))
            except QuotaExceeded:
                refused[n] += 1

    assert run_threads(create) == []
    with replicas[0].read(ACCOUNT) as r:
        assert r.count("connection") == quota
    assert sum(refused) == THREADS * attempts - quota


def test_concurrent_creates_tags_deletes_and_updates_lose_nothing(replicas: tuple[SqlStore, SqlStore],
                                                                  record: MakeRecord) -> None:
    hub = record("hub", kind="hub", data={"counter": 0})
    with replicas[0].transaction(ACCOUNT) as tx:
        tx.insert(hub)
    alive: list[set[str]] = [set() for _ in range(THREADS)]
    bumps = [0] * THREADS
    quota_hits = [0] * THREADS
    over_quota: list[int] = []

    def bump(tx: Tx) -> None:
        current = tx.get("hub", "hub")
        assert current is not None
        tx.update(dataclasses.replace(current, data={"counter": current.data["counter"] + 1}))

    def work(n: int) -> None:
        rng = random.Random(n)
        store = replicas[n % 2]
        for i in range(OPS_PER_THREAD):
            op = rng.choice(["create"] * 5 + ["delete"] * 2 + ["bump"] * 2 + ["fail"])
            victim = rng.choice(sorted(alive[n])) if alive[n] else None
            try:
                with store.transaction(ACCOUNT) as tx:
                    if op in ("create", "fail"):
                        if tx.count("connection") >= QUOTA:
                            raise QuotaExceeded
                        new = record(f"t{n}-{i}")
                        tx.insert(new)
                        tx.set_tags(new.arn, {"owner": f"t{n}"})
                        tx.set_tags(hub.arn, {new.id: "created"})
                        if tx.count("connection") > QUOTA:
                            over_quota.append(n)
                        if op == "fail":
                            bump(tx)
                            raise Boom
                    elif op == "delete" and victim is not None:
                        assert tx.delete("connection", victim)
                        tx.remove_tags(hub.arn, [victim])
                    elif op == "bump":
                        bump(tx)
            except QuotaExceeded:
                quota_hits[n] += 1
                continue
            except Boom:
                continue
            if op == "create":
                alive[n].add(f"t{n}-{i}")
            elif op == "delete" and victim is not None:
                alive[n].discard(victim)
            elif op == "bump":
                bumps[n] += 1

    assert run_threads(work) == []
    expected = set().union(*alive)
    with replicas[1].read(ACCOUNT) as r:
        records = r.list("connection").records
        assert {x.id for x in records} == expected
        assert all(r.tags(x.arn) == {"owner": x.id.split("-")[0]} for x in records)
        assert r.tags(hub.arn) == {id: "created" for id in expected}
        final_hub = r.get("hub", "hub")
    assert len(expected) <= QUOTA and over_quota == []
    assert final_hub is not None and final_hub.data["counter"] == sum(bumps)
    assert sum(quota_hits) > 0, "the test should reach the quota"


def test_one_lookup_key_races_across_accounts_and_one_wins(replicas: tuple[SqlStore, SqlStore],
                                                           record: MakeRecord) -> None:
    outcomes: list[str] = []

    def claim(n: int) -> None:
        account = f"{n:012d}"
        try:
            with replicas[n % 2].transaction(account) as tx:
                tx.insert(record("key", kind="access_key", account=account, lookup="AKIASAME"))
                time.sleep(0.01)  # widen the window in which the others insert
            outcomes.append("won")
        except Conflict as conflict:
            outcomes.append(conflict.field)

    assert run_threads(claim) == []
    assert sorted(outcomes) == ["lookup"] * (THREADS - 1) + ["won"]
    with replicas[0].read() as r:
        assert r.get_by_lookup("access_key", "AKIASAME") is not None


def test_postgresql_accounts_do_not_wait_for_each_other(postgres_url: str, record: MakeRecord) -> None:
    store = open_store(postgres_url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.transaction("000000000001") as tx:
            tx.insert(record("a", account="000000000001"))
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with store.transaction("000000000002") as tx:  # commits while account 1's transaction is still open
            tx.insert(record("b", account="000000000002"))
        assert not release.is_set() and thread.is_alive()
    finally:
        release.set()
        thread.join(30)
        store.close()
