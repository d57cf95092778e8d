"""Requests answered on the event loop (issue 13, `server.workers`, `OnLoop`), and those that are not.

With its default SQLite file the server answers a request on the event loop
itself while nothing it does waits, and sends it to a worker thread when its write
would wait for another writer; with PostgreSQL every request that only uses the
store is answered on the loop, its round trips awaited there. A call that reaches
a code host always goes to a thread. What a client must see either way: a write is
written once and audited once, with only the decisions it rests on; a call waiting
on a code host never holds up the reads of others; and a write waiting for a lock
holds up no other request.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from handshake_clients import handshake_client
from real_server import RealServer, real_server

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from codeconn.server.audit import read_audit
from codeconn.server.limits import OnLoop
from codeconn.store.engines import DEFAULT_SQLITE_NAME, create_store_engine

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from github_server import CLIENT_SECRET, PAT, SECRET_ENV, remote_providers_file  # noqa: E402

WAIT = 30.0  # seconds any one step may take before the test fails instead of hanging


DATABASES = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")]


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> dict[str, str]:
    """ServeConfig overrides: the default SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        return {}
    return {"database_url": str(request.getfixturevalue("postgres_url"))}


@pytest.fixture
def server(tmp_path: Path, database: dict[str, str]) -> Iterator[RealServer]:
    with real_server(tmp_path / "data", **database) as running:
        assert running.config.on_loop is (OnLoop.STORE if database else OnLoop.NO_WAIT)
        yield running


def test_a_write_that_began_on_the_event_loop_is_written_once_and_audited_once(server: RealServer) -> None:
    client = server.client("codestar-connections")
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="tagged")["ConnectionArn"]
    first = client.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
    second = client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    read = client.get_connection(ConnectionArn=arn)
    tags = client.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "a")]
    assert read["Connection"]["ConnectionArn"] == arn
    records = read_audit(server.config.audit_path).records
    for response in (first, second, read):
        lines = [r for r in records if r.request_id == response["ResponseMetadata"]["RequestId"]]
        assert len(lines) == 1 and lines[0].status == 200
        assert [d.action for d in lines[0].decisions] == [lines[0].action], lines[0]
    assert [r.operation for r in records].count("TagResource") == 2


class Unanswering:
    """A code host that accepts connections and answers nothing until `release()`, then 401 to each."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.url = self.api_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self.reached = threading.Event()
        self._released = threading.Event()
        self._accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._released.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._accepted.append(connection)
            self.reached.set()

    def release(self) -> None:
        if self._released.is_set():
            return
        self._released.set()
        self._thread.join(WAIT)
        for connection in self._accepted:
            with connection:
                connection.sendall(b'HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n'
                                   b'Content-Length: 2\r\nConnection: close\r\n\r\n{}')
        self._listener.close()


@contextmanager
def unanswering_github(tmp_path: Path) -> Iterator[tuple[Unanswering, Path]]:
    host = Unanswering()
    try:
        yield host, remote_providers_file(tmp_path / "providers.json", host)
    finally:
        host.release()


def test_a_call_waiting_on_a_code_host_never_holds_up_reads(tmp_path: Path, database: dict[str, str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    with unanswering_github(tmp_path) as (host, providers), \
            real_server(tmp_path / "data", providers_file=providers, **database) as server, \
            ThreadPoolExecutor(1) as pool:
        patient = Config(read_timeout=WAIT, retries={"total_max_attempts": 1})
        client = server.client("codestar-connections", config=patient)
        arn = client.create_connection(ProviderType="GitHub", ConnectionName="waiting")["ConnectionArn"]
        handshake = handshake_client(server.url, "codestar-connections")
        waiting = pool.submit(handshake.get_individual_access_token, ProviderType="GitHub",
                              PersonalAccessToken=PAT)
        assert host.reached.wait(WAIT), "the token check never reached the code host"
        read = client.get_connection(ConnectionArn=arn)
        listed = client.list_connections()["Connections"]
        assert not waiting.done(), "the call that waits on the code host ended before the reads were answered"
        assert read["Connection"]["ConnectionStatus"] == "PENDING" and [c["ConnectionArn"] for c in listed] == [arn]
        host.release()
        with pytest.raises(ClientError) as refused:  # the code host refused the token at last
            waiting.result(WAIT)
        assert refused.value.response["Error"]["Code"] == "InvalidInputException"


def wait_for_lock_waiters(engine: Engine, count: int) -> None:
    """Return once `count` of codeconn's connections wait for a lock (fail after WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'codeconn' "
                 "AND wait_event_type = 'Lock' AND datname = current_database()")
    while True:
        with engine.connect() as connection:
            waiting = connection.execute(query).scalar_one()
        if waiting >= count:
            return
        assert time.monotonic() < deadline, f"{waiting} of {count} writes reached the lock"
        time.sleep(0.02)


@contextmanager
def write_lock_held(server: RealServer) -> Iterator[Callable[[], None]]:
    """Another replica's long write transaction on the server's database, holding what the server's
    writes of its account must wait for; yields how to wait until the writes sent wait for it.

    Neither database shows every waiting writer: SQLite shows none, and on PostgreSQL the
    server's writers of one account queue in the process with one of them on the row
    (`SqlStore._queued`); that one is waited for, and the rest are given time to arrive."""
    url = server.config.database_url
    if url is None:  # SQLite: the database's write lock, from another connection
        holder = sqlite3.connect(server.config.data_dir / DEFAULT_SQLITE_NAME, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield lambda: time.sleep(0.3)  # time to reach the lock
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        return
    engine = create_store_engine(make_url(url), pool_size=1).engine  # PostgreSQL: the account's row lock
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT account_id FROM accounts WHERE account_id = :account FOR UPDATE"),
                               {"account": server.config.account_id})

            def reached() -> None:
                wait_for_lock_waiters(engine, 1)
                time.sleep(0.3)

            yield reached
            connection.rollback()
    finally:
        engine.dispose()


def test_a_write_waiting_for_a_lock_holds_up_no_other_request(server: RealServer) -> None:
    """A write waiting for another writer waits in a worker thread (SQLite) or awaited on the event
    loop (PostgreSQL): more writers than the server runs at once (`running_requests`) wait, and
    reads and the health check are answered meanwhile; each write lands once the lock is released."""
    with ThreadPoolExecutor(8) as pool:
        patient = Config(read_timeout=WAIT, retries={"total_max_attempts": 1})
        client = server.client("codestar-connections", config=patient)
        writers = server.config.running_requests + 1
        arns = [client.create_connection(ProviderType="GitHub", ConnectionName=f"locked-{n}")["ConnectionArn"]
                for n in range(writers)]
        with write_lock_held(server) as reached:
            waiting = [pool.submit(client.tag_resource, ResourceArn=arn, Tags=[{"Key": "team", "Value": "a"}])
                       for arn in arns]
            reached()
            read = client.get_connection(ConnectionArn=arns[0])
            listed = client.list_connections()["Connections"]
            healthy = httpx.get(f"{server.url}/_codeconn/health", timeout=WAIT)
            assert not any(future.done() for future in waiting), "a write did not wait for the lock"
            assert read["Connection"]["ConnectionArn"] == arns[0]
            assert sorted(c["ConnectionArn"] for c in listed) == sorted(arns)
            assert healthy.status_code == 200
        for future in waiting:
            future.result(WAIT)
        for arn in arns:
            assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
