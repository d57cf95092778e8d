"""Requests per second and latency of `codeconn serve` under load, each as a ratio to the health floor.

    .venv/bin/python benchmarks/server.py [--seconds S] [--connections C] [--repeat R]
        [--backends sqlite,postgresql] [--modes enforce,off] [--database-url URL] [--json]

For each backend (SQLite in a fresh data directory; PostgreSQL: a throwaway
cluster started as the tests start theirs, or `--database-url`, skipped with a
message when neither is there) and each `--iam` mode, `codeconn serve` is started
on loopback (the servers of one backend all at once: each run of a row is made
for every mode in turn, so a machine that slows down mid-way slows every mode
alike). Through boto3 the root creates an IAM user whose policy allows the
connections actions on `connection/*` (CreateConnection only for GitHub, a real
condition), its access key, and 25 connections as that user. Then requests
signed once by botocore are replayed by a load generator (`load.py`) at a fixed
concurrency (`--connections`, 16) for `--seconds` each:

    health            GET /_codeconn/health: the floor (HTTP, a worker thread, one store read)
    GetConnection     by the IAM user
    ListConnections   25 items
    TagResource       one tag on one connection (a write transaction)
    Create+Delete     a CreateConnection, then the DeleteConnection of its ARN (signed on
                      the spot): req/s counts pairs, p50 and p99 are of each request

The generator is raw asyncio streams; where `wrk` is installed the floor is also
measured with it (`health (wrk)`), so a reader can see the Python client is not
the bottleneck; the other single requests are then replayed by wrk too, and each
row's ratio is to the floor measured by the same client. With `--repeat R` each row is measured R times and the medians
are shown. `--requests N` replaces the timed runs with N units per row (for
the test; the numbers then mean little).

After the table, each target of issue 13 is checked against the rows it names:

    GetConnection, --iam enforce, on SQLite     at least 0.50 of the floor
    TagResource, --iam enforce, on SQLite       at least 0.30 of the floor
    the same two on PostgreSQL                  within 1.5x of SQLite's ratio: PostgreSQL's
                                                req/s over its own floor at least SQLite's / 1.5
    every operation, enforce against off        at least 0.90 of off's req/s
    every operation, at 16 connections          p99 under 50 ms

"Within 1.5x of SQLite" compares ratios to each database's own floor: the floor's
health check reads the store too, so PostgreSQL's floor is itself below SQLite's
(about 1,700-2,000 req/s against 3,100-3,500 on the 2-core machine the issue names),
and comparing raw req/s would measure the database, not the request path. The
raw req/s of PostgreSQL against SQLite are printed with the targets all the same.
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


def measure_backend(backend: str, modes: list[str], database_url: Callable[[], str | None],
                    args: argparse.Namespace) -> list[Row]:
    """Every row of `backend`: one server per mode, all started first, each run of a row made for
    every mode in turn; the medians, each as a ratio to its own server's floor."""
    with ExitStack() as servers:
        urls = {mode: servers.enter_context(serve(mode, database_url())) for mode in modes}
        work = {mode: set_up(url) for mode, url in urls.items()}
        use_wrk = args.requests is None and wrk_available()
        timing = {"connections": args.connections, "seconds": args.seconds, "requests": args.requests}
        loads: dict[tuple[str, str], list[Load]] = {}
        for _ in range(args.repeat):
            for operation in OPERATIONS:
                if operation == "health (wrk)" and not use_wrk:
                    continue
                for mode in modes:
                    replay = work[mode].replays.get(operation.removesuffix(" (wrk)"))
                    if replay is not None and use_wrk and operation != "health":
                        load = run_wrk(urls[mode], replay, connections=args.connections, seconds=args.seconds)
                    else:
                        unit = work[mode].create_delete if replay is None else single(replay)
                        load = run_asyncio(urls[mode], unit, **timing)
                    loads.setdefault((mode, operation), []).append(load)
    rows = [median_row(backend, mode, operation, runs) for (mode, operation), runs in loads.items()]
    rows.sort(key=lambda row: (modes.index(row.mode), OPERATIONS.index(row.operation)))
    floors = {(row.mode, row.client): row.per_second for row in rows if row.operation.startswith("health")}
    return [Row(**{**row.__dict__, "ratio": row.per_second / floor if (floor := floors[row.mode, row.client]) else 0.0})
            for row in rows]


# --- the targets ----------------------------------------------------------------------------

MEASURED = tuple(operation for operation in OPERATIONS if not operation.startswith("health"))
FLOOR_TARGETS = {"GetConnection": 0.50, "TagResource": 0.30}
POSTGRESQL_WITHIN = 1.5
ENFORCE_WITHIN = 0.10
P99_LIMIT_MS = 50.0
P99_AT_CONNECTIONS = 16


@dataclass(frozen=True)
class Target:
    """One of issue 13's targets, as these rows measured it."""

    what: str
    measured: str
    met: bool | None  # None: a figure shown for information, not a target

    def to_json(self) -> dict[str, Any]:
        return {"target": self.what, "measured": self.measured, "met": self.met}


def targets(rows: list[Row], connections: int) -> list[Target]:
    """Each target whose rows were measured (a backend or mode left out leaves its targets out)."""
    found = {(r.backend, r.mode, r.operation): r for r in rows}

    def row(backend: str, mode: str, operation: str) -> Row | None:
        return found.get((backend, mode, operation))

    out: list[Target] = []
    for operation, floor in FLOOR_TARGETS.items():
        sqlite = row("sqlite", "enforce", operation)
        if sqlite is not None:
            out.append(Target(f"{operation}, enforce, SQLite: at least {floor:.2f}x the floor",
                              f"{sqlite.ratio:.2f}x", sqlite.ratio >= floor))
        postgresql = row("postgresql", "enforce", operation)
        if sqlite is not None and postgresql is not None:
            least = sqlite.ratio / POSTGRESQL_WITHIN
            out.append(Target(f"{operation}, enforce, PostgreSQL: within {POSTGRESQL_WITHIN}x of SQLite's ratio "
                              f"(at least {least:.2f}x)", f"{postgresql.ratio:.2f}x", postgresql.ratio >= least))
            out.append(Target(f"{operation}, enforce: SQLite's req/s over PostgreSQL's (information)",
                              f"{sqlite.per_second / postgresql.per_second:.2f}x" if postgresql.per_second else "-",
                              None))
    for backend in dict.fromkeys(r.backend for r in rows):
        for operation in MEASURED:
            enforce, off = row(backend, "enforce", operation), row(backend, "off", operation)
            if enforce is not None and off is not None and off.per_second:
                share = enforce.per_second / off.per_second
                out.append(Target(f"{operation}, {backend}: enforce within {ENFORCE_WITHIN:.0%} of off",
                                  f"{share:.2f} of off", share >= 1 - ENFORCE_WITHIN))
    if connections == P99_AT_CONNECTIONS:
        slowest = max((r for r in rows if r.operation in MEASURED), key=lambda r: r.p99_ms, default=None)
        if slowest is not None:
            out.append(Target(f"every operation: p99 under {P99_LIMIT_MS:.0f} ms at {connections} connections",
                              f"{slowest.p99_ms:.1f} ms at most ({slowest.backend} {slowest.mode} "
                              f"{slowest.operation})", slowest.p99_ms < P99_LIMIT_MS))
    return out


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
    if args.requests is None:
        checked = Table(title="issue 13's targets")
        for column in ("target", "measured", "met"):
            checked.add_column(column)
        for target in targets(rows, args.connections):
            met = "-" if target.met is None else "yes" if target.met else "NO"
            checked.add_row(target.what, target.measured, met)
        console.print(checked)
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
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database to use instead of a throwaway one (one --modes only)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    modes = [m for m in args.modes.split(",") if m]
    if args.database_url is not None and "postgresql" in backends and len(modes) > 1:
        parser.error("--database-url serves one mode: each mode's server sets up its own user and connections")
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
            rows += measure_backend(backend, modes, maker, args)
    if args.json:
        checked = targets(rows, args.connections) if args.requests is None else []
        print(json.dumps({"results": [r.to_json() for r in rows], "targets": [t.to_json() for t in checked],
                          "notes": notes}))
    else:
        print_table(rows, notes, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
