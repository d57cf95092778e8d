"""CPU time per GetConnection (or TagResource) on the server's request path, IAM enforced, with an optional profile.

    .venv/bin/python benchmarks/profile_request.py [--calls N] [--profile] [--top K] [--sort cumulative|tottime]

Builds the real components (`build_components`, what `codeconn serve` builds) on a
fresh data directory and serves them in-process; through boto3 the root creates
an IAM user with a policy (a ProviderType condition on CreateConnection, an ARN
pattern on GetConnection), an access key, and, as that user, a connection. One
GetConnection of the user (`--operation TagResource`: one tag on the connection),
signed by botocore, is captured on its way out; then
the same signed request is answered N times, timed per call by wall clock and by
process CPU time (`time.process_time`):

- `edge`: `Edge.handle`, the whole request path from the HTTP request's bytes to
  the response's (protocol, SigV4, caller, validation, handler, authorization,
  serialization, audit line), without HTTP;
- `asgi`: the Starlette app through httpx's ASGI transport, so the HTTP request
  building and the worker thread hand-off are counted too.

Client-side signing is not in the timings: the request is signed once. With
`--profile`, the `edge` loop runs under cProfile and the top entries by
cumulative time are printed after the table.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config
from starlette.applications import Starlette

from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog
from codeconn.server.components import build_components
from codeconn.server.config import ServeConfig
from codeconn.server.edge import Edge, Incoming
from codeconn.server.runner import serving_in_thread
from codeconn.wire.sigv4 import HttpRequest

ACCOUNT = "000000000000"
NO_RETRIES = Config(retries={"total_max_attempts": 1})
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*",
         "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}},
        {"Effect": "Allow", "Action": ["codestar-connections:GetConnection", "codestar-connections:TagResource"],
         "Resource": f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/*"},
    ],
}


@dataclass(frozen=True)
class Captured:
    """One signed request as botocore sent it (the HTTP layer adds `Host`, which is signed)."""

    method: str
    url: httpx.URL
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def http_request(self) -> HttpRequest:
        return HttpRequest.build(self.method, self.url.raw_path.split(b"?")[0].decode(), self.url.query.decode(),
                                 (("host", self.url.netloc.decode()), *self.headers), self.body)


@dataclass(frozen=True)
class Timing:
    path: str
    calls: int
    wall: tuple[float, ...]
    cpu: tuple[float, ...]

    def row(self) -> list[str]:
        ms = 1000.0
        return [self.path, str(self.calls), f"{statistics.mean(self.cpu) * ms:.3f}",
                f"{statistics.median(self.cpu) * ms:.3f}", f"{statistics.mean(self.wall) * ms:.3f}",
                f"{statistics.median(self.wall) * ms:.3f}", f"{self.calls / sum(self.wall):.0f}"]


def client(url: str, service: str, key: str = "test", secret: str = "test") -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=NO_RETRIES)


OPERATIONS = ("GetConnection", "TagResource")


def set_up(url: str, operation: str = "GetConnection") -> Captured:
    """The user, its policy, its key and a connection; returns one signed `operation` of that user
    (GetConnection, or TagResource of one tag on the connection)."""
    iam = client(url, "iam")
    iam.create_user(UserName="profiled")
    iam.put_user_policy(UserName="profiled", PolicyName="connections", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="profiled")["AccessKey"]
    user = client(url, "codestar-connections", key["AccessKeyId"], key["SecretAccessKey"])
    arn = user.create_connection(ConnectionName="profiled", ProviderType="GitHub")["ConnectionArn"]
    captured: list[Captured] = []

    def capture(request: Any, **_: Any) -> None:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        headers = tuple((name, value.decode() if isinstance(value, bytes) else value)
                        for name, value in request.headers.items())
        captured.append(Captured(request.method, httpx.URL(request.url), headers, body))

    user.meta.events.register(f"before-send.codestar-connections.{operation}", capture)
    if operation == "TagResource":
        user.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "profiled"}])
    else:
        user.get_connection(ConnectionArn=arn)
    return captured[0]


@contextmanager
def running_app(data_dir: Path) -> Iterator[tuple[Starlette, str]]:
    config = ServeConfig(host="127.0.0.1", port=0, data_dir=data_dir)
    components = build_components(config)
    audit = AuditLog(config.audit_path)
    try:
        app = create_app(config, store=components.store, secrets=components.secrets,
                         directory=components.directory, authorizer=components.authorizer,
                         registry=components.registry, audit=audit,
                         service_models=components.service_models, iam_catalog=components.iam_catalog)
        with serving_in_thread(app, config.host) as url:
            yield app, url
    finally:
        audit.close()
        components.close()


def timed(path: str, calls: int, call: Callable[[], int]) -> Timing:
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(calls):
        w0, c0 = time.perf_counter(), time.process_time()
        status = call()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        if status != 200:
            raise SystemExit(f"{path}: the request answered {status}")
    return Timing(path, calls, tuple(wall), tuple(cpu))


def measure_edge(edge: Edge, captured: Captured, calls: int) -> Timing:
    def one() -> int:
        return edge.handle(Incoming(captured.http_request()))[0]

    one()  # warm: the caller and its compiled policies are cached from here on
    return timed("edge", calls, one)


def measure_asgi(app: Starlette, captured: Captured, calls: int) -> Timing:
    async def run() -> Timing:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport) as http:
            async def one() -> int:
                response = await http.request(captured.method, captured.url, headers=list(captured.headers),
                                              content=captured.body)
                return response.status_code

            await one()
            wall: list[float] = []
            cpu: list[float] = []
            for _ in range(calls):
                w0, c0 = time.perf_counter(), time.process_time()
                status = await one()
                cpu.append(time.process_time() - c0)
                wall.append(time.perf_counter() - w0)
                if status != 200:
                    raise SystemExit(f"asgi: the request answered {status}")
            return Timing("asgi", calls, tuple(wall), tuple(cpu))

    return asyncio.run(run())


def profile(edge: Edge, captured: Captured, calls: int, top: int, sort: str = "cumulative") -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        edge.handle(Incoming(captured.http_request()))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per path (default 2000)")
    parser.add_argument("--profile", action="store_true", help="also profile the edge loop with cProfile")
    parser.add_argument("--top", type=int, default=40, help="profile entries to print (default 40)")
    parser.add_argument("--operation", default="GetConnection", choices=OPERATIONS,
                        help="the request answered (default GetConnection)")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"],
                        help="order of the profile entries (default cumulative)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="codeconn-profile-") as tmp, running_app(Path(tmp)) as (app, url):
        captured = set_up(url, args.operation)
        edge: Edge = app.state.edge
        timings = [measure_edge(edge, captured, args.calls), measure_asgi(app, captured, args.calls)]
        report = profile(edge, captured, args.calls, args.top, args.sort) if args.profile else ""
    header = ["path", "calls", "CPU ms mean", "CPU ms p50", "wall ms mean", "wall ms p50", "calls/s"]
    rows = [header, *(t.row() for t in timings)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths))))
    if report:
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
