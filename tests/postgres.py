"""A throwaway PostgreSQL server for the tests, and fixtures that hand out fresh databases.

The server is a cluster made by `initdb` in a temporary directory, listening on a
Unix socket in that directory only (no TCP port to race for, nothing reachable
from outside), with trust authentication and fsync off. PostgreSQL refuses to run
as root, so as root the binaries run as the `postgres` user (made by Debian's
`postgresql` package) through `runuser`. Every wait is bounded, and the server is
stopped and its directory removed however the session ends.

`CODECONN_TEST_POSTGRES_URL` (a superuser URL) uses an existing server instead.
Without either, PostgreSQL tests are skipped, except when `CI` is set: there
they fail, so CI cannot pass by silently skipping them.

Fixtures (import them into a conftest): `postgres_server` and `postgres_database`
(session) and `postgres_url` (a new, empty schema per test, dropped afterwards:
a schema costs milliseconds where CREATE DATABASE costs 0.3 s).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import URL, make_url

EXTERNAL_URL_VARIABLE = "CODECONN_TEST_POSTGRES_URL"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 30
SERVER_OPTIONS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                  "-c max_connections=200")


class PostgresUnavailable(Exception):
    """No PostgreSQL binaries (or the cluster could not be started); the message says why."""


@dataclass(frozen=True)
class PostgresServer:
    """Where to reach the server: `base` is a superuser's URL (its database is ignored)."""

    base: URL

    def url(self, database: str, *, schema: str | None = None) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of `database`, optionally confined to `schema`."""
        url = self.base.set(drivername="postgresql+psycopg", database=database)
        if schema is not None:
            url = url.update_query_dict({"options": f"-c search_path={schema}"})
        return url.render_as_string(hide_password=False)

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        """An autocommit psycopg connection, for setting up and tearing down."""
        conninfo = self.base.set(drivername="postgresql", database=database).render_as_string(
            hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)

    def create_database(self) -> str:
        """A new empty database (about 0.3 s: prefer `create_schema` per test); returns its name."""
        name = f"codeconn_test_{uuid.uuid4().hex[:12]}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def create_schema(self, database: str) -> str:
        """A new empty schema in `database` (milliseconds); returns its name."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.connect(database) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        return name

    def drop_schema(self, database: str, name: str) -> None:
        with self.connect(database) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin holding initdb, else initdb on PATH."""
    candidates = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    versioned = [p for p in candidates if re.fullmatch(r"\d+", p.parent.name)]
    if versioned:
        return max(versioned, key=lambda p: int(p.parent.name))
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _run(command: list[str], *, run_as: str | None, cwd: Path, timeout: float) -> None:
    full = ["runuser", "-u", run_as, "--", *command] if run_as else command
    try:
        result = subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PostgresUnavailable(f"{Path(command[0]).name} did not finish in {timeout} s") from None
    if result.returncode != 0:
        raise PostgresUnavailable(f"{Path(command[0]).name} failed ({result.returncode}): "
                                  f"{(result.stderr or result.stdout).strip()[-2000:]}")


def _stop(bin_dir: Path, data: Path, *, run_as: str | None, cwd: Path) -> None:
    """Immediate shutdown; if pg_ctl cannot, SIGKILL the postmaster named in postmaster.pid."""
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    try:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", str(STOP_TIMEOUT_SECONDS),
              "stop"], run_as=run_as, cwd=cwd, timeout=STOP_TIMEOUT_SECONDS + 10)
    except PostgresUnavailable:
        try:
            os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


@contextmanager
def start_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway cluster (or use CODECONN_TEST_POSTGRES_URL); stop it on exit."""
    external = os.environ.get(EXTERNAL_URL_VARIABLE)
    if external:
        yield PostgresServer(make_url(external))
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no PostgreSQL binaries (apt-get install postgresql)")
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="codeconn-pg-", dir="/tmp" if run_as else None))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    try:
        if run_as:
            for path in (root, sockets):
                shutil.chown(path, user=run_as)
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"], run_as=run_as, cwd=root, timeout=START_TIMEOUT_SECONDS)
        try:
            _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w",
                  "-t", str(START_TIMEOUT_SECONDS), "-o", f"-k {sockets} -p 5432 {SERVER_OPTIONS}", "start"],
                 run_as=run_as, cwd=root, timeout=START_TIMEOUT_SECONDS + 10)
            yield PostgresServer(URL.create("postgresql", username="postgres", database="postgres",
                                            query={"host": str(sockets), "port": "5432"}))
        finally:
            _stop(bin_dir, data, run_as=run_as, cwd=root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server: skipped where there is none, failed under CI."""
    try:
        server = start_postgres()
        started = server.__enter__()
    except PostgresUnavailable as reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL unavailable: {reason}")
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_database(postgres_server: PostgresServer) -> Iterator[str]:
    """One database for the session; each test gets its own schema in it."""
    name = postgres_server.create_database()
    try:
        yield name
    finally:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, postgres_database: str) -> Iterator[str]:
    """The SQLAlchemy URL of a fresh, empty schema (search_path set in the URL), dropped afterwards."""
    schema = postgres_server.create_schema(postgres_database)
    try:
        yield postgres_server.url(postgres_database, schema=schema)
    finally:
        postgres_server.drop_schema(postgres_database, schema)
