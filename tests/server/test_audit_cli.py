"""`codeconn audit`: filters, JSON lines, the table, a missing log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.server.audit import AuditDecision, AuditLog, AuditRecord

USER = "arn:aws:iam::000000000000:user/alice"
ROOT = "arn:aws:iam::000000000000:root"
MATCHED = ({"policy": "alice-policy", "sid": "NoPassing", "effect": "Deny", "kind": "identity"},)
RECORDS = (
    AuditRecord(time="2024-05-17T12:00:00.000Z", request_id="link", status=400, principal=USER,
                action="codestar-connections:CreateRepositoryLink", resource="*", error_code="AccessDeniedException",
                decisions=(AuditDecision("codestar-connections:CreateRepositoryLink", "*", "allowed"),
                           AuditDecision("codestar-connections:PassConnection", "arn:aws:codestar-connections:"
                                         "us-east-1:000000000000:connection/abc", "explicitDeny",
                                         matched_statements=MATCHED))),
    AuditRecord(time="2024-05-17T12:00:01.000Z", request_id="list", status=200, principal=ROOT,
                action="codeconnections:ListConnections", resource="*",
                decisions=(AuditDecision("codeconnections:ListConnections", "*", "allowed"),)),
    AuditRecord(time="2024-05-17T12:00:02.000Z", request_id="unsigned", status=403, action="iam:GetUser",
                error_code="SignatureDoesNotMatch"),
    AuditRecord(time="2024-05-17T12:00:03.000Z", request_id="user-get", status=200, principal=USER,
                action="iam:GetUser", resource=USER, decisions=(AuditDecision("iam:GetUser", USER, "allowed"),)),
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with AuditLog(tmp_path / "audit.jsonl") as log:
        for record in RECORDS:
            log.write(record)
    return tmp_path


def audit(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["audit", "--data-dir", str(data_dir), *args], env={"COLUMNS": "400"})
    return result.exit_code, result.stdout, result.stderr


def ids(output: str) -> list[str]:
    return [json.loads(line)["requestId"] for line in output.splitlines()]


@pytest.mark.parametrize(("args", "expected"), [
    pytest.param((), ["link", "list", "unsigned", "user-get"], id="everything"),
    pytest.param(("--principal", USER), ["link", "user-get"], id="principal"),
    pytest.param(("--principal", "*:root"), ["list"], id="principal wildcard"),
    pytest.param(("--action", "iam:*"), ["unsigned", "user-get"], id="action wildcard"),
    pytest.param(("--action", "*:PassConnection"), ["link"], id="a decided action"),
    pytest.param(("--decision", "explicitDeny"), ["link"], id="decision"),
    pytest.param(("--decision", "allowed"), ["list", "user-get"], id="allowed overall"),
    pytest.param(("--principal", USER, "--decision", "allowed"), ["user-get"], id="filters combine"),
    pytest.param(("--last", "2"), ["unsigned", "user-get"], id="last"),
])
def test_filters_as_json_lines(data_dir: Path, args: tuple[str, ...], expected: list[str]) -> None:
    code, out, _ = audit(data_dir, "--json", *args)
    assert code == 0
    assert ids(out) == expected


def test_the_table_shows_each_decision_and_why(data_dir: Path) -> None:
    code, out, _ = audit(data_dir, "--principal", USER)
    assert code == 0
    assert "2 calls" in out
    for text in ("codestar-connections:PassConnection", "explicitDeny", "alice-policy/NoPassing",
                 "AccessDeniedException (400)", USER):
        assert text in out


def test_unauthenticated_calls_show_so(data_dir: Path) -> None:
    code, out, _ = audit(data_dir, "--action", "iam:GetUser", "--last", "2")
    assert code == 0 and "(not authenticated)" in out and "SignatureDoesNotMatch (403)" in out


def test_a_missing_log_is_bad_input(tmp_path: Path) -> None:
    code, _, err = audit(tmp_path / "nowhere")
    assert code == 2
    assert "no audit log at" in err


def test_a_bad_decision_is_bad_input(data_dir: Path) -> None:
    code, _, _ = audit(data_dir, "--decision", "maybe")
    assert code == 2


def test_unreadable_lines_are_reported(data_dir: Path) -> None:
    with open(data_dir / "audit.jsonl", "a") as file:
        file.write("{not json\n")
    code, out, err = audit(data_dir, "--json")
    assert code == 0 and len(ids(out)) == 4
    assert "skipped 1 unreadable line" in err


def test_an_implicit_deny_shows_the_keys_the_nearly_matching_statements_lacked(tmp_path: Path) -> None:
    miss = {"policy": "alice-policy", "sid": "Tagged", "effect": "Allow", "kind": "identity",
            "missingContextKeys": ["aws:RequestTag/team"], "unmetConditions": []}
    with AuditLog(tmp_path / "audit.jsonl") as log:
        log.write(AuditRecord(time="2024-05-17T12:00:04.000Z", request_id="untagged", status=400, principal=USER,
                              action="codestar-connections:CreateConnection", resource="*",
                              error_code="AccessDeniedException",
                              decisions=(AuditDecision("codestar-connections:CreateConnection", "*", "implicitDeny",
                                                       near_misses=(miss,)),)))
    code, out, _ = audit(tmp_path)
    assert code == 0 and "missing: aws:RequestTag/team" in out
    code, out, _ = audit(tmp_path, "--json")
    (decision,) = json.loads(out)["decisions"]
    assert decision["missingContextKeys"] == ["aws:RequestTag/team"] and decision["nearMisses"] == [miss]
