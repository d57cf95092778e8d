"""benchmarks/server.py checks issue 13's targets against the rows it measured."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _server_benchmark() -> ModuleType:
    sys.path.insert(0, str(BENCHMARKS))  # server.py imports its sibling load.py
    try:
        spec = importlib.util.spec_from_file_location("server_benchmark", BENCHMARKS / "server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


bench = _server_benchmark()


def rows(**measured: tuple[float, float, float]) -> list[Any]:
    """`sqlite_enforce_GetConnection=(req/s, ratio, p99)`, ...; Create+Delete is spelt CreateDelete."""
    out = []
    for name, (per_second, ratio, p99) in measured.items():
        backend, mode, operation = name.split("_", 2)
        operation = operation.replace("CreateDelete", "Create+Delete")
        out.append(bench.Row(backend, mode, operation, "wrk", per_second, p99 / 2, p99, 0, 1, ratio))
    return out


def verdicts(measured: list[Any], connections: int = 16) -> dict[str, bool | None]:
    return {target.what: target.met for target in bench.targets(measured, connections)}


def test_the_floor_targets_and_postgresql_within_one_and_a_half_times_sqlite_ratio() -> None:
    found = verdicts(rows(sqlite_enforce_GetConnection=(1600, 0.51, 12), sqlite_enforce_TagResource=(900, 0.29, 20),
                          postgresql_enforce_GetConnection=(700, 0.33, 30),
                          postgresql_enforce_TagResource=(300, 0.20, 40)))
    assert found["GetConnection, enforce, SQLite: at least 0.50x the floor"] is True
    assert found["TagResource, enforce, SQLite: at least 0.30x the floor"] is False
    assert found["GetConnection, enforce, PostgreSQL: within 1.5x of SQLite's ratio (at least 0.34x)"] is False
    assert found["TagResource, enforce, PostgreSQL: within 1.5x of SQLite's ratio (at least 0.19x)"] is True
    assert found["GetConnection, enforce: SQLite's req/s over PostgreSQL's (information)"] is None
    assert found["every operation: p99 under 50 ms at 16 connections"] is True


def test_enforce_within_ten_percent_of_off_and_the_slowest_p99() -> None:
    measured = rows(sqlite_enforce_ListConnections=(895, 0.3, 20), sqlite_off_ListConnections=(1000, 0.33, 20),
                    sqlite_enforce_CreateDelete=(400, 0.1, 50), sqlite_off_CreateDelete=(410, 0.1, 49))
    found = verdicts(measured)
    assert found["ListConnections, sqlite: enforce within 10% of off"] is False
    assert found["Create+Delete, sqlite: enforce within 10% of off"] is True
    assert found["every operation: p99 under 50 ms at 16 connections"] is False
    assert "every operation: p99 under 50 ms at 16 connections" not in verdicts(measured, connections=8)
    assert not any("PostgreSQL" in what for what in found)  # a backend not measured has no targets
