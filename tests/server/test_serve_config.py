"""ServeConfig's checks: the well-known key keeps the server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeconn.server.config import WELL_KNOWN_CREDENTIALS, ServeConfig, is_loopback
from codeconn.server.errors import ConfigError
from codeconn.server.limits import Limits, OnLoop


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.1.2.3", True), ("localhost", True), ("LOCALHOST", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("::", False), ("", False), ("192.168.1.10", False),
    ("example.com", False), ("localhost.example.com", False),
])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_defaults_are_the_commands_defaults() -> None:
    config = ServeConfig()
    assert (config.host, config.port, config.data_dir, config.database_url, config.iam.value, config.account_id,
            config.region) == ("127.0.0.1", 4599, Path(".codeconn"), None, "enforce", "000000000000", "us-east-1")
    assert config.root_credentials == WELL_KNOWN_CREDENTIALS and config.problems() == []
    assert config.audit_path == Path(".codeconn/audit.jsonl")


def test_the_well_known_key_refuses_other_addresses() -> None:
    with pytest.raises(ConfigError, match="refusing to listen on 0.0.0.0: the well-known root key test/test"):
        ServeConfig(host="0.0.0.0").check()
    ServeConfig(host="0.0.0.0", root_credentials=None).check()
    ServeConfig(host="0.0.0.0", root_credentials=("AKIAOWNKEY", STRONG)).check()


STRONG = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("secret", [
    pytest.param("x", id="one character"),
    pytest.param("ab" * 20, id="long but repetitive"),
    pytest.param("abcd" * 10, id="40 characters of 4 kinds: 80 bits"),
    pytest.param("Ab1!" * 7, id="28 characters: too short"),
])
def test_a_custom_root_secret_off_loopback_must_be_strong(secret: str) -> None:
    with pytest.raises(ConfigError, match="at least 32 characters and at least 128 bits of entropy"):
        ServeConfig(host="0.0.0.0", root_credentials=("AKIAOWNKEY", secret)).check()
    ServeConfig(host="127.0.0.1", root_credentials=("AKIAOWNKEY", secret)).check()  # loopback: any secret


def test_every_problem_is_listed(tmp_path: Path) -> None:
    config = ServeConfig(port=70000, account_id="123", region="moon", org_policies=tmp_path / "none",
                         root_credentials=("", "x"))
    assert [problem.split(" ")[0] for problem in config.problems()] == [
        "--port", "--account-id", "--region", "--org-policies", "the"]


def test_the_secret_stays_out_of_repr() -> None:
    assert "own-secret" not in repr(ServeConfig(root_credentials=("AKIAOWNKEY", "own-secret")))


def test_serving_in_thread_answers_then_releases_its_port() -> None:
    import socket

    import httpx
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from codeconn.server.runner import serving_in_thread

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hello"))])
    with serving_in_thread(app) as url:
        assert httpx.get(url).text == "hello"
        port = int(url.rsplit(":", 1)[1])
    with socket.create_server(("127.0.0.1", port)):  # free again once the block has ended
        pass


def test_requests_run_one_at_a_time_on_sqlite_and_three_at_a_time_on_postgresql() -> None:
    """PostgreSQL's round trips are waits another request can use; SQLite's reads are in-process work."""
    assert ServeConfig().running_requests == 1
    assert ServeConfig(database_url="sqlite:////tmp/x.sqlite3").running_requests == 1
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db", "PostgreSQL://h/d"):
        assert ServeConfig(database_url=url).running_requests == 3
    assert ServeConfig(database_url="postgresql://h/d", limits=Limits(running_requests=5)).running_requests == 5


def test_what_is_answered_on_the_event_loop_depends_on_the_database() -> None:
    """A SQLite file's reads never wait (WAL) but its writes may; PostgreSQL's every wait is awaited
    on the loop; the in-memory twin waits on a lock."""
    assert ServeConfig().on_loop is OnLoop.NO_WAIT
    assert ServeConfig(database_url="sqlite:////tmp/x.sqlite3").on_loop is OnLoop.NO_WAIT
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"):
        assert ServeConfig(database_url=url).on_loop is OnLoop.STORE, url
    for url in ("sqlite://", "sqlite:///:memory:", "::"):
        assert ServeConfig(database_url=url).on_loop is OnLoop.NOTHING, url
    assert ServeConfig(limits=Limits(on_loop=OnLoop.NOTHING)).on_loop is OnLoop.NOTHING
    assert ServeConfig(database_url="postgresql://h/d", limits=Limits(on_loop=OnLoop.NO_WAIT)).on_loop is OnLoop.NO_WAIT
