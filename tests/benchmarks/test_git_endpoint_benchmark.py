"""benchmarks/git_endpoint.py runs end to end and reports clone and push (no wall-time assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "git_endpoint.py"


@pytest.mark.slow
def test_reports_clone_and_push_through_the_endpoint_and_directly() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--files", "50", "--commits", "10", "--rounds", "1",
                           "--json"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [row["operation"] for row in report["results"]] == ["clone", "push"]
    for row in report["results"]:
        assert row["endpoint_s"] > 0 and row["direct_s"] > 0 and row["ratio"] > 0
    assert report["clone_target_ratio"] == 1.3
