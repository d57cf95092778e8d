"""`codeconn aws ...`: the AWS CLI aimed at the server, with the endpoint, region and default key set.

Each command runs as a real process with no AWS_* variables and empty config and
credentials files, as on a newcomer's machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
Run = Callable[..., Any]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(tmp_path_factory.mktemp("codeconn-aws") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def codeconn_aws(server: ServeProcess, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`codeconn_aws(*args, **env)`: the parsed JSON output; a failure raises with the CLI's stderr."""
    empty = tmp_path_factory.mktemp("awsconfig") / "empty"
    empty.write_text("")
    base = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    home = tmp_path_factory.mktemp("home")  # the CLI caches assumed-role keys under ~/.aws/cli/cache
    base.update(AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_PAGER="",
                CODECONN_ENDPOINT_URL=server.url, HOME=str(home))

    def run(*args: str, **env: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "codeconn", "aws", *args, "--output", "json"],
                              env={**base, **env}, capture_output=True, text=True, check=False, timeout=90)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    return run


def test_with_nothing_configured_it_is_the_default_accounts_root(codeconn_aws: Run) -> None:
    assert codeconn_aws("sts", "get-caller-identity")["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_an_https_parameter_value_is_sent_as_written_not_fetched(codeconn_aws: Run) -> None:
    """AWS CLI v1 would fetch https://ghes.example.com and fail on the client (cli_follow_urlparam)."""
    host = codeconn_aws("codestar-connections", "create-host", "--name", "ghes",
                        "--provider-type", "GitHubEnterpriseServer", "--provider-endpoint", "https://ghes.example.com")
    assert host["HostArn"].startswith(f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:host/ghes-")
    got = codeconn_aws("codestar-connections", "get-host", "--host-arn", host["HostArn"])
    assert got["ProviderEndpoint"] == "https://ghes.example.com"


def test_file_parameters_still_read_files(codeconn_aws: Run, tmp_path: Path) -> None:
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps([{"Key": "team", "Value": "ci"}]))
    arn = codeconn_aws("codeconnections", "create-connection", "--provider-type", "GitHub",
                       "--connection-name", "from-file", "--tags", f"file://{tags}")["ConnectionArn"]
    listed = codeconn_aws("codeconnections", "list-tags-for-resource", "--resource-arn", arn)
    assert listed["Tags"] == [{"Key": "team", "Value": "ci"}]


def test_configured_credentials_are_used_instead_of_the_default_key(codeconn_aws: Run) -> None:
    codeconn_aws("iam", "create-user", "--user-name", "configured")
    key = codeconn_aws("iam", "create-access-key", "--user-name", "configured")["AccessKey"]
    me = codeconn_aws("sts", "get-caller-identity", AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                      AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/configured"


def test_a_profile_with_role_arn_and_source_profile_assumes_the_role(codeconn_aws: Run, tmp_path: Path) -> None:
    """The README's alternative to exporting keys: the AWS CLI's own role profiles."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    codeconn_aws("iam", "create-role", "--role-name", "Admin", "--assume-role-policy-document", json.dumps(trust))
    codeconn_aws("iam", "create-user", "--user-name", "dev")
    codeconn_aws("iam", "put-user-policy", "--user-name", "dev", "--policy-name", "assume", "--policy-document",
                 json.dumps({"Version": "2012-10-17", "Statement": [
                     {"Effect": "Allow", "Action": "sts:AssumeRole",
                      "Resource": f"arn:aws:iam::{ACCOUNT}:role/Admin"}]}))
    key = codeconn_aws("iam", "create-access-key", "--user-name", "dev")["AccessKey"]
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(f"[profile admin]\nrole_arn = arn:aws:iam::{ACCOUNT}:role/Admin\nsource_profile = dev\n")
    credentials.write_text(f"[dev]\naws_access_key_id = {key['AccessKeyId']}\n"
                           f"aws_secret_access_key = {key['SecretAccessKey']}\n")
    me = codeconn_aws("--profile", "admin", "sts", "get-caller-identity", AWS_CONFIG_FILE=str(config),
                      AWS_SHARED_CREDENTIALS_FILE=str(credentials))
    assert me["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/")
