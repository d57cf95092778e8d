"""Migrations: applied at open, each exactly once, all or nothing, never downgraded."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Connection, create_engine, insert, inspect, text

from codeconn.store import MIGRATIONS, Migration, SchemaError, migrate, open_store
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
