"""The AWS CLI (from PyPI, as a subprocess) against the server: output, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from server_fakes import (
    SESSION_ARN,
    SESSION_KEY,
    SESSION_SECRET,
    SESSION_TOKEN,
    USER_KEY,
)
from server_harness import LiveServer

pytestmark = pytest.mark.slow

TIMEOUT = 60
FAILED_CALL = (254, 255)  # a service error: v2 exits 254, v1 (the PyPI awscli) 255


def aws(server: LiveServer, tmp_path: Path, *args: str, key: str = "test", secret: str = "test",
        token: str | None = None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config").touch()
    (tmp_path / "credentials").touch()
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE":
                str(tmp_path / "credentials"), "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""})
    if token is not None:
        env["AWS_SESSION_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", server.url, "--output", "json", *args],
                          check=False, capture_output=True, text=True, env=env, timeout=TIMEOUT)


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_list_connections(server: LiveServer, tmp_path: Path, service: str) -> None:
    result = aws(server, tmp_path, service, "list-connections")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Connections"][0]["ConnectionName"] == "my-connection"
    assert any("aws-cli/" in (record.user_agent or "") for record in server.audit())


def test_service_errors_reach_the_cli(server: LiveServer, tmp_path: Path) -> None:
    arn = "arn:aws:codeconnections:us-east-1:000000000000:connection/missing"
    result = aws(server, tmp_path, "codeconnections", "get-connection", "--connection-arn", arn)
    assert result.returncode in FAILED_CALL
    assert "An error occurred (ResourceNotFoundException) when calling the GetConnection operation" in result.stderr


def test_unknown_key(server: LiveServer, tmp_path: Path) -> None:
    result = aws(server, tmp_path, "codestar-connections", "list-connections", key="AKIAUNKNOWN000000000")
    assert result.returncode in FAILED_CALL
    assert "(UnrecognizedClientException)" in result.stderr


def test_bad_secret_on_iam(server: LiveServer, tmp_path: Path) -> None:
    result = aws(server, tmp_path, "iam", "get-user", key=USER_KEY, secret="wrong")
    assert result.returncode in FAILED_CALL
    assert "(SignatureDoesNotMatch)" in result.stderr


def test_iam_error(server: LiveServer, tmp_path: Path) -> None:
    result = aws(server, tmp_path, "iam", "create-user", "--user-name", "taken")
    assert result.returncode in FAILED_CALL
    assert "(EntityAlreadyExists) when calling the CreateUser operation: User with name taken already exists." \
        in result.stderr


def test_sts_with_a_session(server: LiveServer, tmp_path: Path) -> None:
    result = aws(server, tmp_path, "sts", "get-caller-identity", key=SESSION_KEY, secret=SESSION_SECRET,
                 token=SESSION_TOKEN)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"] == SESSION_ARN
