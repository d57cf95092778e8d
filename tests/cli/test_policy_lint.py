"""`codeconn policy lint`: exit codes, the readable lines and the JSON shape, through the real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.cli.exit_codes import ExitCode

DATA = Path(__file__).resolve().parent.parent / "data" / "lint"
P = "codestar-connections:"


def write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return path


def lint(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["policy", "lint", *map(str, args)])


def test_the_real_command_reports_errors_with_file_and_path() -> None:
    result = subprocess.run([sys.executable, "-m", "codeconn", "policy", "lint", str(DATA / "seed-mistakes.json")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == ExitCode.FAILED, result.stderr
    lines = result.stdout.splitlines()
    prefix = f"{DATA / 'seed-mistakes.json'}:Statement[0].Condition.StringEquals."
    assert [line for line in lines if line.startswith(prefix + P + "ProviderActionType  ")] == [
        prefix + P + "ProviderActionType  error  misnamed-condition-key  " + P + "ProviderActionType: AWS's "
        "connections permissions page lists ProviderActionType in its table of supported values, but no request "
        "carries that key; for read_only use " + P + "ProviderPermissionsRequired"]
    assert any(line.startswith(prefix + P + "ProviderAction  error  invalid-key-value  ") for line in lines)
    assert lines[-1] == "2 errors, 0 warnings in 1 file"


@pytest.mark.parametrize("name, code", [
    pytest.param("seed-uses.json", ExitCode.OK, id="clean policy: exit 0"),
    pytest.param("seed-uses.yaml", ExitCode.OK, id="clean YAML policy: exit 0"),
    pytest.param("warnings-only.json", ExitCode.OK, id="warnings only: exit 0"),
    pytest.param("seed-mistakes.json", ExitCode.FAILED, id="an error: exit 1"),
])
def test_exit_codes(name: str, code: ExitCode) -> None:
    assert lint(DATA / name).exit_code == code


def test_json_output() -> None:
    result = lint("--json", DATA / "warnings-only.json", DATA / "seed-mistakes.json")
    assert result.exit_code == ExitCode.FAILED
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"]) == (2, 1)
    assert report["findings"][0] == {
        "file": str(DATA / "warnings-only.json"),
        "path": f"Statement[0].Condition.ForAllValues:StringEquals.{P}ProviderType",
        "severity": "warning",
        "code": "set-operator-on-single-valued-key",
        "message": report["findings"][0]["message"],
    }
    assert [f["code"] for f in report["findings"][1:]] == [
        "misnamed-condition-key", "invalid-key-value"]


def test_clean_output_says_so() -> None:
    result = lint(DATA / "seed-uses.json", DATA / "seed-uses.yaml")
    assert result.stdout.strip() == "0 errors, 0 warnings in 2 files"
    assert json.loads(lint("--json", DATA / "seed-uses.json").stdout) == {"findings": [], "errors": 0, "warnings": 0}


@pytest.mark.parametrize("content, reason", [
    pytest.param('{"Version": "2012-10-17", ', "not valid JSON", id="not JSON: exit 2"),
    pytest.param(None, "cannot read", id="missing file: exit 2"),
])
def test_unreadable_files_exit_2_and_lint_nothing(tmp_path: Path, content: str | None, reason: str) -> None:
    bad = write(tmp_path, "bad.json", content) if content is not None else tmp_path / "missing.json"
    result = lint("--json", DATA / "seed-mistakes.json", bad)
    assert result.exit_code == ExitCode.BAD_INPUT
    assert result.stdout == ""
    assert f"error: {bad}: {reason}" in result.stderr


def test_syntax_errors_are_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", {"Version": "2012-10-17", "Statement": {"Effect": "Permit", "Action": "*",
                                                                           "Resource": "*"}})
    result = lint("--json", path)
    assert result.exit_code == ExitCode.FAILED
    assert [(f["code"], f["path"]) for f in json.loads(result.stdout)["findings"]] == [("syntax", "Statement.Effect")]


def test_kind_option(tmp_path: Path) -> None:
    trust = write(tmp_path, "trust.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    assert lint("--kind", "trust", trust).exit_code == ExitCode.OK
    assert lint(trust).exit_code == ExitCode.FAILED
    assert lint("--kind", "nonsense", trust).exit_code == ExitCode.BAD_INPUT
