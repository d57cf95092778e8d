"""`codeconn git-credential`: git's credential protocol in, the CodeCommit-style username and password out."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codeconn.cli import app
from codeconn.cli.git_credential import credential_answer
from codeconn.wire.git_password import check_git_password

REQUEST = "protocol=http\nhost=127.0.0.1:4599\npath=git/0a1b/acme/api.git\n\n"


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def _answer(stdin: str, *args: str) -> dict[str, str]:
    result = CliRunner().invoke(app, ["git-credential", *args], input=stdin)
    assert result.exit_code == 0, result.output
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def test_the_fast_path_answers_as_the_chain_does(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys in the environment, the chain's first source: the same answer without loading botocore."""
    env = {"AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "eu-west-1"}
    now = datetime.now(UTC)
    fields = {"host": "127.0.0.1:4599", "path": "git/0a1b/acme/api.git"}
    fast = credential_answer(fields, profile=None, now=now, environ=env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    chain = credential_answer(fields, profile=None, now=now, environ={})  # no AWS_ keys: botocore's chain
    assert fast == chain and fast is not None and fast["username"] == "AKIAENV"


def test_the_command_line_helper_runs_without_the_typer_app(aws_env: Path) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_DEFAULT_REGION": "us-east-1"}
    script = ("import sys, codeconn.cli\n"
              "sys.argv = ['codeconn', 'git-credential', 'get']\n"
              "try:\n    codeconn.cli.main()\nexcept SystemExit as done:\n    assert not done.code\n"
              "loaded = [m for m in sys.modules if m.split('.')[0] in ('typer', 'botocore', 'rich')]\n"
              "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", script], input=REQUEST, capture_output=True, text=True, env=env,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("username=AKIA\npassword=")


def test_keys_from_the_environment_with_a_session_token(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    answer = _answer(REQUEST, "get")
    assert answer["username"] == "ASIAEXAMPLE%token"
    assert check_git_password(answer["password"], secret_key="secret", path="/git/0a1b/acme/api.git",
                              host="127.0.0.1:4599", regions=("us-east-1",), now=datetime.now(UTC))


def test_keys_and_region_from_a_profile(aws_env: Path) -> None:
    (aws_env / "credentials").write_text("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n")
    (aws_env / "config").write_text("[profile dev]\nregion = eu-west-1\n")
    answer = _answer(REQUEST, "get", "--profile", "dev")
    assert answer["username"] == "AKIADEV"
    assert check_git_password(answer["password"], secret_key="devsecret", path="/git/0a1b/acme/api.git",
                              host="127.0.0.1:4599", regions=("eu-west-1",), now=datetime.now(UTC))


def test_nothing_without_a_path_or_keys_and_nothing_stored(aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _answer(REQUEST, "get") == {}  # no keys anywhere
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    assert _answer("protocol=http\nhost=127.0.0.1:4599\n\n", "get") == {}  # credential.useHttpPath is off
    assert _answer(REQUEST + "username=AKIA\npassword=x\n", "store") == {}
    assert _answer(REQUEST, "erase") == {}
