"""benchmarks/providers.py runs end to end and reports every row (no wall-time assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "providers.py"


def test_reports_both_operations_beside_git() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--calls", "3", "--branches", "5", "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {(r["operation"], r["side"]): r for r in report["results"]}
    assert set(rows) == {(op, side) for op in ("ListBranches", "GetBranch") for side in ("provider", "git")}
    assert all(row["calls"] == 3 and 0 < row["p50_ms"] <= row["p99_ms"] for row in rows.values())
    assert set(report["provider_over_git_p50"]) == {"ListBranches", "GetBranch"} and report["branches"] == 6
    table = subprocess.run([sys.executable, str(SCRIPT), "--calls", "2", "--branches", "1"],
                           capture_output=True, text=True, timeout=120, check=True).stdout
    assert "ListBranches" in table and "ratio" in table
