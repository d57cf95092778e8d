"""Many clients at once against one `codeconn serve`: afterwards the state is exactly what succeeded.

Eight threads, each with its own boto3 client (half on codestar-connections, half
on codeconnections), create connections (some tagged, some contending for the
same name), tag and untag them, and delete connections any thread created. Every
call that succeeded is recorded; every failure must be one the race explains
(the name was taken, the connection was deleted or retagged meanwhile). Afterwards the
paginated ListConnections and every ListTagsForResource must equal the model
built from the successes alone. Then a quota race: more CreateHost calls than
the quota of 50 hosts per Region, at once: exactly 50 succeed.

Each runs on the SQLite default and on PostgreSQL (`--database-url`); the quota
race runs once more across two replicas sharing one PostgreSQL database.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

THREADS = 8
OPERATIONS_PER_THREAD = 25
CONTESTED_NAMES = 4
HOST_QUOTA = 50
HOST_ATTEMPTS = 70
CALL_TIMEOUT = 120.0
SERVICES = ("codestar-connections", "codeconnections")


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql")])
def database_args(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The `codeconn serve` arguments choosing the database: none (SQLite in the data dir), or PostgreSQL."""
    if request.param == "sqlite":
        return ()
    return ("--database-url", str(request.getfixturevalue("postgres_url")))


@dataclass
class Model:
    """What the successful calls say must exist: ARN -> (name, provider type, tags)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: dict[str, tuple[str, str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    name_winners: dict[str, list[str]] = field(default_factory=dict)
    unexplained: list[str] = field(default_factory=list)

    def known(self) -> list[str]:
        with self.lock:
            return sorted(self.connections)


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


RACED = {"ResourceNotFoundException", "ConcurrentModificationException"}
"""The failures a race explains for a call on an existing connection: deleted meanwhile, or its tags
changed between authorization and the write (codeconn's `recheck`: the decision must hold for what is written)."""


def run_worker(number: int, client: Any, model: Model, start: threading.Barrier) -> None:
    """One thread's operations; every outcome recorded in `model`."""
    rng = random.Random(number)
    mine: dict[str, set[str]] = {}  # ARN -> the tag keys this thread added (only this thread touches them)
    start.wait(timeout=CALL_TIMEOUT)
    for step in range(OPERATIONS_PER_THREAD):
        roll = rng.random()
        known = model.known()
        if roll < 0.35 or not known:
            contested = roll < 0.05
            name = f"shared-{step % CONTESTED_NAMES}" if contested else f"c-{number}-{step}"
            provider = rng.choice(["GitHub", "Bitbucket", "GitLab"])
            tags = {f"made-by-{number}": str(step)} if rng.random() < 0.5 else {}
            try:
                arn = client.create_connection(
                    ProviderType=provider, ConnectionName=name,
                    **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}))["ConnectionArn"]
            except ClientError as error:
                if not (contested and error_code(error) == "ResourceAlreadyExistsException"):
                    model.unexplained.append(f"create {name}: {error}")
                continue
            with model.lock:
                model.connections[arn] = (name, provider)
                model.tags[arn] = dict(tags)
                if contested:
                    model.name_winners.setdefault(name, []).append(arn)
        elif roll < 0.65:
            arn = rng.choice(known)
            tag_key = f"k-{number}-{step}"
            try:
                client.tag_resource(ResourceArn=arn, Tags=[{"Key": tag_key, "Value": f"v{step}"}])
            except ClientError as error:
                if error_code(error) not in RACED:
                    model.unexplained.append(f"tag {arn}: {error}")
                continue
            mine.setdefault(arn, set()).add(tag_key)
            with model.lock:
                model.tags[arn][tag_key] = f"v{step}"
        elif roll < 0.8 and mine:
            arn = rng.choice(sorted(mine))
            tag_key = min(mine[arn])
            try:
                client.untag_resource(ResourceArn=arn, TagKeys=[tag_key, "never-set"])
            except ClientError as error:
                if error_code(error) not in RACED:
                    model.unexplained.append(f"untag {arn}: {error}")
                continue
            mine[arn].discard(tag_key)
            if not mine[arn]:
                del mine[arn]
            with model.lock:
                model.tags[arn].pop(tag_key, None)
        else:
            arn = rng.choice(known)
            try:
                client.delete_connection(ConnectionArn=arn)
            except ClientError as error:
                if error_code(error) not in RACED:
                    model.unexplained.append(f"delete {arn}: {error}")
                continue
            with model.lock:
                if arn in model.deleted:
                    model.unexplained.append(f"delete {arn} succeeded twice")
                model.deleted.add(arn)


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(0..count-1)` in `count` threads at once; their results, their exceptions re-raised."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(work, number) for number in range(count)]
        return [future.result(timeout=CALL_TIMEOUT) for future in futures]


def all_pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):
        page = call(MaxResults=7, **params, **({"NextToken": token} if token else {}))
        items.extend(page[key])
        token = page.get("NextToken")
        if not token:
            return items
    raise AssertionError("the listing did not end")


@contextmanager
def server_for(tmp_path: Path, database_args: tuple[str, ...]) -> Iterator[ServeProcess]:
    with serve(tmp_path / "data", *database_args) as server:
        yield server


def test_concurrent_creates_tags_and_deletes_leave_exactly_what_succeeded(
        tmp_path: Path, database_args: tuple[str, ...]) -> None:
    with server_for(tmp_path, database_args) as server:
        clients = [server.client(SERVICES[number % 2]) for number in range(THREADS)]  # made here: not thread-safe
        model = Model()
        start = threading.Barrier(THREADS)
        in_threads(THREADS, lambda number: run_worker(number, clients[number], model, start))

        assert model.unexplained == []
        for name, winners in model.name_winners.items():  # a name is free again once its holder is deleted
            assert len([arn for arn in winners if arn not in model.deleted]) <= 1, f"{name}: {winners}"
        expected = {arn: value for arn, value in model.connections.items() if arn not in model.deleted}
        assert len(model.connections) > 20 and model.deleted, "the workload did too little to prove anything"

        reader = server.client("codestar-connections")
        listed = all_pages(reader.list_connections, "Connections")
        assert len(listed) == len({c["ConnectionArn"] for c in listed}), "a connection was listed twice"
        assert len(listed) == len({c["ConnectionName"] for c in listed}), "a name is held twice"
        assert {c["ConnectionArn"]: (c["ConnectionName"], c["ProviderType"]) for c in listed} == expected
        for arn in expected:
            tags = reader.list_tags_for_resource(ResourceArn=arn)["Tags"]
            assert {t["Key"]: t["Value"] for t in tags} == model.tags[arn], arn
        for arn in model.deleted:
            with pytest.raises(reader.exceptions.ResourceNotFoundException):
                reader.get_connection(ConnectionArn=arn)
        assert server.stop() == 0


def race_host_creates(clients: list[Any], provider: str, endpoint: str) -> None:
    """One thread per client, all creating hosts at once, HOST_ATTEMPTS in all: exactly the
    quota succeeds and every other create is LimitExceededException."""
    threads = len(clients)
    start = threading.Barrier(threads)

    def create_hosts(number: int) -> list[str]:
        outcomes = []
        start.wait(timeout=CALL_TIMEOUT)
        for attempt in range(HOST_ATTEMPTS // threads):
            try:
                clients[number].create_host(Name=f"h{number}-{attempt}", ProviderType=provider,
                                            ProviderEndpoint=endpoint)
                outcomes.append("created")
            except ClientError as error:
                outcomes.append(error_code(error))
        return outcomes

    outcomes = [outcome for per_thread in in_threads(threads, create_hosts) for outcome in per_thread]
    assert outcomes.count("created") == HOST_QUOTA
    assert outcomes.count("LimitExceededException") == HOST_ATTEMPTS - HOST_QUOTA


def test_concurrent_host_creates_stop_exactly_at_the_quota(tmp_path: Path, database_args: tuple[str, ...]) -> None:
    with server_for(tmp_path, database_args) as server:
        clients = [server.client(SERVICES[number % 2]) for number in range(10)]
        race_host_creates(clients, "GitHubEnterpriseServer", "https://ghe.example.com")
        hosts = all_pages(server.client("codeconnections").list_hosts, "Hosts")
        assert len(hosts) == len({h["HostArn"] for h in hosts}) == HOST_QUOTA
        assert server.stop() == 0


def test_concurrent_creates_of_one_name_make_exactly_one_connection(
        tmp_path: Path, database_args: tuple[str, ...]) -> None:
    with server_for(tmp_path, database_args) as server:
        threads = 12
        clients = [server.client(SERVICES[number % 2]) for number in range(threads)]
        start = threading.Barrier(threads)

        def create(number: int) -> str:
            start.wait(timeout=CALL_TIMEOUT)
            try:
                return str(clients[number].create_connection(ProviderType="GitHub", ConnectionName="the-one")[
                    "ConnectionArn"])
            except ClientError as error:
                return error_code(error)

        outcomes = in_threads(threads, create)
        created = [outcome for outcome in outcomes if outcome.startswith("arn:")]
        assert len(created) == 1, outcomes
        assert outcomes.count("ResourceAlreadyExistsException") == threads - 1
        listed = server.client("codeconnections").list_connections()["Connections"]
        assert [c["ConnectionArn"] for c in listed] == created
        assert server.stop() == 0


def test_the_host_quota_holds_across_two_replicas_of_one_postgresql_database(
        tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"  # shared: the replicas must share the secret key too
    with serve(data, "--database-url", postgres_url) as one, serve(data, "--database-url", postgres_url) as two:
        clients = [(one, two)[number % 2].client(SERVICES[number % 2]) for number in range(10)]
        race_host_creates(clients, "GitLabSelfManaged", "https://gitlab.example.com")
        for replica in (one, two):
            hosts = all_pages(replica.client("codeconnections").list_hosts, "Hosts")
            assert len({h["HostArn"] for h in hosts}) == HOST_QUOTA
        assert one.stop() == 0 and two.stop() == 0
