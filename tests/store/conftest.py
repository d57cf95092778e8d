"""Fixtures for the store: one suite over every backend.

`store` is parametrised over SQLite in WAL mode on a file ("sqlite"), the
in-memory twin ("memory") and a throwaway PostgreSQL database ("postgresql"), and
that database again with each test's body run in a greenlet on an event loop
("postgresql-on-loop"), where the store uses its loop engine (psycopg's
AsyncConnection, every round trip awaited), as the server does (`server.workers`).
`durable_url` covers only the backends that outlive closing (reopen, migrations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from greenlet_loop import run_in_greenlet
from postgres import postgres_database, postgres_server, postgres_url  # noqa: F401  (fixtures)

from codeconn.store import Record
from codeconn.store.sql import SqlStore, open_store

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
EPOCH = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)

MakeRecord = Callable[..., Record]


def arn_of(kind: str, id: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:codeconnections:us-west-2:{account}:{kind}/{id}"


def make_record(id: str, kind: str = "connection", *, account: str = ACCOUNT, name: str | None = None,
                data: dict[str, Any] | None = None, lookup: str | None = None, arn: str | None = None,
                minute: int = 0) -> Record:
    """A record with predictable fields; `minute` moves both timestamps."""
    stamp = EPOCH + timedelta(minutes=minute)
    return Record(account_id=account, kind=kind, id=id, arn=arn or arn_of(kind, id, account),
                  name=name if name is not None else f"name-{id}", data=data if data is not None else {},
                  created_at=stamp, updated_at=stamp, lookup=lookup)


ON_LOOP = "postgresql-on-loop"
ON_LOOP_WAIT = 120.0  # seconds a test body may take on the loop before it fails instead of hanging


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if backend == "memory":
        return "sqlite://"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("memory", id="memory"),
                        pytest.param("postgresql", id="postgresql"), pytest.param(ON_LOOP, id=ON_LOOP)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _url("postgresql" if request.param == ON_LOOP else request.param, tmp_path, request)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """With "postgresql-on-loop", the test's body runs in a greenlet on a new event loop."""
    callspec = getattr(pyfuncitem, "callspec", None)
    if callspec is None or callspec.params.get("store_url") != ON_LOOP:
        return None
    arguments = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_in_greenlet(pyfuncitem.obj, timeout=ON_LOOP_WAIT, **arguments)
    return True


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")])
def durable_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL whose database outlives `close()` (not the in-memory twin)."""
    return _url(request.param, tmp_path, request)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def record() -> MakeRecord:
    """`record(id, kind="connection", account=..., data=..., lookup=..., arn=..., minute=0)`."""
    return make_record
