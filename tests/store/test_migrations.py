"""Migrations: applied at open, each exactly once, all or nothing, never downgraded."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import (
    Connection,
    Dialect,
    Inspector,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    create_engine,
    insert,
    inspect,
    text,
)

from codeconn.store import SchemaError
from codeconn.store.migrations import MIGRATIONS, Migration, migrate
from codeconn.store.sql import open_store
from codeconn.store.engines import create_store_engine, parse_url
from codeconn.store.schema import metadata, schema_version


def counting_step(version: int, calls: list[int]) -> Migration:
    def apply(conn: Connection) -> None:
        calls.append(version)
        conn.execute(text(f"CREATE TABLE extra_{version} (x INTEGER)"))

    return Migration(version, f"extra table {version}", apply)


def versions(url: str) -> list[int]:
    engine = create_store_engine(parse_url(url, None)).engine
    try:
        with engine.connect() as conn:
            return [row.version for row in conn.execute(schema_version.select().order_by("version"))]
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_store_engine(parse_url(url, None)).engine
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_opening_applies_every_step_once(durable_url: str) -> None:
    open_store(durable_url).close()
    open_store(durable_url).close()
    assert versions(durable_url) == [m.version for m in MIGRATIONS]


def test_a_migrated_database_has_exactly_the_tables_and_columns_of_schema_py(durable_url: str) -> None:
    open_store(durable_url).close()
    engine = create_store_engine(parse_url(durable_url, None)).engine
    try:
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == set(metadata.tables)
        for table in metadata.sorted_tables:
            columns = {column["name"]: column["nullable"] for column in inspector.get_columns(table.name)}
            assert columns == {column.name: column.nullable for column in table.columns}, table.name
    finally:
        engine.dispose()


def _declared(table: Table, dialect: Dialect) -> dict[str, Any]:
    """What schema.py declares for `table`: keys, indexes, foreign keys and column types."""
    return {
        "primary key": [column.name for column in table.primary_key],
        "unique": {(c.name, tuple(col.name for col in c.columns)) for c in table.constraints
                   if isinstance(c, UniqueConstraint) and not isinstance(c, PrimaryKeyConstraint)},
        "indexes": {(ix.name, tuple(col.name for col in ix.columns), bool(ix.unique)) for ix in table.indexes},
        "foreign keys": {(tuple(fk.parent.name for fk in c.elements), c.referred_table.name,
                          tuple(fk.column.name for fk in c.elements), c.ondelete)
                         for c in table.foreign_key_constraints},
        "types": {column.name: column.type.compile(dialect=dialect) for column in table.columns},
    }


def _reflected(inspector: Inspector, name: str, dialect: Dialect) -> dict[str, Any]:
    """The same facts, read back from a migrated database."""
    return {
        "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
        "unique": {(c["name"], tuple(c["column_names"])) for c in inspector.get_unique_constraints(name)},
        "indexes": {(ix["name"], tuple(ix["column_names"]), bool(ix["unique"])) for ix in inspector.get_indexes(name)
                    if not ix.get("duplicates_constraint")},
        "foreign keys": {(tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]),
                          fk["options"].get("ondelete")) for fk in inspector.get_foreign_keys(name)},
        "types": {column["name"]: column["type"].compile(dialect=dialect) for column in inspector.get_columns(name)},
    }


def test_a_migrated_database_has_the_keys_indexes_and_types_of_schema_py(durable_url: str) -> None:
    """Migration 1 repeats the table definitions of schema.py: the two must describe one schema."""
    open_store(durable_url).close()
    engine = create_store_engine(parse_url(durable_url, None)).engine
    try:
        inspector = inspect(engine)
        for table in metadata.sorted_tables:
            assert _reflected(inspector, table.name, engine.dialect) == _declared(table, engine.dialect), table.name
    finally:
        engine.dispose()


def test_a_new_step_is_applied_once_across_opens(durable_url: str) -> None:
    open_store(durable_url).close()
    calls: list[int] = []
    steps = (*MIGRATIONS, counting_step(len(MIGRATIONS) + 1, calls))
    open_store(durable_url, migrations=steps).close()
    open_store(durable_url, migrations=steps).close()
    assert calls == [len(MIGRATIONS) + 1]
    assert versions(durable_url) == [m.version for m in steps]


def test_processes_opening_at_once_apply_each_step_once(durable_url: str) -> None:
    calls: list[int] = []
    steps = (*MIGRATIONS, counting_step(len(MIGRATIONS) + 1, calls))
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_one() -> None:
        try:
            engine = create_store_engine(parse_url(durable_url, None)).engine  # one engine each, like a process
            barrier.wait(30)
            try:
                migrate(engine, steps)
            finally:
                engine.dispose()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert calls == [len(MIGRATIONS) + 1]
    assert versions(durable_url) == [m.version for m in steps]


def test_a_failing_step_leaves_the_database_as_it_was(durable_url: str) -> None:
    open_store(durable_url).close()
    calls: list[int] = []

    def broken(conn: Connection) -> None:
        conn.execute(text("CREATE TABLE half_done (x INTEGER)"))
        raise RuntimeError("step failed half way")

    steps = (*MIGRATIONS, counting_step(len(MIGRATIONS) + 1, calls), Migration(len(MIGRATIONS) + 2, "broken", broken))
    with pytest.raises(SchemaError, match=r"migration \d+ \(broken\) failed"):
        open_store(durable_url, migrations=steps)
    assert versions(durable_url) == [m.version for m in MIGRATIONS]
    assert not {"half_done", f"extra_{len(MIGRATIONS) + 1}"} & table_names(durable_url)


def test_a_database_newer_than_the_code_is_refused(durable_url: str) -> None:
    open_store(durable_url).close()
    engine = create_store_engine(parse_url(durable_url, None)).engine
    try:
        with engine.begin() as conn:
            conn.execute(insert(schema_version).values(version=99, name="from the future",
                                                       applied_at=text("CURRENT_TIMESTAMP")))
    finally:
        engine.dispose()
    with pytest.raises(SchemaError, match="version 99, newer than this codeconn knows"):
        open_store(durable_url)


@pytest.mark.parametrize("numbers", [pytest.param([2], id="not starting at 1"),
                                     pytest.param([1, 3], id="a gap"), pytest.param([1, 1], id="a repeat")])
def test_steps_must_be_numbered_in_order(numbers: list[int]) -> None:
    steps = [Migration(n, f"step {n}", lambda conn: None) for n in numbers]
    with pytest.raises(SchemaError, match="in order"):
        migrate(create_engine("sqlite://"), steps)


def test_migration_2_scopes_connection_names_to_their_region(durable_url: str) -> None:
    """A database written before connections became regional keeps its connections, named per Region."""
    from datetime import datetime, timezone

    from codeconn.store.schema import records

    engine = create_store_engine(parse_url(durable_url, None)).engine
    try:
        migrate(engine, MIGRATIONS[:1])
        now = datetime.now(timezone.utc)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO accounts (account_id) VALUES ('111122223333')"))
            for kind, record_id, lookup in (("connection", "c1", "111122223333:app"),
                                            ("host", "h1", None)):
                conn.execute(insert(records).values(
                    account_id="111122223333", kind=kind, id=record_id, arn=f"arn:{record_id}", name="app",
                    lookup=lookup, data={"Region": "eu-west-1"}, created_at=now, updated_at=now))
        assert migrate(engine) == [2]
        with engine.connect() as conn:
            found = dict(conn.execute(records.select().with_only_columns(records.c.kind, records.c.lookup)).all())
    finally:
        engine.dispose()
    assert found == {"connection": "111122223333:eu-west-1:app", "host": None}
