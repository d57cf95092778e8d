"""benchmarks/pipeline_source.py runs end to end and reports both sides and the ratio (no wall-time assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "pipeline_source.py"


def test_reports_the_source_action_beside_git_archive() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--runs", "2", "--files", "5", "--json"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = {r["side"]: r for r in report["results"]}
    assert set(rows) == {"source action", "git archive"}
    assert all(row["runs"] == 2 and 0 < row["p50_ms"] <= row["p99_ms"] for row in rows.values())
    assert report["source_over_git_archive_p50"] > 0 and report["target"] == 1.5
