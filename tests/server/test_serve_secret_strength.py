"""Issue 7, item 8: `codeconn serve` off loopback requires a strong custom root secret, and says the rule.

A one-character root secret was accepted for a listener on 0.0.0.0. (That a strong
secret is accepted is checked on ServeConfig in test_serve_config.py: the tests
never listen off loopback.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from codeconn.cli import app


@pytest.mark.parametrize("secret", ["x", "password" * 5, "abcd" * 10])
def test_a_weak_root_secret_off_loopback_is_refused_with_the_rule(tmp_path: Path, secret: str) -> None:
    env = {"CODECONN_ROOT_ACCESS_KEY_ID": "AKIAOWNKEY", "CODECONN_ROOT_SECRET_ACCESS_KEY": secret}
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--disable-default-credentials",
                                      "--data-dir", str(tmp_path / "data")], env=env)
    assert result.exit_code == 2
    assert "weak root secret" in result.stderr
    assert "at least 32 characters and at least 128 bits of entropy" in result.stderr
    assert not (tmp_path / "data").exists()


def test_serve_help_names_the_hardening_options() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for option in ("--allowed-host", "--audit-max-bytes", "--audit-keep"):
        assert option in result.stdout
    assert "128 bits" in result.stdout
