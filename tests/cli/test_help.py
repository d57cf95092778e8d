"""Every command's --help at 80 columns: option names whole, no line past the edge, examples as written."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from codeconn.cli import app

COMMANDS = [[], ["policy"], ["policy", "simulate"], ["policy", "test"], ["policy", "lint"], ["serve"], ["audit"], ["git-credential"]]


def help_of(words: list[str]) -> str:
    result = CliRunner().invoke(app, [*words, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def command_of(words: list[str]) -> Any:
    """The click command behind `codeconn WORDS` (typer's own click types, hence Any)."""
    command: Any = typer.main.get_command(app)
    for word in words:
        command = command.commands[word]
    return command


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "codeconn")
def test_help_fits_80_columns_and_names_every_option_whole(words: list[str]) -> None:
    text = help_of(words)
    assert [line for line in text.splitlines() if len(line) > 80] == []
    assert "…" not in text
    for parameter in command_of(words).params:
        for name in parameter.opts:
            if name.startswith("--"):
                assert name in text.split(), name


def test_prose_is_rewrapped_and_example_commands_keep_their_lines() -> None:
    text = help_of(["serve"])
    assert "the AWS CLI and boto3 work with no setup" in " ".join(text.split())
    assert [line for line in text.splitlines() if line.strip() in {"AWS", "on", "still", "`ps`"}] == []
    lines = [line.strip() for line in text.splitlines()]
    assert "codeconn serve --host 0.0.0.0 --disable-default-credentials \\" in lines
    audit = [line.strip() for line in help_of(["audit"]).splitlines()]
    assert "codeconn audit --decision explicitDeny" in audit
