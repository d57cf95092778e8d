"""`codeconn policy test FILE [FILE ...] [--json]`: run policy test files, as CI runs them.

The command is the front door to `docs/policy-test-format.md`, whose
promises are exit codes and one JSON shape: 0 when every case's decision equals
its `expect`, 1 when any differs, 2 when a file cannot be read or is malformed.
On exit 2 nothing is run and nothing is written to stdout; every fault of every
file goes to stderr, one line each, naming the file, the case and the field.

The readable output lists each file with its counts, then each failing case with
what was expected, what the engine decided, the statements that decided and, for
a deny, the kind of policy that denied; its last line is `N passed, N failed`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from codeconn.cli.exit_codes import ExitCode
from codeconn.iam import Decision, MatchedStatement
from codeconn.iam.catalog import IamCatalog
from codeconn.policytest import CaseFileError, CaseProblem, CaseResult, RunReport, load_file, run_cases

MAX_PROBLEMS_SHOWN = 50  # per run; a broken `defaults` can fault every one of 10,000 cases

_DECISION_STYLE = {"allowed": "green", "explicitDeny": "bold red", "implicitDeny": "yellow"}


def register(app: typer.Typer) -> None:
    """Add `test` to the `policy` group."""
    app.command("test", no_args_is_help=True)(policy_test)


def policy_test(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", show_default=False,
                                                help="Policy test files: JSON, or YAML (.yaml / .yml).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object: passed, failed, cases.")] = False,
) -> None:
    """Run policy test files: exit 0 if every case's decision is its `expect`, 1 if any differs,
    2 if a file cannot be read or is malformed.

    The file format is described in policy-test-format.md; examples/ holds working files.
    """
    catalog = IamCatalog.load()
    cases = []
    problems: list[CaseProblem] = []
    for path in files:
        try:
            cases.extend(load_file(path, catalog=catalog))
        except CaseFileError as exc:
            problems.extend(exc.problems)
    if problems:
        _print_problems(problems)
        raise typer.Exit(ExitCode.BAD_INPUT)
    report = run_cases(cases)
    if json_output:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
    else:
        print_report(report, [str(p) for p in files], Console(highlight=False, soft_wrap=True))
    raise typer.Exit(ExitCode.OK if report.failed == 0 else ExitCode.FAILED)


def _print_problems(problems: list[CaseProblem]) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        err.print(Text(f"error: {problem}"))
    if len(problems) > MAX_PROBLEMS_SHOWN:
        err.print(Text(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more"))
    files = len({p.file for p in problems})
    err.print(Text(f"{len(problems)} problem{'s' * (len(problems) != 1)} in {files} file{'s' * (files != 1)}; "
                   "no case was run", style="bold red"))


def print_report(report: RunReport, files: list[str], console: Console) -> None:
    """Per-file counts, then each failure in detail; the last line is `N passed, N failed`."""
    by_file: dict[str, list[CaseResult]] = {f: [] for f in files}
    for result in report.results:
        by_file.setdefault(result.case.file, []).append(result)
    for file, results in by_file.items():
        failed = [r for r in results if not r.passed]
        mark, style = ("FAIL", "bold red") if failed else ("ok", "green")
        line = Text.assemble((f"{mark:<4} ", style), file, f"  {len(results) - len(failed)} passed")
        if failed:
            line.append(f", {len(failed)} failed", style="red")
        console.print(line)
        for result in failed:
            _print_failure(result, console)
    console.print(Text(f"{report.passed} passed, {report.failed} failed",
                       style="bold red" if report.failed else "bold green"))


def _print_failure(result: CaseResult, console: Console) -> None:
    decision = result.decision
    console.print(Text.assemble("  x ", (result.case.name, "bold")))
    got = Text.assemble("      expected ", (result.case.expect, _DECISION_STYLE[result.case.expect]),
                        ", got ", (decision.decision, _DECISION_STYLE[decision.decision]))
    if not decision.allowed:
        got.append(f" {decision.reason()}")
    console.print(got)
    request = result.case.request
    console.print(Text(f"      request: {request.action} on {request.resource} by {request.principal.arn}",
                       style="dim"))
    if decision.matched:
        console.print(Text("      decided by: " + ", ".join(describe_statement(m) for m in decision.matched)))
    elif not decision.allowed:
        console.print(Text(f"      decided by: no statement ({_nothing_allowed(decision)})"))
    for miss in decision.near_misses:
        console.print(Text(f"      nearly: {miss.describe()}"))


def describe_statement(matched: MatchedStatement) -> str:
    """`policy/Sid (Effect, kind of policy)`; a statement without a Sid is named by its position."""
    sid = matched.sid if matched.sid else f"Statement[{matched.index}]"
    return f"{matched.policy}/{sid} ({matched.effect}, {matched.kind.value})"


def _nothing_allowed(decision: Decision) -> str:
    kind = decision.denied_by
    return f"no {kind.value} allows it" if kind is not None else "nothing allows it"
