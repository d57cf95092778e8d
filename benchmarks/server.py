"""Requests per second and latency of the connections API through boto3, IAM on and off.

    .venv/bin/python benchmarks/server.py [--requests N] [--json]

Starts `codeconn serve` twice on loopback (each with a fresh data directory):
`--iam enforce` and `--iam off`. In each, an IAM user is created whose policy
allows the connections actions only for GitHub and only with a tag condition, so
enforcement evaluates real conditions; then the same boto3 calls are timed one at
a time: CreateConnection (each followed, untimed, by its DeleteConnection so the
250-connection quota is never reached) and GetConnection. The table gives
requests per second and p50/p99 latency for each, and the cost of authorization
as enforce's p50 over off's.
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
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
NO_RETRIES = Config(retries={"total_max_attempts": 1})
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "GitHubOnly", "Effect": "Allow", "Action": "codestar-connections:CreateConnection", "Resource": "*",
         "Condition": {"StringEquals": {"codestar-connections:ProviderType": "GitHub"}}},
        {"Sid": "ReadAndDeleteTeamConnections", "Effect": "Allow",
         "Action": ["codestar-connections:GetConnection", "codestar-connections:DeleteConnection"],
         "Resource": "arn:aws:codestar-connections:us-east-1:000000000000:connection/*"},
    ],
}


@dataclass(frozen=True)
class Result:
    mode: str
    operation: str
    requests: int
    seconds: float
    latencies_ms: tuple[float, ...]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "operation": self.operation, "requests": self.requests,
                "requests_per_second": round(self.per_second, 1), "p50_ms": round(self.percentile(50), 3),
                "p99_ms": round(self.percentile(99), 3), "mean_ms": round(statistics.fmean(self.latencies_ms), 3)}


@contextmanager
def serve(mode: str) -> Iterator[str]:
    """`codeconn serve --iam MODE` on a free loopback port; yields its URL; always stopped."""
    with tempfile.TemporaryDirectory(prefix="codeconn-bench-") as data_dir:
        process = subprocess.Popen(
            [sys.executable, "-m", "codeconn", "serve", "--port", "0", "--data-dir", data_dir, "--iam", mode],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
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


def client(url: str, service: str, key: str, secret: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, config=NO_RETRIES)


def user_client(url: str) -> Any:
    """A connections client signed by an IAM user with the benchmark policy."""
    iam = client(url, "iam", "test", "test")
    iam.create_user(UserName="bench")
    iam.put_user_policy(UserName="bench", PolicyName="connections", PolicyDocument=json.dumps(POLICY))
    key = iam.create_access_key(UserName="bench")["AccessKey"]
    return client(url, "codestar-connections", key["AccessKeyId"], key["SecretAccessKey"])


def timed(mode: str, operation: str, count: int, call: Callable[[int], Any],
          untimed: Callable[[Any], None] | None = None) -> Result:
    """`count` calls one at a time; `untimed` (a clean-up) runs after each, off the clock."""
    latencies: list[float] = []
    total = 0.0
    for i in range(count):
        start = time.perf_counter()
        value = call(i)
        took = time.perf_counter() - start
        total += took
        latencies.append(took * 1000)
        if untimed is not None:
            untimed(value)
    return Result(mode, operation, count, total, tuple(latencies))


def measure(mode: str, requests: int) -> list[Result]:
    with serve(mode) as url:
        connections = user_client(url)
        create = timed(
            mode, "CreateConnection", requests,
            lambda i: connections.create_connection(ProviderType="GitHub", ConnectionName=f"bench-{i}"),
            # each create is followed by its delete, so the 250-connection quota is never reached
            lambda created: connections.delete_connection(ConnectionArn=created["ConnectionArn"]))
        kept = connections.create_connection(ProviderType="GitHub", ConnectionName="bench-get")["ConnectionArn"]
        get = timed(mode, "GetConnection", requests, lambda _i: connections.get_connection(ConnectionArn=kept))
        return [create, get]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed calls per operation and mode")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results = measure("enforce", args.requests) + measure("off", args.requests)
    by_key = {(r.mode, r.operation): r for r in results}
    cost = {op: round(by_key[("enforce", op)].percentile(50) / by_key[("off", op)].percentile(50), 3)
            for op in ("CreateConnection", "GetConnection")}
    if args.json:
        print(json.dumps({"results": [r.to_json() for r in results], "enforce_over_off_p50": cost}))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"codeconn serve through boto3, one call at a time ({args.requests} per row)")
    for column in ("operation", "--iam", "requests/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column in ("operation", "--iam") else "right")
    for r in sorted(results, key=lambda r: (r.operation, r.mode)):
        table.add_row(r.operation, r.mode, f"{r.per_second:,.0f}", f"{r.percentile(50):.2f}",
                      f"{r.percentile(99):.2f}")
    console = Console()
    console.print(table)
    for op, ratio in cost.items():
        console.print(f"{op}: p50 with enforcement is {ratio:.2f}x the p50 without")
    return 0


if __name__ == "__main__":
    sys.exit(main())
