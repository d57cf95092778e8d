"""Load generators for `benchmarks/server.py`: pre-signed requests replayed at a fixed concurrency.

Two generators answer the same question (how many requests per second, and the
latency of each, with `connections` kept-alive connections each sending its next
request as soon as the last is answered):

- `run_asyncio`: raw asyncio streams, one coroutine per connection, the request's
  bytes written as they are and the response read by its Content-Length. It needs
  nothing installed and can run a `Sequence` whose later requests depend on the
  earlier answers (CreateConnection, then DeleteConnection of the ARN it returned,
  signed on the spot).
- `run_wrk`: `wrk` (C, one thread) with a Lua script replaying one request, where
  installed. Used to check that the asyncio client is not the bottleneck.

A `Replay` is one request's bytes; its signature stays valid for the whole run
(SigV4 allows 15 minutes of clock skew), which is how the issue measured.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Replay:
    """One HTTP request, ready to send again and again."""

    method: str
    target: str  # path and query, exactly as signed
    headers: tuple[tuple[str, str], ...]  # Host included
    body: bytes = b""

    def wire(self) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1",
                 *(f"{name}: {value}" for name, value in self.headers
                   if name.lower() not in ("content-length", "connection")),
                 f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(frozen=True)
class Load:
    """What one run measured: the units done, the latencies of their requests, the units that failed.

    A unit of several requests (a create and its delete) counts once in `requests`,
    and each of its requests is a latency: p99 is a request's, as a user sees it.
    """

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    client: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(latencies: list[float], p: float) -> float:
    if not latencies:
        return 0.0
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


Exchange = Callable[[bytes], Awaitable[tuple[int, bytes]]]
# One unit of work on one connection: given a way to send a request and read its
# answer, do what the unit needs (one request, or a create then its delete); return
# False when an answer was not the one wanted.
Unit = Callable[[Exchange], Awaitable[bool]]


def single(replay: Replay) -> Unit:
    """A unit that sends `replay` once and wants a 2xx."""
    data = replay.wire()

    async def unit(exchange: Exchange) -> bool:
        status, _ = await exchange(data)
        return 200 <= status < 300

    return unit


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length, close = 0, False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, body, close


async def _worker(host: str, port: int, unit: Unit, until: float, remaining: list[int], units: list[int],
                  latencies: list[float], failures: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)

    async def exchange(data: bytes) -> tuple[int, bytes]:
        nonlocal reader, writer
        start = time.perf_counter()
        writer.write(data)
        status, body, close = await _read_answer(reader)
        latencies.append((time.perf_counter() - start) * 1000)
        if close:
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        return status, body

    try:
        while time.perf_counter() < until and remaining[0] != 0:
            remaining[0] -= 1
            ok = await unit(exchange)
            units[0] += 1
            if not ok:
                failures[0] += 1
    finally:
        writer.close()


def run_asyncio(url: str, unit: Unit, *, connections: int, seconds: float, requests: int | None = None,
                warmup: float = 0.5) -> Load:
    """`connections` workers repeating `unit` for `seconds` (or until `requests` units are done)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80

    async def run(duration: float, limit: int | None) -> Load:
        latencies: list[float] = []
        units, failures = [0], [0]
        remaining = [-1 if limit is None else limit]
        start = time.perf_counter()
        until = start + duration
        await asyncio.gather(*(_worker(host, port, unit, until, remaining, units, latencies, failures)
                               for _ in range(connections)))
        return Load(units[0], time.perf_counter() - start, percentile(latencies, 50),
                    percentile(latencies, 99), failures[0], "asyncio")

    if warmup and requests is None:
        asyncio.run(run(warmup, None))
    return asyncio.run(run(seconds if requests is None else 3600.0, requests))


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str | bytes) -> str:
    """A Lua string literal of any bytes (every byte as a decimal escape)."""
    data = text.encode("latin-1") if isinstance(text, str) else text
    return '"' + "".join(f"\\{byte}" for byte in data) + '"'


_DONE = """
done = function(summary, latency, requests)
  io.write(string.format("WRK-RESULT {\\"requests\\": %d, \\"seconds\\": %f, \\"non2xx\\": %d, "
    .. "\\"errors\\": %d, \\"p50_us\\": %d, \\"p99_us\\": %d}\\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(url: str, replay: Replay, *, connections: int, seconds: float) -> Load:
    """`wrk -t1 -c<connections>` replaying `replay`; latencies are wrk's p50 and p99 only."""
    lines = [f"wrk.method = {_lua_string(replay.method)}", f"wrk.path = {_lua_string(replay.target)}",
             f"wrk.body = {_lua_string(replay.body)}"]
    lines += [f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}" for name, value in replay.headers
              if name.lower() not in ("content-length", "connection", "host")]
    with tempfile.TemporaryDirectory(prefix="codeconn-wrk-") as tmp:
        script = Path(tmp) / "replay.lua"
        script.write_text("\n".join(lines) + "\n" + _DONE)
        done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script),
                               url], capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = re.search(r"WRK-RESULT (\{.*\})", done.stdout)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    found = json.loads(match.group(1))
    return Load(found["requests"], found["seconds"], found["p50_us"] / 1000, found["p99_us"] / 1000,
                found["non2xx"] + found["errors"], "wrk")


__all__ = ["Exchange", "Load", "Replay", "Unit", "percentile", "run_asyncio", "run_wrk", "single", "wrk_available"]
