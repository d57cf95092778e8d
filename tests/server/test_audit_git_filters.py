"""`codeconn audit` finds the git endpoint's UseConnection decisions by connection, repository, branch, ProviderAction."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.server.audit import AuditDecision, AuditFilter, AuditLog, AuditRecord, read_audit

CONNECTION = "arn:aws:codestar-connections:us-east-1:000000000000:connection/0a1b"
OTHER = "arn:aws:codestar-connections:us-east-1:000000000000:connection/9f9f"
USE = "codestar-connections:UseConnection"
ROLE = "arn:aws:sts::000000000000:assumed-role/Pusher/git"


def _use(resource: str, action: str, repository: str, decision: str, branch: str | None = None) -> AuditDecision:
    return AuditDecision(USE, resource, decision, provider_action=action, repository=repository, branch=branch)


RECORDS = (
    AuditRecord(time="t1", request_id="clone", status=200, principal=ROLE, service="git", operation="GitPull",
                action=USE, resource=CONNECTION, decisions=(_use(CONNECTION, "GitPull", "acme/api", "allowed"),)),
    AuditRecord(time="t2", request_id="push", status=200, principal=ROLE, service="git", operation="GitPush",
                action=USE, resource=CONNECTION, error_code="AccessDeniedException",
                decisions=(_use(CONNECTION, "GitPush", "acme/api", "allowed", "feature/y"),
                           _use(CONNECTION, "GitPush", "acme/api", "explicitDeny", "main"))),
    AuditRecord(time="t3", request_id="web", status=403, principal=ROLE, service="git", operation="GitPull",
                action=USE, resource=OTHER, decisions=(_use(OTHER, "GitPull", "acme/web", "implicitDeny"),)),
    AuditRecord(time="t4", request_id="api-call", status=200, principal=ROLE, action="codeconnections:ListConnections",
                resource="*", decisions=(AuditDecision("codeconnections:ListConnections", "*", "allowed"),)),
)


def _ids(chosen: AuditFilter) -> list[str]:
    return [r.request_id for r in chosen.select(RECORDS)]


def test_the_filters_select_by_one_decision_holding_every_condition() -> None:
    assert _ids(AuditFilter(provider_action="GitPush")) == ["push"]
    assert _ids(AuditFilter(provider_action="gitpull")) == ["clone", "web"]
    assert _ids(AuditFilter(connection="0a1b")) == ["clone", "push"]
    assert _ids(AuditFilter(connection=OTHER)) == ["web"]
    assert _ids(AuditFilter(repository="acme/*")) == ["clone", "push", "web"]
    assert _ids(AuditFilter(branch="main", decision="explicitDeny")) == ["push"]
    assert _ids(AuditFilter(branch="feature/*", decision="explicitDeny")) == []  # feature/y was allowed
    assert _ids(AuditFilter(branch="feature/*", decision="allowed")) == ["push"]
    assert _ids(AuditFilter(repository="acme/web", decision="implicitDeny")) == ["web"]


def test_the_git_fields_round_trip_and_old_lines_lack_them(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "audit.jsonl") as log:
        for record in RECORDS:
            log.write(record)
    assert read_audit(tmp_path / "audit.jsonl").records == RECORDS
    assert "branch" not in AuditDecision("a", "b", "allowed").to_json()


def test_the_command_takes_the_filters(tmp_path: Path) -> None:
    with AuditLog(tmp_path / "audit.jsonl") as log:
        for record in RECORDS:
            log.write(record)
    result = CliRunner().invoke(app, ["audit", "--data-dir", str(tmp_path), "--connection", "0a1b", "--branch", "main",
                                      "--provider-action", "GitPush", "--repository", "acme/api", "--json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["requestId"] for line in result.stdout.splitlines()] == ["push"]
    table = CliRunner().invoke(app, ["audit", "--data-dir", str(tmp_path), "--branch", "main"], env={"COLUMNS": "400"})
    assert "(GitPush acme/api main)" in table.stdout
