"""`codeconn policy lint FILE... [--json] [--kind KIND]`: what a policy says that it cannot mean.

Each FILE is one policy document (JSON, or YAML for `.yaml` / `.yml`), linted
against the installed IAM catalog by `codeconn.iam.lint`. The promises are the
exit codes and the JSON shape: 0 when no finding is an error (warnings are
allowed), 1 when one is, 2 when a file cannot be read or decoded. As with
`policy test`, on exit 2 nothing is linted and nothing is written to stdout;
each unreadable file is named on stderr.

The readable output is one line per finding, `FILE:PATH  severity  code  message`,
then a count; `--json` prints
`{"findings": [{"file", "path", "severity", "code", "message"}], "errors": N, "warnings": N}`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from codeconn.cli.exit_codes import ExitCode
from codeconn.iam.catalog import IamCatalog
from codeconn.iam.document import PolicyKind
from codeconn.iam.lint import Finding, Severity, lint_policy
from codeconn.policytest import DocumentError, decode_document
from codeconn.policytest.documents import is_yaml


KINDS: dict[str, PolicyKind] = {kind.name.lower(): kind for kind in PolicyKind}
"""The `--kind` choices: where the policy sits, which decides what its grammar allows (PolicyKind, by name)."""


def _kind(value: str | PolicyKind) -> PolicyKind:
    if isinstance(value, PolicyKind):
        return value
    found = KINDS.get(value.lower())
    if found is None:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(KINDS)}.")
    return found

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def register(app: typer.Typer) -> None:
    """Add `lint` to the `policy` group."""
    app.command("lint", no_args_is_help=True)(policy_lint)


def policy_lint(
    files: Annotated[list[Path], typer.Argument(metavar="FILE", show_default=False,
                                                help="Policy documents: JSON, or YAML (.yaml / .yml).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object: findings, errors, warnings.")] = False,
    kind: Annotated[PolicyKind, typer.Option("--kind", parser=_kind, metavar=f"[{'|'.join(KINDS)}]",
                                             show_default="identity",
                                             help="The kind of policy the files are.")] = PolicyKind.IDENTITY,
) -> None:
    """Lint policy documents: unknown actions and keys, keys the actions do not support, operators that
    do not fit the key's type, invalid values, statements that never match.

    Exit 0 if no finding is an error, 1 if one is, 2 if a file cannot be read.
    """
    documents: list[tuple[str, Any]] = []
    unreadable: list[DocumentError] = []
    for path in files:
        try:
            documents.append((str(path), _read(path)))
        except DocumentError as exc:
            unreadable.append(exc)
    if unreadable:
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        for problem in unreadable:
            err.print(Text(f"error: {problem}"))
        raise typer.Exit(ExitCode.BAD_INPUT)

    catalog = IamCatalog.load()
    found = [(name, f) for name, document in documents for f in lint_policy(document, catalog, kind=kind)]
    errors = sum(f.severity is Severity.ERROR for _, f in found)
    warnings = len(found) - errors
    if json_output:
        sys.stdout.write(json.dumps({
            "findings": [{"file": name, **f.to_json()} for name, f in found],
            "errors": errors,
            "warnings": warnings,
        }) + "\n")
    else:
        _print_findings(found, len(documents), errors, warnings)
    raise typer.Exit(ExitCode.FAILED if errors else ExitCode.OK)


def _read(path: Path) -> Any:
    """The JSON text (so the linter can see duplicate keys) or the decoded YAML; DocumentError if neither."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(path, "cannot read: not UTF-8 text") from None
    except OSError as exc:
        raise DocumentError(path, f"cannot read: {exc.strerror or exc}") from None
    decoded = decode_document(text, path)
    return decoded if is_yaml(path) else text


def _print_findings(found: list[tuple[str, Finding]], files: int, errors: int, warnings: int) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for name, finding in found:
        line = Text(f"{name}:{finding.path}" if finding.path else name)
        line.append("  ")
        line.append(finding.severity.value, style=_SEVERITY_STYLE[finding.severity])
        line.append(f"  {finding.code}  {finding.message}")
        out.print(line)
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    out.print(Text(f"{summary} in {files} file{'s' * (files != 1)}", style="bold red" if errors else "green"))
