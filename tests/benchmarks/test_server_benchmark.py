"""benchmarks/server.py runs end to end and reports every row (no wall-time assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "server.py"
OPERATIONS = {"health", "GetConnection", "ListConnections", "TagResource", "Create+Delete"}


@pytest.mark.slow
def test_reports_every_operation_with_and_without_enforcement_as_a_ratio_to_the_floor() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--requests", "5", "--connections", "2",
                           "--backends", "sqlite", "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {(r["operation"], r["mode"]): r for r in report["results"]}
    assert set(rows) == {(op, mode) for op in OPERATIONS for mode in ("enforce", "off")}
    for row in rows.values():
        assert row["backend"] == "sqlite" and row["client"] == "asyncio" and row["failures"] == 0
        assert row["requests_per_second"] > 0 and 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["ratio_to_floor"] > 0
    assert {rows[("health", mode)]["ratio_to_floor"] for mode in ("enforce", "off")} == {1.0}
