"""The store's promises, one suite over SQLite (file, WAL), the in-memory twin and PostgreSQL."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import codeconn.store as store_package
from codeconn.store import (
    Conflict,
    InvalidCursor,
    NestedUse,
    NotFound,
    OutsideAccount,
    Record,
    Store,
    StoreError,
)
from codeconn.store.sql import SqlStore, open_store

MakeRecord = Callable[..., Record]
ACCOUNT = "111122223333"
OTHER = "444455556666"


def insert(store: SqlStore, *records: Record, tags: dict[str, str] | None = None) -> None:
    with store.transaction(records[0].account_id) as tx:
        for one in records:
            tx.insert(one)
            if tags:
                tx.set_tags(one.arn, tags)


def test_store_satisfies_the_protocol(store: SqlStore) -> None:
    assert isinstance(store, Store)
    assert "password" not in repr(store)


def test_insert_then_get_returns_the_same_record(store: SqlStore, record: MakeRecord) -> None:
    data: dict[str, Any] = {"ProviderType": "GitHub", "nested": {"list": [1, 2.5, True, None]}, "ünï": "ç☃"}
    original = record("c1", data=data, lookup="LOOKUP1")
    insert(store, original)
    with store.read(ACCOUNT) as r:
        assert r.get("connection", "c1") == original
        assert r.get_by_arn(original.arn) == original
        assert r.get_by_lookup("connection", "LOOKUP1") == original
        fetched = r.get("connection", "c1")
    assert fetched is not None and fetched.created_at.tzinfo is not None
    assert fetched.created_at.utcoffset() == timedelta(0)


def test_timestamps_in_other_zones_come_back_as_the_same_instant_in_utc(store: SqlStore,
                                                                       record: MakeRecord) -> None:
    eastern = datetime(2024, 1, 2, 3, 4, 5, 600007, tzinfo=timezone(timedelta(hours=-5)))
    insert(store, dataclasses.replace(record("c1"), created_at=eastern, updated_at=eastern))
    with store.read(ACCOUNT) as r:
        fetched = r.get("connection", "c1")
    assert fetched is not None and fetched.created_at == eastern
    assert fetched.created_at.tzinfo == timezone.utc


def test_get_is_scoped_to_the_account_but_arn_and_lookup_are_global(store: SqlStore,
                                                                    record: MakeRecord) -> None:
    theirs = record("c1", account=OTHER, lookup="AKIAOTHER", kind="access_key")
    insert(store, theirs)
    with store.read(ACCOUNT) as r:
        assert r.get("access_key", "c1") is None
        assert r.get_by_arn(theirs.arn) == theirs
        assert r.get_by_lookup("access_key", "AKIAOTHER") == theirs
        assert r.get_by_lookup("connection", "AKIAOTHER") is None
        assert r.count("access_key") == 0


def test_a_read_without_account_does_only_global_lookups(store: SqlStore, record: MakeRecord) -> None:
    key = record("k1", kind="access_key", lookup="AKIA1")
    insert(store, key)
    with store.read() as r:
        assert r.account_id is None
        assert r.get_by_lookup("access_key", "AKIA1") == key
        with pytest.raises(StoreError, match="without an account"):
            r.get("access_key", "k1")


@pytest.mark.parametrize(("second", "field"), [
    pytest.param({"id": "c1", "arn": "arn:other"}, "id", id="same id in the same account and kind"),
    pytest.param({"id": "c2", "arn": "ARN-OF-c1"}, "arn", id="same ARN"),
    pytest.param({"id": "c2", "arn": "arn:other", "lookup": "L1"}, "lookup", id="same lookup and kind"),
    pytest.param({"id": "c2", "arn": "arn:other", "lookup": "L1", "account": OTHER}, "lookup",
                 id="same lookup in another account"),
])
def test_a_duplicate_unique_field_is_a_conflict_naming_it(store: SqlStore, record: MakeRecord,
                                                          second: dict[str, Any], field: str) -> None:
    first = record("c1", lookup="L1")
    insert(store, first)
    fields = {**second, "arn": first.arn} if second["arn"] == "ARN-OF-c1" else dict(second)
    duplicate = record(fields.pop("id"), **fields)
    with pytest.raises(Conflict) as raised, store.transaction(duplicate.account_id) as tx:
        tx.insert(duplicate)
    assert raised.value.field == field
    with store.read(duplicate.account_id) as r:
        assert r.get_by_arn(first.arn) == first
        assert r.count("connection") == (1 if duplicate.account_id == ACCOUNT else 0)


@pytest.mark.parametrize("other", [
    pytest.param({"kind": "host"}, id="same id, another kind"),
    pytest.param({"account": OTHER}, id="same id, another account"),
    pytest.param({"kind": "host", "lookup": "L1"}, id="same lookup, another kind"),
])
def test_ids_and_lookups_are_unique_only_within_their_scope(store: SqlStore, record: MakeRecord,
                                                            other: dict[str, Any]) -> None:
    insert(store, record("c1", lookup="L1"))
    insert(store, record("c1", **other))
    insert(store, record("c2"), record("c3"))  # several records without a lookup


def test_a_conflict_caught_inside_the_transaction_leaves_it_usable(store: SqlStore, record: MakeRecord) -> None:
    insert(store, record("c1"))
    with store.transaction(ACCOUNT) as tx:
        with pytest.raises(Conflict):
            tx.insert(record("c1"))
        tx.insert(record("c2"))
    with store.read(ACCOUNT) as r:
        assert [x.id for x in r.list("connection")] == ["c1", "c2"]


def test_update_replaces_fields_and_tags_follow_a_renamed_arn(store: SqlStore, record: MakeRecord) -> None:
    user = record("AIDA1", kind="iam_user", name="alice", data={"Path": "/"})
    insert(store, user, tags={"team": "ci"})
    renamed = dataclasses.replace(user, name="bob", arn=user.arn.replace("AIDA1", "bob"), data={"Path": "/x/"},
                                  updated_at=user.updated_at + timedelta(hours=1), lookup="bob")
    with store.transaction(ACCOUNT) as tx:
        tx.update(renamed)
    with store.read(ACCOUNT) as r:
        assert r.get("iam_user", "AIDA1") == renamed
        assert r.get_by_arn(user.arn) is None
        assert r.tags(renamed.arn) == {"team": "ci"}


def test_update_of_a_missing_record_is_not_found(store: SqlStore, record: MakeRecord) -> None:
    with pytest.raises(NotFound), store.transaction(ACCOUNT) as tx:
        tx.update(record("nope"))


def test_update_onto_another_records_arn_is_a_conflict(store: SqlStore, record: MakeRecord) -> None:
    first, second = record("c1"), record("c2")
    insert(store, first, second)
    with pytest.raises(Conflict) as raised, store.transaction(ACCOUNT) as tx:
        tx.update(dataclasses.replace(second, arn=first.arn))
    assert raised.value.field == "arn"


def test_delete_removes_the_record_and_its_tags(store: SqlStore, record: MakeRecord) -> None:
    doomed = record("c1")
    insert(store, doomed, tags={"a": "1"})
    with store.transaction(ACCOUNT) as tx:
        assert tx.delete("connection", "c1") is True
        assert tx.delete("connection", "c1") is False
        with pytest.raises(NotFound):
            tx.tags(doomed.arn)
    insert(store, doomed)  # the same ARN again starts with no tags
    with store.read(ACCOUNT) as r:
        assert r.tags(doomed.arn) == {}


def test_an_exception_rolls_back_everything_including_tags(store: SqlStore, record: MakeRecord) -> None:
    kept, removed = record("c1", data={"v": 1}), record("c2")
    insert(store, kept, removed, tags={"keep": "yes"})
    with pytest.raises(RuntimeError, match="boom"), store.transaction(ACCOUNT) as tx:
        tx.insert(record("c3"))
        tx.set_tags(record("c3").arn, {"new": "tag"})
        tx.update(dataclasses.replace(kept, data={"v": 2}))
        tx.set_tags(kept.arn, {"keep": "changed", "extra": "1"})
        tx.remove_tags(removed.arn, ["keep"])
        tx.delete("connection", "c2")
        raise RuntimeError("boom")
    with store.read(ACCOUNT) as r:
        assert [x.id for x in r.list("connection")] == ["c1", "c2"]
        assert r.get("connection", "c1") == kept
        assert r.tags(kept.arn) == {"keep": "yes"}
        assert r.tags(removed.arn) == {"keep": "yes"}
        assert r.get_by_arn(record("c3").arn) is None


def test_list_pages_in_creation_order_not_id_order(store: SqlStore, record: MakeRecord) -> None:
    ids = ["m", "c", "x", "a", "q", "b", "z"]
    for id in ids:
        insert(store, record(id))
    seen: list[str] = []
    token: str | None = None
    pages = 0
    with store.read(ACCOUNT) as r:
        while True:
            page = r.list("connection", after=token, limit=3)
            seen += [x.id for x in page]
            pages += 1
            token = page.next_token
            if token is None:
                break
        assert len(r.list("connection")) == 7 and r.list("connection").next_token is None
        assert r.list("connection", limit=7).next_token is None
    assert seen == ids and pages == 3


def test_a_cursor_stays_valid_when_its_record_is_deleted(store: SqlStore, record: MakeRecord) -> None:
    for id in "abcd":
        insert(store, record(id))
    with store.read(ACCOUNT) as r:
        token = r.list("connection", limit=2).next_token
    with store.transaction(ACCOUNT) as tx:
        tx.delete("connection", "b")
        tx.insert(record("e"))
    with store.read(ACCOUNT) as r:
        assert [x.id for x in r.list("connection", after=token)] == ["c", "d", "e"]


@pytest.mark.parametrize("cursor", [pytest.param("abc", id="letters"), pytest.param("-1", id="negative"),
                                    pytest.param("", id="empty")])
def test_a_foreign_cursor_is_refused(store: SqlStore, cursor: str) -> None:
    with store.read(ACCOUNT) as r, pytest.raises(InvalidCursor):
        r.list("connection", after=cursor)


def test_list_and_count_filter_on_top_level_string_fields(store: SqlStore, record: MakeRecord) -> None:
    insert(store,
           record("g1", data={"ProviderType": "GitHub", "Status": "AVAILABLE"}),
           record("g2", data={"ProviderType": "GitHub", "Status": "PENDING"}),
           record("l1", data={"ProviderType": "GitLab", "Status": "AVAILABLE"}),
           record("n1", data={"ProviderType": 7, "Flag": True}),
           record("h1", kind="host", data={"ProviderType": "GitHub"}))
    insert(store, record("o1", account=OTHER, data={"ProviderType": "GitHub"}))
    with store.read(ACCOUNT) as r:
        assert [x.id for x in r.list("connection", where={"ProviderType": "GitHub"})] == ["g1", "g2"]
        assert [x.id for x in r.list("connection", where={"ProviderType": "GitHub", "Status": "PENDING"})] == ["g2"]
        assert r.count("connection", where={"ProviderType": "GitHub"}) == 2
        assert r.count("connection", where={"ProviderType": "7"}) == 0
        assert r.count("connection", where={"Flag": "true"}) == r.count("connection", where={"Flag": "1"}) == 0
        assert r.count("connection", where={"Missing": "x"}) == 0
        assert r.count("connection") == 4
        page = r.list("connection", where={"ProviderType": "GitHub"}, limit=1)
        assert [x.id for x in r.list("connection", where={"ProviderType": "GitHub"}, after=page.next_token)] == ["g2"]
        with pytest.raises(ValueError, match="field name"):
            r.list("connection", where={"a.b": "x"})


def test_list_limit_must_be_positive(store: SqlStore) -> None:
    with store.read(ACCOUNT) as r, pytest.raises(ValueError):
        r.list("connection", limit=0)


def test_tags_merge_and_remove(store: SqlStore, record: MakeRecord) -> None:
    target = record("c1")
    insert(store, target)
    with store.transaction(ACCOUNT) as tx:
        tx.set_tags(target.arn, {"b": "1", "a": "2"})
        tx.set_tags(target.arn, {"b": "changed", "c": ""})
        tx.set_tags(target.arn, {})
        tx.remove_tags(target.arn, ["a", "absent"])
        tx.remove_tags(target.arn, [])
    with store.read(ACCOUNT) as r:
        tags = r.tags(target.arn)
    assert tags == {"b": "changed", "c": ""} and list(tags) == ["b", "c"]


def test_a_record_read_with_its_tags_in_one_statement(store: SqlStore, record: MakeRecord) -> None:
    tagged, bare, theirs = record("c1"), record("c2"), record("c3", account=OTHER)
    for each in (tagged, bare, theirs):
        insert(store, each)
    with store.transaction(ACCOUNT) as tx:
        tx.set_tags(tagged.arn, {"team": "b", "env": "prod"})
    with store.read(ACCOUNT) as r:
        alone = r.get("connection", "c1")
    with store.read(ACCOUNT, single_statement=True) as r:
        found = r.get_with_tags("connection", "c1")
    assert found == (alone, {"env": "prod", "team": "b"}) and list(found[1]) == ["env", "team"]
    with store.read(ACCOUNT) as r:
        assert r.get_with_tags("connection", "c2") == (r.get("connection", "c2"), {})
        assert r.get_with_tags("connection", "c3") is None  # another account's
        assert r.get_with_tags("host", "c1") is None and r.get_with_tags("connection", "absent") is None


def test_tags_of_an_unknown_arn_are_not_found(store: SqlStore) -> None:
    with store.transaction(ACCOUNT) as tx:
        for call in (lambda: tx.tags("arn:none"), lambda: tx.set_tags("arn:none", {"a": "b"}),
                     lambda: tx.remove_tags("arn:none", ["a"])):
            with pytest.raises(NotFound):
                call()


def test_a_transaction_cannot_write_another_accounts_records(store: SqlStore, record: MakeRecord) -> None:
    theirs = record("c1", account=OTHER)
    insert(store, theirs)
    with store.transaction(ACCOUNT) as tx:
        for call in (lambda: tx.insert(record("c2", account=OTHER)), lambda: tx.update(theirs),
                     lambda: tx.set_tags(theirs.arn, {"a": "b"}), lambda: tx.remove_tags(theirs.arn, ["a"])):
            with pytest.raises(OutsideAccount):
                call()
        assert tx.delete("connection", "c1") is False  # scoped to the transaction's account


def test_a_transaction_is_unusable_after_it_ends(store: SqlStore) -> None:
    with store.transaction(ACCOUNT) as tx:
        pass
    with pytest.raises(StoreError, match="has ended"):
        tx.get("connection", "c1")


@pytest.mark.parametrize("inner", ["transaction", "read"])
def test_transactions_and_reads_do_not_nest_in_one_thread(store: SqlStore, inner: str) -> None:
    with store.transaction(ACCOUNT), pytest.raises(NestedUse):
        getattr(store, inner)(ACCOUNT).__enter__()
    with store.transaction(ACCOUNT):  # the guard was released
        pass


def test_records_need_aware_timestamps_and_names(record: MakeRecord) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(record("c1"), created_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="id"):
        record("")


def test_data_survives_reopening(durable_url: str, record: MakeRecord) -> None:
    first = open_store(durable_url)
    insert(first, record("c1", data={"x": "y"}), tags={"k": "v"})
    first.close()
    second = open_store(durable_url)
    try:
        with second.read(ACCOUNT) as r:
            assert r.get("connection", "c1") == record("c1", data={"x": "y"})
            assert r.tags(record("c1").arn) == {"k": "v"}
    finally:
        second.close()


def test_a_read_keeps_its_snapshot_and_does_not_wait_for_writers(durable_url: str, record: MakeRecord) -> None:
    store = open_store(durable_url)
    try:
        insert(store, record("c1"))
        writer_holds = threading.Event()
        release = threading.Event()

        def writer() -> None:
            with store.transaction(ACCOUNT) as tx:
                tx.insert(record("c2"))
                writer_holds.set()
                release.wait(10)

        thread = threading.Thread(target=writer)
        thread.start()
        assert writer_holds.wait(10)
        with store.read(ACCOUNT) as r:  # does not block on the open write transaction
            assert r.count("connection") == 1
            release.set()
            thread.join(10)
            assert r.count("connection") == 1  # still the snapshot
        with store.read(ACCOUNT) as r:
            assert r.count("connection") == 2
    finally:
        release.set()
        store.close()


def test_unsupported_database_urls_are_refused() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        open_store("mysql://user:hunter2@db/x")
    with pytest.raises(StoreError, match="no database URL"):
        open_store(None)


def test_the_default_url_is_a_sqlite_file_in_the_data_dir(tmp_path: Any, record: MakeRecord) -> None:
    store = open_store(data_dir=tmp_path / "data")
    try:
        insert(store, record("c1"))
    finally:
        store.close()
    assert (tmp_path / "data" / "codeconn.sqlite3").exists()


def test_all_is_complete_and_sorted() -> None:
    exported = set(store_package.__all__)
    public = {name for name in vars(store_package) if not name.startswith("_")} - {
        "base", "engines", "migrations", "reader", "schema", "secrets", "sql", "statements", "writer"}
    assert public == exported
    assert store_package.__all__ == sorted(store_package.__all__, key=lambda n: (not n.isupper(), n))


def test_the_interface_loads_no_sql() -> None:
    """Importing the interface (what the service layer does) never loads SQLAlchemy: only opening a store does."""
    code = "import sys, codeconn.store; assert 'sqlalchemy' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sqlite_files_use_wal_and_enforce_foreign_keys(tmp_path: Any) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()
