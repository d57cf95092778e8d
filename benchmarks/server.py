"""Requests per second and latency of `codeconn serve` under load, each as a ratio to the health floor.

    .venv/bin/python benchmarks/server.py [--seconds S] [--connections C] [--repeat R]
        [--backends sqlite,postgresql] [--modes enforce,off] [--database-url URL] [--json]

For each backend (SQLite in a fresh data directory; PostgreSQL: a throwaway
cluster started as the tests start theirs, or `--database-url`, skipped with a
message when neither is there) and each `--iam` mode, `codeconn serve` is started
on loopback. Through boto3 the root creates an IAM user whose policy allows the
connections actions on `connection/*` (CreateConnection only for GitHub, a real
condition), its access key, and 25 connections as that user. Then requests
signed once by botocore are replayed by a load generator (`load.py`) at a fixed
concurrency (`--connections`, 16) for `--seconds` each:

    health            GET /_codeconn/health: the floor (HTTP, a worker thread, one store read)
    GetConnection     by the IAM user
    ListConnections   25 items
    TagResource       one tag on one connection (a write transaction)
    Create+Delete     a CreateConnection, then the DeleteConnection of its ARN (signed on
                      the spot): one unit is the pair

The generator is raw asyncio streams; where `wrk` is installed the floor is also
measured with it (`health (wrk)`), so a reader can see the Python client is not
the bottleneck; the other single requests are then replayed by wrk too, and each
row's ratio is to the floor measured by the same client. With `--repeat R` each row is measured R times and the medians
are shown. `--requests N` replaces the timed runs with N units per row (for
the test; the numbers then mean little).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import Exchange, Load, Replay, Unit, run_asyncio, run_wrk, single, wrk_available  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "000000000000"
REGION = "us-east-1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
LISTED = 25
NO_RETRIES = Config(retries={"total_max_attempts": 1})
SERVICE = "codestar-connections"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "GitHubOnly", "Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*",
         "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}},
        {"Sid": "List", "Effect": "Allow", "Action": "codestar-connections:ListConnections", "Resource": "*"},
        {"Sid": "TeamConnections", "Effect": "Allow",
         "Action": ["codestar-connections:GetConnection", "codestar-connections:DeleteConnection",
                    "codestar-connections:TagResource"],
         "Resource": f"arn:aws:codestar-connections:{REGION}:{ACCOUNT}:connection/*"},
    ],
}
OPERATIONS = ("health", "health (wrk)", "GetConnection", "ListConnections", "TagResource", "Create+Delete")


@dataclass(frozen=True)
class Row:
    """The median of a row's runs."""

    backend: str
    mode: str
    operation: str
    client: str
    per_second: float
    p50_ms: float
    p99_ms: float
    failures: int
    runs: int
    ratio: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "mode": self.mode, "operation": self.operation, "client": self.client,
                "requests_per_second": round(self.per_second, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.p99_ms, 3), "failures": self.failures, "runs": self.runs,
                "ratio_to_floor": round(self.ratio, 3)}


def median_row(backend: str, mode: str, operation: str, loads: list[Load]) -> Row:
    return Row(backend, mode, operation, loads[0].client, statistics.median(x.per_second for x in loads),
               statistics.median(x.p50_ms for x in loads), statistics.median(x.p99_ms for x in loads),
               sum(x.failures for x in loads), len(loads))


# --- the server -------------------------------------------------------------------------


@contextmanager
def serve(mode: str, database_url: str | None) -> Iterator[str]:
    """`codeconn serve --iam MODE` on a free loopback port (fresh data directory); yields its URL."""
    with tempfile.TemporaryDirectory(prefix="codeconn-bench-") as data_dir:
        command = [sys.executable, "-m", "codeconn", "serve", "--port", "0", "--data-dir", data_dir, "--iam", mode]
        if database_url is not None:
            command += ["--database-url", database_url]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            yield _wait_for_url(process)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return match.group(1)
    raise RuntimeError("codeconn serve did not start:\n" + "".join(seen))


@contextmanager
def postgres_urls(given: str | None) -> Iterator[Callable[[], str] | str]:
    """A maker of fresh database URLs on a throwaway cluster, `given`, or a reason PostgreSQL is skipped."""
    if given is not None:
        yield lambda: given
        return
    sys.path.insert(0, str(ROOT))
    try:
        from tests.postgres import PostgresUnavailable, start_postgres
    except ImportError as error:  # pytest or psycopg missing: not a test environment
        yield f"PostgreSQL skipped: {error}"
        return
    try:
        with start_postgres() as server:
            yield lambda: server.url(server.create_database())
    except PostgresUnavailable as error:
        yield f"PostgreSQL skipped: {error}"


# --- the requests -------------------------------------------------------------------------


def client(url: str, service: str, key: str, secret: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=NO_RETRIES)


def captured(boto_client: Any, operation: str, call: Callable[[], Any]) -> Replay:
    """The request `call` makes, as botocore signed and sent it (the call really happens)."""
    seen: list[Replay] = []

    def capture(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        headers = [(name, value.decode() if isinstance(value, bytes) else value)
                   for name, value in request.headers.items()]
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        seen.append(Replay(request.method, target, (("Host", parts.netloc), *headers), body))

    event = f"before-send.{SERVICE}.{operation}"
    boto_client.meta.events.register(event, capture)
    try:
        call()
    finally:
        boto_client.meta.events.unregister(event, capture)
    return seen[0]


@dataclass(frozen=True)
class Workload:
    """The replays of one server, and the unit that creates and deletes a connection."""

    replays: dict[str, Replay]
    create_delete: Unit


def set_up(url: str) -> Workload:
    iam = client(url, "iam", "test", "test")
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="connections", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    user = client(url, SERVICE, key["AccessKeyId"], key["SecretAccessKey"])
    arns = [user.create_connection(ProviderType="GitHub", ConnectionName=f"bench-{i}")["ConnectionArn"]
            for i in range(LISTED)]
    kept = arns[0]
    netloc = urlsplit(url).netloc
    replays = {
        "health": Replay("GET", "/_codeconn/health", (("Host", netloc), ("User-Agent", "codeconn-bench"))),
        "GetConnection": captured(user, "GetConnection", lambda: user.get_connection(ConnectionArn=kept)),
        "ListConnections": captured(user, "ListConnections", lambda: user.list_connections(MaxResults=50)),
        "TagResource": captured(user, "TagResource", lambda: user.tag_resource(
            ResourceArn=kept, Tags=[{"Key": "team", "Value": "bench"}])),
    }
    extra = user.create_connection(ProviderType="GitHub", ConnectionName="bench-extra")["ConnectionArn"]
    create = captured(user, "CreateConnection", lambda: user.create_connection(
        ProviderType="GitHub", ConnectionName="bench-pair"))
    delete = captured(user, "DeleteConnection", lambda: user.delete_connection(ConnectionArn=extra))
    signer = SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), SERVICE, REGION)
    return Workload(replays, _create_delete(url, create, delete, signer))


def _create_delete(url: str, create: Replay, delete: Replay, signer: SigV4Auth) -> Unit:
    """CreateConnection of a new name, then DeleteConnection of its ARN, both signed here (names are unique)."""
    netloc = urlsplit(url).netloc
    counter = iter(range(1 << 62))

    def signed(template: Replay, body: dict[str, str]) -> bytes:
        unsigned = {name: value for name, value in template.headers
                    if name.lower() not in ("authorization", "x-amz-date", "host", "content-length")}
        request = AWSRequest("POST", url.rstrip("/") + template.target, data=json.dumps(body), headers=unsigned)
        signer.add_auth(request)
        prepared = request.prepare()
        data = prepared.body if isinstance(prepared.body, bytes) else (prepared.body or "").encode()
        headers = (("Host", netloc), *((n, str(v)) for n, v in prepared.headers.items()))
        return Replay("POST", template.target, headers, data).wire()

    async def unit(exchange: Exchange) -> bool:
        name = f"pair-{next(counter)}"
        status, body = await exchange(signed(create, {"ProviderType": "GitHub", "ConnectionName": name}))
        if status != 200:
            return False
        status, _ = await exchange(signed(delete, {"ConnectionArn": json.loads(body)["ConnectionArn"]}))
        return status == 200

    return unit


# --- measuring ------------------------------------------------------------------------------


def measure_server(backend: str, mode: str, database_url: str | None, args: argparse.Namespace) -> list[Row]:
    with serve(mode, database_url) as url:
        work = set_up(url)
        units: dict[str, Unit] = {name: single(replay) for name, replay in work.replays.items()}
        units["Create+Delete"] = work.create_delete
        timing = {"connections": args.connections, "seconds": args.seconds, "requests": args.requests}
        rows = []
        use_wrk = args.requests is None and wrk_available()
        for operation in OPERATIONS:
            if operation == "health (wrk)" and not use_wrk:
                continue
            replay = work.replays.get(operation.removesuffix(" (wrk)"))
            if replay is not None and use_wrk and operation != "health":
                loads = [run_wrk(url, replay, connections=args.connections, seconds=args.seconds)
                         for _ in range(args.repeat)]
            else:
                loads = [run_asyncio(url, units[operation], **timing) for _ in range(args.repeat)]
            rows.append(median_row(backend, mode, operation, loads))
        floors = {row.client: row.per_second for row in rows if row.operation.startswith("health")}
        return [Row(**{**row.__dict__, "ratio": row.per_second / floors[row.client] if floors[row.client] else 0.0})
                for row in rows]


def print_table(rows: list[Row], notes: list[str], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    how = f"{args.requests} units per row" if args.requests is not None else f"{args.seconds:g} s per row"
    table = Table(title=f"codeconn serve, pre-signed requests at {args.connections} connections ({how}, "
                        f"median of {args.repeat})")
    for column in ("backend", "--iam", "operation", "client", "req/s", "p50 ms", "p99 ms", "x floor", "non-2xx"):
        table.add_column(column, justify="left" if column in ("backend", "--iam", "operation", "client") else "right")
    for r in rows:
        table.add_row(r.backend, r.mode, r.operation, r.client, f"{r.per_second:,.0f}", f"{r.p50_ms:.1f}",
                      f"{r.p99_ms:.1f}", f"{r.ratio:.2f}", str(r.failures))
    console = Console(width=150)
    console.print(table)
    for note in notes:
        console.print(note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each timed run (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the medians are shown")
    parser.add_argument("--requests", type=int, default=None, help="N units per row instead of timed runs")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--modes", default="enforce,off", help="comma-separated --iam modes")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL to use instead of a throwaway one")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    modes = [m for m in args.modes.split(",") if m]
    rows: list[Row] = []
    notes: list[str] = []
    with ExitStack() as stack:
        for backend in backends:
            if backend == "sqlite":
                maker: Callable[[], str | None] | str = lambda: None  # noqa: E731
            elif backend == "postgresql":
                maker = stack.enter_context(postgres_urls(args.database_url))
            else:
                parser.error(f"unknown backend {backend!r}")
            if isinstance(maker, str):
                notes.append(maker)
                continue
            for mode in modes:
                rows += measure_server(backend, mode, maker(), args)
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in rows], "notes": notes}))
    else:
        print_table(rows, notes, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
