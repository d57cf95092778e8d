"""Every example in examples/ passes, through the library and through the CLI, and says what it claims.

The policy files beside each test file are the documents users copy into AWS; the
test file carries the same documents under the same names (the format has no file
references), so a test here keeps the two from drifting apart.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codeconn.policytest import load_file, read_document, run_cases

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
TEST_FILES = sorted(p for p in EXAMPLES.rglob("*.test.*") if p.suffix in (".json", ".yaml", ".yml"))
POLICY_FILES = sorted(p for p in EXAMPLES.rglob("*.json") if ".test." not in p.name)


def codeconn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codeconn", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)


def by_name(paths: list[Path]) -> list[Any]:
    return [pytest.param(p, id=str(p.relative_to(EXAMPLES))) for p in paths]


def test_there_are_examples_for_each_use_in_the_seed() -> None:
    folders = {p.parent.name for p in TEST_FILES}
    assert folders >= {"restrict-providers", "read-only-pipeline-role", "no-push-to-main", "pass-connection"}
    assert {p.suffix for p in TEST_FILES} >= {".json", ".yaml"}


@pytest.mark.parametrize("path", by_name(TEST_FILES))
def test_every_case_passes_through_the_library(path: Path) -> None:
    report = run_cases(load_file(path))
    failures = [(r.case.name, r.case.expect, r.decision.decision) for r in report.results if not r.passed]
    assert failures == []
    assert report.passed >= 5


@pytest.mark.parametrize("path", by_name(TEST_FILES))
def test_every_case_passes_through_the_cli(path: Path) -> None:
    done = codeconn("policy", "test", str(path), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["failed"] == 0
    assert report["passed"] == len(load_file(path))


def test_all_examples_run_together_as_the_readme_says() -> None:
    done = codeconn("policy", "test", *(str(p.relative_to(ROOT)) for p in TEST_FILES))
    assert done.returncode == 0, done.stdout + done.stderr
    total = sum(len(load_file(p)) for p in TEST_FILES)
    assert done.stdout.rstrip().splitlines()[-1] == f"{total} passed, 0 failed"


@pytest.mark.parametrize("path", by_name(POLICY_FILES))
def test_each_policy_file_is_the_document_its_test_file_tests(path: Path) -> None:
    tested = [read_document(t).get("policies", {}).get(path.stem) for t in TEST_FILES if t.parent == path.parent]
    assert read_document(path) in tested, f"no test file beside {path.name} tests it as {path.stem!r}"


def test_the_examples_use_both_service_prefixes_scps_and_a_boundary() -> None:
    texts = "\n".join(p.read_text() for p in TEST_FILES)
    assert "codestar-connections:" in texts and "codeconnections:" in texts
    assert "serviceControlPolicies" in texts and "permissionBoundaries" in texts


def readme_simulations() -> list[list[str]]:
    text = (EXAMPLES / "README.md").read_text()
    blocks = re.findall(r"^ {4}(codeconn policy simulate .*?)(?:\n\n|\Z)", text, flags=re.M | re.S)
    return [shlex.split(block.replace("\\\n", " "))[1:] for block in blocks]


@pytest.mark.parametrize("args", [pytest.param(a, id=f"readme-{i}") for i, a in enumerate(readme_simulations())])
def test_the_readme_simulations_run_and_show_the_push_to_main_denied(args: list[str]) -> None:
    done = codeconn(*args, "--json")
    assert done.returncode in (0, 1), done.stderr  # 1 only with --fail-on-deny
    [row] = json.loads(done.stdout)["results"]
    assert row["decision"] == "explicitDeny"
