"""`codeconn audit`: read the server's audit log, filtered by principal, action and decision.

Each line of the log is one call; a call that decided several actions (a
CreateRepositoryLink that also checks PassConnection) shows them all, each with
its decision and the statements that decided. `--json` prints the matching
lines as they are stored, for `jq` and friends.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from codeconn.cli.exit_codes import ExitCode
from codeconn.cli.help_text import epilog
from codeconn.server.audit import (
    AuditDecision,
    AuditFilter,
    AuditRecord,
    read_audit,
    tail,
)
from codeconn.server.config import AUDIT_FILE_NAME, DEFAULT_DATA_DIR

_DECISION_STYLE = {"allowed": "bold green", "explicitDeny": "bold red", "implicitDeny": "yellow"}

EPILOG = """\
Examples:

  codeconn audit --decision explicitDeny
  codeconn audit --action 'codestar-connections:*' \\
      --principal 'arn:aws:iam::000000000000:role/*'
  codeconn audit --action '*:PassConnection' --json | jq .requestParameters
  codeconn audit --provider-action GitPush --repository acme/api \\
      --branch main --decision explicitDeny
  codeconn audit --pipeline api --action '*:UseConnection'
  codeconn audit --execution 0f6c3a2e-... --decision implicitDeny
"""


class DecisionChoice(str, Enum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicitDeny"
    IMPLICIT_DENY = "implicitDeny"


def register(app: typer.Typer) -> None:
    """Add `audit` to the top-level app."""
    app.command("audit", help="Read the server's audit log, filtered by principal, action and decision.",
                epilog=epilog(EPILOG))(audit)


def audit(
    data_dir: Annotated[Path, typer.Option(help="The server's data directory.")] = DEFAULT_DATA_DIR,
    principal: Annotated[str | None, typer.Option(
        help="Only calls by this principal ARN (wildcards * and ? allowed).", show_default=False)] = None,
    action: Annotated[str | None, typer.Option(
        help="Only calls of, or deciding, this action, e.g. 'codeconnections:Get*'.", show_default=False)] = None,
    decision: Annotated[DecisionChoice | None, typer.Option(
        help="Only calls with this decision (for --action: that action's).", show_default=False)] = None,
    connection: Annotated[str | None, typer.Option(
        help="Only git endpoint decisions on this connection (ARN or id; wildcards allowed).",
        show_default=False)] = None,
    repository: Annotated[str | None, typer.Option(
        help="Only git endpoint decisions on this repository, owner/name (wildcards allowed).",
        show_default=False)] = None,
    branch: Annotated[str | None, typer.Option(
        help="Only git endpoint decisions for this BranchName (a push's branch or tag; wildcards allowed).",
        show_default=False)] = None,
    provider_action: Annotated[str | None, typer.Option(
        help="Only git endpoint decisions for this ProviderAction (GitPull, GitPush).", show_default=False)] = None,
    pipeline: Annotated[str | None, typer.Option(
        help="Only PassConnection and UseConnection decisions for this pipeline (its name; wildcards allowed).",
        show_default=False)] = None,
    execution: Annotated[str | None, typer.Option(
        help="Only decisions for this pipeline execution id (wildcards allowed).", show_default=False)] = None,
    last: Annotated[int | None, typer.Option(
        help="Only the last N matching calls.", min=1, show_default=False)] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the matching lines as JSON lines.")] = False,
) -> None:
    path = data_dir / AUDIT_FILE_NAME
    try:
        reading = read_audit(path)
    except FileNotFoundError:
        typer.echo(f"codeconn audit: no audit log at {path} (is --data-dir the server's?)", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    except OSError as error:
        typer.echo(f"codeconn audit: cannot read {path}: {error.strerror or error}", err=True)
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    chosen = AuditFilter(principal=principal, action=action, decision=decision.value if decision else None,
                         connection=connection, repository=repository, branch=branch,
                         provider_action=provider_action, pipeline=pipeline, execution=execution)
    records = tail(list(chosen.select(reading.records)), last)
    if json_output:
        for record in records:
            typer.echo(json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False))
    else:
        Console(soft_wrap=False).print(_table(records))
    if reading.unreadable:
        typer.echo(f"codeconn audit: skipped {reading.unreadable} unreadable line(s) in {path}", err=True)


def _table(records: Sequence[AuditRecord]) -> Table:
    """One row per decision; a call's time, principal and outcome on its first row only."""
    table = Table(title=f"{len(records)} call{'s' if len(records) != 1 else ''}", title_justify="left")
    for column in ("Time", "Principal", "Action", "Resource", "Decision", "Matched", "Result"):
        table.add_column(column, overflow="fold", no_wrap=column in ("Time", "Decision"))
    for record in records:
        decided = record.decisions or (AuditDecision(record.action or "-", record.resource or "-", "-"),)
        for index, decision in enumerate(decided):
            first = index == 0
            principal = record.principal or Text("(not authenticated)", style="dim")
            result = f"{record.error_code} ({record.status})" if record.error_code else str(record.status)
            table.add_row(record.time if first else "", principal if first else "", decision.action,
                          decision.resource + _git_use(decision), _decision(decision), _matched(decision), result if first else "",
                          end_section=index == len(decided) - 1 and len(decided) > 1)
    return table


def _git_use(decided: AuditDecision) -> str:
    """A git endpoint's or a pipeline's decision: ProviderAction, repository, branch, pipeline, execution, action."""
    parts = [p for p in (decided.provider_action, decided.repository, decided.branch) if p is not None]
    if decided.pipeline is not None:
        parts.append(f"pipeline {decided.pipeline}"
                     + (f" execution {decided.execution_id}" if decided.execution_id else "")
                     + (f" action {decided.action_name}" if decided.action_name else ""))
    return f" ({' '.join(parts)})" if parts else ""


def _decision(decided: AuditDecision) -> Text:
    label = decided.decision + ("" if decided.enforced else " (not enforced)")
    return Text(label, style=_DECISION_STYLE.get(decided.decision, ""))


def _matched(decided: AuditDecision) -> str:
    """The deciding statements; for an implicit deny, the keys the nearly matching ones lacked."""
    names = [f"{m.get('policy')}" + (f"/{m['sid']}" if m.get("sid") else "") for m in decided.matched_statements]
    missing = decided.missing_context_keys
    return ", ".join(names) or ("missing: " + ", ".join(missing) if missing else "-")
