"""benchmarks/server.py runs end to end and reports every row (no wall-time assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "server.py"


@pytest.mark.slow
def test_reports_both_operations_with_and_without_enforcement() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--requests", "5", "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {(r["operation"], r["mode"]): r for r in report["results"]}
    assert set(rows) == {(op, mode) for op in ("CreateConnection", "GetConnection") for mode in ("enforce", "off")}
    for row in rows.values():
        assert row["requests"] == 5
        assert row["requests_per_second"] > 0 and 0 < row["p50_ms"] <= row["p99_ms"]
    assert set(report["enforce_over_off_p50"]) == {"CreateConnection", "GetConnection"}
