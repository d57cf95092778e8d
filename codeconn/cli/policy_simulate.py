"""`codeconn policy simulate`: decide requests against policy files, like `aws iam simulate-custom-policy`.

Every `--action` is decided on every `--resource` (one row each) by the same
caller with the same context, against the policies given by kind. The answer
is a table (or `--json`) of decisions with the statements that decided and, for
a deny, AWS's phrase for the kind of policy that denied, so that an AccessDenied
is explained before it is met in production.

Without `--principal`, each request is made by the IAM user
`arn:aws:iam::ACCOUNT:user/simulated`, where ACCOUNT is the resource's account
(`--resource-account`, else the account in the resource ARN, else 123456789012):
like simulate-custom-policy, nothing is cross-account unless you name a caller
from another account.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from codeconn.cli.exit_codes import ExitCode
from codeconn.cli.help_text import epilog
from codeconn.iam import (
    Authorizer,
    Decision,
    MatchedStatement,
    Policy,
    PolicyKind,
    PolicySet,
    PolicySyntaxError,
    RequestError,
    make_request,
    parse_policy,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.policytest import (
    PolicyTestError,
    build_context,
    parse_context_entry,
    parse_context_option,
    read_document,
)

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_PRINCIPAL = "arn:aws:iam::{account}:user/simulated"

_DECISION_STYLE = {"allowed": "bold green", "explicitDeny": "bold red", "implicitDeny": "yellow"}

EPILOG = """\
Examples:

  codeconn policy simulate --policy pipeline-role.json \\
      --action codestar-connections:UseConnection \\
      --resource \\
        arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b \\
      --context codestar-connections:ProviderAction=GitPush \\
      --context codestar-connections:BranchName=main

  codeconn policy simulate --policy admin.json --scp full-access.json \\
      --scp full-access.json,deny-bitbucket.json \\
      --action codestar-connections:CreateConnection \\
      --context codestar-connections:ProviderType=Bitbucket --json
"""


class BadInput(Exception):
    """Input the simulator cannot use; each line of the message is one fault (exit 2)."""


@dataclass(frozen=True)
class Row:
    """One simulated request and its decision."""

    action: str
    resource: str
    principal: str
    decision: Decision

    def to_json(self) -> dict[str, object]:
        d = self.decision
        return {
            "action": self.action,
            "resource": self.resource,
            "principal": self.principal,
            "decision": d.decision,
            "matched": [m.to_json() for m in d.matched],
            "deniedBy": d.denied_by.name.lower() if d.denied_by is not None and not d.allowed else None,
            "reason": d.reason(),
            "missingContextKeys": list(d.missing_context_keys),
            "nearMisses": [miss.to_json() for miss in d.near_misses],
        }


def register(app: typer.Typer) -> None:
    """Add `simulate` to the `policy` group."""
    app.command("simulate", epilog=epilog(EPILOG), no_args_is_help=True)(policy_simulate)


def policy_simulate(
    action: Annotated[list[str], typer.Option(
        "--action", "-a", metavar="ACTION", show_default=False, help="service:Action to decide; repeatable.")],
    policy: Annotated[list[Path] | None, typer.Option(
        "--policy", metavar="FILE", show_default=False, help="Identity-based policy; repeatable.")] = None,
    resource_policy: Annotated[Path | None, typer.Option(
        "--resource-policy", metavar="FILE", help="Resource-based policy of the resource.")] = None,
    permissions_boundary: Annotated[list[Path] | None, typer.Option(
        "--permissions-boundary", metavar="FILE", show_default=False,
        help="Permissions boundary; repeatable (read as one boundary).")] = None,
    session_policy: Annotated[Path | None, typer.Option(
        "--session-policy", metavar="FILE", help="Session policy.")] = None,
    scp: Annotated[list[str] | None, typer.Option(
        "--scp", metavar="FILE[,FILE...]", show_default=False,
        help="SCPs of one organization level; repeat per level, root first.")] = None,
    rcp: Annotated[list[str] | None, typer.Option(
        "--rcp", metavar="FILE[,FILE...]", show_default=False,
        help="RCPs of one organization level; repeat per level, root first.")] = None,
    principal: Annotated[str | None, typer.Option(
        "--principal", metavar="ARN",
        help="Caller: IAM/STS ARN, account ID or service name. Default: user/simulated in the resource's account.",
        show_default=False)] = None,
    resource: Annotated[list[str] | None, typer.Option(
        "--resource", "-r", metavar="ARN", show_default=False, help="Resource ARN; repeatable. Default: *.")] = None,
    resource_account: Annotated[str | None, typer.Option(
        "--resource-account", metavar="ACCOUNT", help="Owner of the resources (default: from each ARN).")] = None,
    context: Annotated[list[str] | None, typer.Option(
        "--context", "-c", metavar="KEY=VALUE[,VALUE...][:TYPE]", show_default=False,
        help="Context key and values; repeatable.")] = None,
    context_entry: Annotated[list[str] | None, typer.Option(
        "--context-entry", metavar="ENTRY", show_default=False,
        help="ContextKeyName=K,ContextKeyValues=V1,V2,ContextKeyType=T (or JSON), as simulate-custom-policy.")] = None,
    json_output: Annotated[bool, typer.Option(
        "--json", help="Print one JSON object {\"results\": [...]}.")] = False,
    fail_on_deny: Annotated[bool, typer.Option(
        "--fail-on-deny", help="Exit 1 when any request is not allowed.")] = False,
) -> None:
    """Decide each --action on each --resource against the given policies, like aws iam simulate-custom-policy.

    Policies are JSON or YAML files. Organization levels: give --scp once per level (root, then each OU, then
    the account), listing that level's policies separated by commas; every level must allow, so include an
    allow such as FullAWSAccess in each. --rcp works the same way.

    The caller defaults to arn:aws:iam::ACCOUNT:user/simulated, ACCOUNT being the resource's account
    (--resource-account, the ARN's account, else 123456789012), so nothing is cross-account unless you say so.

    Context: --context KEY=VALUE[,VALUE...][:TYPE], repeating a key adds values. TYPE is AWS's ContextKeyType
    (string, stringList, numeric, numericList, boolean, booleanList, ip, ipList, binary, binaryList, date,
    dateList); without it the key's type in the IAM catalog is used. Values are checked against the type.

    Exit codes: 0 done; 1 with --fail-on-deny when a request is not allowed; 2 bad input.
    """
    catalog = IamCatalog.load()
    try:
        policies = load_policy_set(policy or [], resource_policy, permissions_boundary or [], session_policy,
                                   scp or [], rcp or [])
        entries = [parse_context_option(c) for c in context or []]
        entries += [e for text in context_entry or [] for e in parse_context_entry(text)]
        rows = simulate(policies, action, resource or ["*"], principal, resource_account,
                        build_context(entries, catalog), catalog)
    except (BadInput, PolicyTestError) as exc:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for line in str(exc).splitlines():
            err.print(Text(f"error: {line}"))
        raise typer.Exit(ExitCode.BAD_INPUT) from None
    _warn_unknown_actions(action, catalog)
    if json_output:
        sys.stdout.write(json.dumps({"results": [r.to_json() for r in rows]}) + "\n")
    else:
        # Piped output (CI logs) is read wide: ARNs fold badly at Rich's default of 80 columns.
        wide = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
        Console(highlight=False, width=wide).print(render_table(rows))
    denied = any(not r.decision.allowed for r in rows)
    raise typer.Exit(ExitCode.FAILED if fail_on_deny and denied else ExitCode.OK)


def load_policy_set(identity: Sequence[Path], resource: Path | None, boundaries: Sequence[Path],
                    session: Path | None, scp_levels: Sequence[str], rcp_levels: Sequence[str]) -> PolicySet:
    """Read and parse every file; BadInput lists each fault as FILE: JSON path: message."""
    problems: list[str] = []
    every = [*identity, *boundaries, *(p for p in (resource, session) if p)]
    scps = [_split_level(level) for level in scp_levels]
    rcps = [_split_level(level) for level in rcp_levels]
    every += [p for level in scps + rcps for p in level]
    names = _display_names(every)

    def load(path: Path, kind: PolicyKind) -> Policy | None:
        try:
            return parse_policy(read_document(path), name=names[str(path)], kind=kind)
        except PolicyTestError as exc:
            problems.append(str(exc))
        except PolicySyntaxError as exc:
            problems.extend(f"{path}: {p.path or '(document)'}: {p.message}" for p in exc.problems)
        return None

    def many(paths: Sequence[Path], kind: PolicyKind) -> tuple[Policy, ...]:
        return tuple(p for p in (load(path, kind) for path in paths) if p is not None)

    policy_set = PolicySet(
        identity=many(identity, PolicyKind.IDENTITY),
        resource=load(resource, PolicyKind.RESOURCE) if resource else None,
        boundaries=many(boundaries, PolicyKind.BOUNDARY),
        session=many([session] if session else [], PolicyKind.SESSION),
        scps=tuple(many(level, PolicyKind.SCP) for level in scps),
        rcps=tuple(many(level, PolicyKind.RCP) for level in rcps),
    )
    if problems:
        raise BadInput("\n".join(problems))
    return policy_set


def _split_level(level: str) -> list[Path]:
    return [Path(p.strip()) for p in level.split(",") if p.strip()]


def _display_names(paths: Sequence[Path]) -> dict[str, str]:
    """A policy is named by its file name, or by its path where two files share a name."""
    counts: dict[str, set[str]] = {}
    for path in paths:
        counts.setdefault(path.name, set()).add(str(path))
    return {str(p): p.name if len(counts[p.name]) == 1 else str(p) for p in paths}


def simulate(policies: PolicySet, actions: Sequence[str], resources: Sequence[str], principal: str | None,
             resource_account: str | None, context: dict[str, str | list[str]], catalog: IamCatalog) -> list[Row]:
    """Decide every action on every resource; BadInput when a request cannot be made."""
    authorizer = Authorizer(policies)
    rows: list[Row] = []
    for action in actions:
        for resource in resources:
            caller = principal or DEFAULT_PRINCIPAL.format(account=_account_of(resource, resource_account))
            try:
                request = make_request(principal=caller, action=action, resource=resource, context=context,
                                       resource_account=resource_account, catalog=catalog)
            except RequestError as exc:
                raise BadInput(str(exc)) from None
            rows.append(Row(action, resource, caller, authorizer.evaluate(request, explain=True)))
    return rows


def _account_of(resource: str, resource_account: str | None) -> str:
    if resource_account:
        return resource_account
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return DEFAULT_ACCOUNT


def _warn_unknown_actions(actions: Sequence[str], catalog: IamCatalog) -> None:
    """A mistyped action is implicitly denied, which looks like a policy bug; say so on stderr."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for action in dict.fromkeys(actions):
        prefix = action.partition(":")[0]
        if catalog.has_service(prefix) and catalog.action(action) is None:
            err.print(Text(f"warning: {action} is not an action of {prefix} in the IAM catalog", style="yellow"))


def render_table(rows: Sequence[Row]) -> Table:
    """Action, resource, decision (colored), the deciding statements (policy/Sid) and, for a deny, why."""
    principals = sorted({r.principal for r in rows})
    multiple = len(principals) > 1
    table = Table(title=None if multiple or not principals else f"principal: {principals[0]}",
                  title_justify="left", title_style="bold")
    table.add_column("Action", no_wrap=True)
    if multiple:
        table.add_column("Principal", overflow="fold")
    table.add_column("Resource", overflow="fold")
    table.add_column("Decision", no_wrap=True)
    table.add_column("Deciding statements", overflow="fold")
    table.add_column("Why", overflow="fold")
    for row in rows:
        d = row.decision
        statements = "\n".join(_statement_name(m) for m in d.matched) or "-"
        cells: list[Text | str] = [row.action, *([row.principal] if multiple else []), row.resource,
                                   Text(d.decision, style=_DECISION_STYLE[d.decision]), statements,
                                   "\n".join(["" if d.allowed else d.reason(),
                                              *(f"nearly: {miss.describe()}" for miss in d.near_misses)])]
        table.add_row(*cells)
    return table


def _statement_name(matched: MatchedStatement) -> str:
    return f"{matched.policy}/{matched.sid if matched.sid else f'Statement[{matched.index}]'}"


