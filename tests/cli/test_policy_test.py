"""`codeconn policy test`: the exit codes, the JSON shape and the messages that policy-test-format.md promises."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codeconn.cli import app

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "policytest"
PASSING = DATA / "pipeline.json"
FAILING = DATA / "pipeline-failing.yaml"
BAD_TIME = DATA / "bad-current-time.yml"
WORKLOAD = ROOT / "benchmarks" / "data" / "iam-workload.json"

ROLE = "arn:aws:iam::111122223333:role/PipelineRole"
USE = "codestar-connections:UseConnection"


def run(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["policy", "test", *map(str, args)])


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def a_file(**case: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "c1", "request": {"principal": ROLE, "action": USE, "resource": "*"},
                            "identityPolicies": ["p"], "expect": "allowed"}
    base.update(case)
    return {"policies": {"p": {"Version": "2012-10-17", "Statement": [
        {"Sid": "S", "Effect": "Allow", "Action": USE, "Resource": "*"}]}}, "cases": [base]}


# -- exit codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("files, code", [
    pytest.param([PASSING], 0, id="every case passes: 0"),
    pytest.param([FAILING], 1, id="a case differs: 1"),
    pytest.param([PASSING, FAILING], 1, id="one failing file among several: 1"),
    pytest.param([BAD_TIME], 2, id="a malformed file: 2"),
    pytest.param([PASSING, FAILING, BAD_TIME], 2, id="a malformed file wins over failures: 2"),
    pytest.param([DATA / "no-such-file.json"], 2, id="an unreadable file: 2"),
])
def test_exit_codes(files: list[Path], code: int) -> None:
    assert run(*files).exit_code == code


# -- the JSON report ---------------------------------------------------------------------------

def test_json_prints_exactly_one_object_with_the_fields_the_format_names() -> None:
    result = run(PASSING, FAILING, "--json")
    report = json.loads(result.stdout)  # the whole of stdout is one object
    assert set(report) == {"passed", "failed", "cases"}
    assert (report["passed"], report["failed"]) == (4, 1)
    for case in report["cases"]:
        assert set(case) == {"file", "name", "decision", "expect", "pass", "matched"}
        for matched in case["matched"]:
            assert set(matched) == {"policy", "sid", "effect"}


def test_json_reports_each_case_with_its_decision_and_the_statements_that_decided() -> None:
    report = json.loads(run(FAILING, "--json").stdout)
    assert report["cases"][1] == {
        "file": str(FAILING), "name": "push to main is allowed", "decision": "explicitDeny", "expect": "allowed",
        "pass": False, "matched": [{"policy": "pipeline-role", "sid": "DenyPushToMain", "effect": "Deny"}],
    }


def test_json_reports_an_empty_match_for_an_implicit_deny() -> None:
    report = json.loads(run(PASSING, "--json").stdout)
    assert report["cases"][1]["decision"] == "implicitDeny" and report["cases"][1]["matched"] == []


# -- the readable report -----------------------------------------------------------------------

def test_the_last_line_counts_passed_and_failed() -> None:
    assert run(PASSING, FAILING).stdout.rstrip().splitlines()[-1] == "4 passed, 1 failed"


def test_a_failure_names_file_case_expectation_decision_and_the_deciding_statement() -> None:
    out = run(FAILING).stdout
    assert f"FAIL {FAILING}  1 passed, 1 failed" in out
    assert "push to main is allowed" in out
    assert "expected allowed, got explicitDeny with an explicit deny in an identity-based policy" in out
    assert "pipeline-role/DenyPushToMain (Deny, identity-based policy)" in out
    assert "pull is allowed" not in out  # passing cases are counted, not listed


def test_an_implicit_deny_names_the_kind_of_policy_that_did_not_allow(tmp_path: Path) -> None:
    path = write(tmp_path, "t.json", a_file(serviceControlPolicies=[[]]))
    out = run(path).stdout
    assert "got implicitDeny because no service control policy allows the action" in out
    assert "decided by: no statement (no service control policy allows it)" in out


# -- malformed files: exit 2, every fault named on stderr, nothing run ------------------------------

def test_a_bad_context_value_names_file_case_and_field() -> None:
    result = run(BAD_TIME)
    assert result.stdout == ""
    assert (f"error: {BAD_TIME}: cases[0] ('before 2030'): request.context.aws:CurrentTime: "
            "context key 'aws:CurrentTime' is of type Date: 'yesterday' is not a valid value") in result.stderr


@pytest.mark.parametrize("data, expected", [
    pytest.param(a_file(identityPolicies=["missing"]),
                 "t.json: cases[0] ('c1'): identityPolicies[0]: unknown policy 'missing' (not in \"policies\")",
                 id="unknown policy name"),
    pytest.param(a_file(expect="deny"),
                 "t.json: cases[0] ('c1'): expect: must be one of allowed, explicitDeny, implicitDeny, not 'deny'",
                 id="bad expect"),
    pytest.param(a_file(request={"principal": ROLE, "resource": "*"}),
                 "t.json: cases[0] ('c1'): request.action: missing, or not a string", id="missing action"),
    pytest.param(a_file(resourcePolicy={"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": USE, "Resource": "*"}]}),
                 "t.json: cases[0] ('c1'): resourcePolicy.Statement[0].Principal: "
                 "missing required field in a resource-based policy", id="policy fault with its JSON path"),
    pytest.param("{\"cases\": [}", "t.json: not valid JSON: Expecting value at line 1 column 12", id="invalid JSON"),
])
def test_a_malformed_file_exits_2_naming_the_fault(tmp_path: Path, data: Any, expected: str) -> None:
    result = run(write(tmp_path, "t.json", data))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"error: {tmp_path / expected}" in result.stderr


def test_faults_in_several_files_are_all_reported(tmp_path: Path) -> None:
    first = write(tmp_path, "a.json", a_file(expect="nope"))
    second = write(tmp_path, "b.yaml", "cases: [")
    result = run(first, PASSING, second, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{first}: cases[0] ('c1'): expect" in result.stderr
    assert f"{second}: not valid YAML" in result.stderr
    assert "2 problems in 2 files; no case was run" in result.stderr


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_yaml_and_json_files_are_read_by_their_suffix(tmp_path: Path, suffix: str) -> None:
    import yaml

    data = a_file()
    text = yaml.safe_dump(data) if suffix != ".json" else json.dumps(data)
    assert run(write(tmp_path, f"t{suffix}", text)).exit_code == 0


# -- the 10,000-case workload ------------------------------------------------------------------------

def test_the_benchmark_workload_passes() -> None:
    """Its speed is benchmarks/iam.py's to measure; here, that all 10,000 decisions hold."""
    result = run(WORKLOAD, "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0
    assert (report["passed"], report["failed"]) == (10_000, 0)


def test_a_failed_case_says_which_keys_the_nearly_matching_statement_wanted(tmp_path: Path) -> None:
    pull = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Pull", "Effect": "Allow", "Action": USE, "Resource": "*",
         "Condition": {"StringEquals": {"codestar-connections:FullRepositoryId": "acme/api"}}}]}
    case = {"name": "pull", "request": {"principal": ROLE, "action": USE, "resource": "*"},
            "identityPolicies": ["role"], "expect": "allowed"}
    result = run(write(tmp_path, "t.json", {"policies": {"role": pull}, "cases": [case]}))
    assert result.exit_code == 1
    assert ("nearly: statement Pull of role: codestar-connections:FullRepositoryId is absent from the request"
            in result.stdout)
