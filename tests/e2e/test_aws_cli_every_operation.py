"""Every operation of codestar-connections through the AWS CLI from PyPI, unchanged.

The server is the real one in a thread (`real_server`), so that the two steps no
API performs yet can be played by writing its store: the console's handshake
(the connection becomes AVAILABLE) and a sync engine's first attempt. Each
command runs as `python -m awscli --endpoint-url URL ...` with empty config files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from real_server import ACCOUNT, RealServer, real_server

from codeconn.domain.sync import (
    REPOSITORY_SYNC_STATUS,
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    repository_sync_status_id,
    resource_sync_status_id,
    sync_blocker_id,
    to_stored,
)
from codeconn.store import Record

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SERVICE = "codestar-connections"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data") as live:
        yield live


def cli(server: RealServer, tmp_path: Path) -> tuple[Callable[..., Any], set[str]]:
    """`aws(command, *args, **json_input)` for this server, and the commands it ran."""
    empty = tmp_path / "empty"
    empty.write_text("")
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty), AWS_MAX_ATTEMPTS="1",
               AWS_PAGER="")
    ran: set[str] = set()

    def aws(command: str, *args: str, **json_input: Any) -> Any:
        ran.add(command)
        extra = ["--cli-input-json", json.dumps(json_input)] if json_input else []
        done = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", server.url, SERVICE, command,
                               *args, *extra, "--output", "json"], env=env, capture_output=True, text=True,
                              timeout=90, check=False)
        assert done.returncode == 0, f"aws {SERVICE} {command}: {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else None

    return aws, ran


def seed(server: RealServer, kind: str, record_id: str, data: dict[str, Any]) -> None:
    server.put(Record(account_id=ACCOUNT, kind=kind, id=record_id, arn=f"urn:e2e:{kind}:{record_id}",
                      name=record_id, data=to_stored(data), created_at=NOW, updated_at=NOW))


def test_every_operation_through_the_aws_cli(server: RealServer, tmp_path: Path) -> None:
    aws, ran = cli(server, tmp_path)
    # URL-valued parameters go in --cli-input-json: the CLI v1 would fetch them otherwise
    host = aws("create-host", Name="ghes", ProviderType="GitHubEnterpriseServer",
               ProviderEndpoint="https://ghes.example.com")["HostArn"]
    aws("update-host", HostArn=host, ProviderEndpoint="https://ghes2.example.com")
    assert aws("get-host", "--host-arn", host)["ProviderEndpoint"] == "https://ghes2.example.com"
    assert [h["HostArn"] for h in aws("list-hosts")["Hosts"]] == [host]

    arn = aws("create-connection", "--provider-type", "GitHub", "--connection-name", "app")["ConnectionArn"]
    assert aws("get-connection", "--connection-arn", arn)["Connection"]["ConnectionStatus"] == "PENDING"
    assert [c["ConnectionArn"] for c in aws("list-connections", "--provider-type-filter", "GitHub")[
        "Connections"]] == [arn]
    aws("tag-resource", "--resource-arn", arn, "--tags", "Key=env,Value=prod", "Key=team,Value=ci")
    aws("untag-resource", "--resource-arn", arn, "--tag-keys", "team")
    assert aws("list-tags-for-resource", "--resource-arn", arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    server.complete_handshake(arn)
    link = aws("create-repository-link", "--connection-arn", arn, "--owner-id", "octo", "--repository-name",
               "app")["RepositoryLinkInfo"]["RepositoryLinkId"]
    assert aws("get-repository-link", "--repository-link-id", link)["RepositoryLinkInfo"]["OwnerId"] == "octo"
    assert len(aws("list-repository-links")["RepositoryLinks"]) == 1
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    aws("update-repository-link", "--repository-link-id", link, "--encryption-key-arn", key)

    sync = ["--sync-type", "CFN_STACK_SYNC"]
    aws("create-sync-configuration", "--branch", "main", "--config-file", "deployment.yaml",
        "--repository-link-id", link, "--resource-name", "my-stack", "--role-arn",
        f"arn:aws:iam::{ACCOUNT}:role/sync", *sync)
    assert aws("get-sync-configuration", "--resource-name", "my-stack", *sync)["SyncConfiguration"]["Branch"] == "main"
    assert len(aws("list-sync-configurations", "--repository-link-id", link, *sync)["SyncConfigurations"]) == 1
    aws("update-sync-configuration", "--resource-name", "my-stack", "--branch", "release", *sync)
    assert aws("list-repository-sync-definitions", "--repository-link-id", link, *sync)[
        "RepositorySyncDefinitions"][0]["Branch"] == "release"

    attempt = {"StartedAt": NOW, "Status": "SUCCEEDED", "Events": []}
    seed(server, REPOSITORY_SYNC_STATUS, repository_sync_status_id(link, "CFN_STACK_SYNC", "release"),
         {"RepositoryLinkId": link, "SyncType": "CFN_STACK_SYNC", "Branch": "release", "LatestSync": attempt})
    assert aws("get-repository-sync-status", "--branch", "release", "--repository-link-id", link, *sync)[
        "LatestSync"]["Status"] == "SUCCEEDED"
    revision = {"Branch": "release", "Directory": "deployment.yaml", "OwnerId": "octo", "RepositoryName": "app",
                "ProviderType": "GitHub", "Sha": "a" * 40}
    seed(server, RESOURCE_SYNC_STATUS, resource_sync_status_id("us-east-1", "CFN_STACK_SYNC", "my-stack"),
         {"Region": "us-east-1", "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack",
          "LatestSync": {"Events": [], "InitialRevision": revision, "StartedAt": NOW, "Status": "SUCCEEDED",
                         "TargetRevision": revision, "Target": "my-stack"}})
    assert aws("get-resource-sync-status", "--resource-name", "my-stack", *sync)["LatestSync"]["Target"] == "my-stack"
    seed(server, SYNC_BLOCKER, sync_blocker_id("us-east-1", "CFN_STACK_SYNC", "my-stack", "b-1"),
         {"Region": "us-east-1", "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack", "Id": "b-1",
          "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "Stack update failed", "CreatedAt": NOW})
    assert aws("get-sync-blocker-summary", "--resource-name", "my-stack", *sync)[
        "SyncBlockerSummary"]["LatestBlockers"][0]["Id"] == "b-1"
    assert aws("update-sync-blocker", "--id", "b-1", "--resource-name", "my-stack", "--resolved-reason", "fixed",
               *sync)["SyncBlocker"]["Status"] == "RESOLVED"

    aws("delete-sync-configuration", "--resource-name", "my-stack", *sync)
    aws("delete-repository-link", "--repository-link-id", link)
    aws("delete-connection", "--connection-arn", arn)
    aws("delete-host", "--host-arn", host)
    assert aws("list-connections")["Connections"] == []

    model = botocore.session.get_session().get_service_model(SERVICE)
    expected = {botocore.xform_name(name).replace("_", "-") for name in model.operation_names}
    assert ran == expected, "every operation of the model went through the CLI"
