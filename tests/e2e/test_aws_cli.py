"""The AWS CLI from PyPI, unchanged, against `codeconn serve` (one server for the module).

Each command runs as `python -m awscli --endpoint-url URL ...` with the default
key in the environment and empty config and credentials files, so nothing on
the machine running the tests changes what is sent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"
CLI_TIMEOUT = 90
SERVICES = [pytest.param("codestar-connections", id="codestar-connections"),
            pytest.param("codeconnections", id="codeconnections")]

Aws = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    with serve(tmp_path_factory.mktemp("awscli") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def aws(server: ServeProcess, tmp_path_factory: pytest.TempPathFactory) -> Aws:
    """`aws(*args, key="test", secret="test")`: the CLI's completed process (output as JSON)."""
    empty = tmp_path_factory.mktemp("awsconfig") / "empty"
    empty.write_text("")
    base = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    base.update(AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
                AWS_MAX_ATTEMPTS="1", AWS_PAGER="")

    def run(*args: str, key: str = "test", secret: str = "test") -> subprocess.CompletedProcess[str]:
        env = {**base, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
        return subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", server.url, *args,
                               "--output", "json"], env=env, capture_output=True, text=True, check=False,
                              timeout=CLI_TIMEOUT)

    return run


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def failed(result: subprocess.CompletedProcess[str], code: str) -> str:
    assert result.returncode != 0, result.stdout
    assert code in result.stderr, result.stderr
    return result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_a_connections_life(aws: Aws, service: str) -> None:
    name = f"cli-{service}"[:32]
    created = ok(aws(service, "create-connection", "--provider-type", "Bitbucket", "--connection-name", name,
                     "--tags", "Key=team,Value=infra"))
    arn = created["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:us-east-1:{ACCOUNT}:connection/")
    connection = ok(aws(service, "get-connection", "--connection-arn", arn))["Connection"]
    assert (connection["ConnectionName"], connection["ProviderType"], connection["ConnectionStatus"]) == (
        name, "Bitbucket", "PENDING")
    bitbucket = ok(aws(service, "list-connections", "--provider-type-filter", "Bitbucket"))["Connections"]
    assert arn in [c["ConnectionArn"] for c in bitbucket]
    assert {c["ProviderType"] for c in bitbucket} == {"Bitbucket"}
    github = ok(aws(service, "list-connections", "--provider-type-filter", "GitHub"))["Connections"]
    assert arn not in [c["ConnectionArn"] for c in github]

    ok(aws(service, "tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=prod"))
    assert ok(aws(service, "list-tags-for-resource", "--resource-arn", arn))["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "infra"}]
    ok(aws(service, "untag-resource", "--resource-arn", arn, "--tag-keys", "team"))
    assert ok(aws(service, "list-tags-for-resource", "--resource-arn", arn))["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    ok(aws(service, "delete-connection", "--connection-arn", arn))
    failed(aws(service, "get-connection", "--connection-arn", arn), "ResourceNotFoundException")


@pytest.mark.parametrize("service", SERVICES)
def test_a_hosts_life(aws: Aws, service: str) -> None:
    name = f"ghe-{service}"
    # AWS CLI v1 fetches a parameter value that is a URL (cli_follow_urlparam): the endpoint goes in as JSON
    host_input = {"Name": name, "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://ghe.example.com"}
    arn = ok(aws(service, "create-host", "--cli-input-json", json.dumps(host_input)))["HostArn"]
    assert arn.startswith(f"arn:aws:{service}:us-east-1:{ACCOUNT}:host/{name}-")
    host = ok(aws(service, "get-host", "--host-arn", arn))
    assert (host["Name"], host["Status"], host["ProviderType"]) == (name, "PENDING", "GitHubEnterpriseServer")
    assert arn in [h["HostArn"] for h in ok(aws(service, "list-hosts"))["Hosts"]]
    ok(aws(service, "delete-host", "--host-arn", arn))
    failed(aws(service, "get-host", "--host-arn", arn), "ResourceNotFoundException")


@pytest.mark.parametrize("service", SERVICES)
def test_errors_fail_the_command(aws: Aws, service: str) -> None:
    stderr = failed(aws(service, "create-connection", "--provider-type", "GitHub", "--connection-name", "n" * 33),
                    "ValidationException")
    assert "connectionName" in stderr
    missing = f"arn:aws:{service}:us-east-1:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000"
    failed(aws(service, "delete-connection", "--connection-arn", missing), "ResourceNotFoundException")


def test_iam_users_and_their_keys_are_decided_by_iam(aws: Aws) -> None:
    user = ok(aws("iam", "create-user", "--user-name", "cli-nobody"))["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/cli-nobody"
    key = ok(aws("iam", "create-access-key", "--user-name", "cli-nobody"))["AccessKey"]
    assert (key["UserName"], key["Status"]) == ("cli-nobody", "Active")
    as_nobody = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    assert ok(aws("sts", "get-caller-identity", **as_nobody))["Arn"] == user["Arn"]

    arn = ok(aws("codestar-connections", "create-connection", "--provider-type", "GitHub",
                 "--connection-name", "guarded"))["ConnectionArn"]
    for service in ("codestar-connections", "codeconnections"):
        stderr = failed(aws(service, "get-connection", "--connection-arn", arn, **as_nobody),
                        "AccessDeniedException")
        assert (f"User: {user['Arn']} is not authorized to perform: {service}:GetConnection on resource: {arn}"
                in stderr), stderr
        stderr = failed(aws(service, "create-connection", "--provider-type", "GitHub", "--connection-name", "no",
                            **as_nobody), "AccessDeniedException")
        assert f"{service}:CreateConnection" in stderr
    ok(aws("codestar-connections", "delete-connection", "--connection-arn", arn))
