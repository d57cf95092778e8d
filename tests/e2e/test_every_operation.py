"""All 27 operations of both services through real boto3 clients and a real server.

Run three ways: codestar-connections (AWS JSON 1.0), codeconnections (AWS JSON 1.0,
boto3's default) and codeconnections over Smithy RPC v2 CBOR. Two steps that no
API performs yet are played by writing the store as their owners will: the
console's handshake (a connection becomes AVAILABLE) and a sync engine's first
attempt (sync statuses and a blocker).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.model
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

REGION = "us-east-1"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SYNC = {"SyncType": "CFN_STACK_SYNC"}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sync-role"
REVISION = {"Branch": "release", "Directory": "deployment.yaml", "OwnerId": "octo", "RepositoryName": "app",
            "ProviderType": "GitHub", "Sha": "a" * 40}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RealServer]:
    with real_server(tmp_path / "data") as live:
        yield live


def cbor_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore ranks JSON above CBOR when a model lists both; rank CBOR first, as SDKs that prefer it do."""
    ranked = ("smithy-rpc-v2-cbor", *(p for p in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
                                      if p != "smithy-rpc-v2-cbor"))
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)


def seed(server: RealServer, kind: str, record_id: str, data: dict[str, Any]) -> None:
    server.put(Record(account_id=ACCOUNT, kind=kind, id=record_id, arn=f"urn:e2e:{kind}:{record_id}",
                      name=record_id, data=to_stored(data), created_at=NOW, updated_at=NOW))


@pytest.mark.parametrize("service, protocol", [
    pytest.param("codestar-connections", "json", id="codestar-connections over AWS JSON 1.0"),
    pytest.param("codeconnections", "json", id="codeconnections over AWS JSON 1.0"),
    pytest.param("codeconnections", "smithy-rpc-v2-cbor", id="codeconnections over RPC v2 CBOR"),
])
def test_every_operation(server: RealServer, service: str, protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if protocol != "json":
        cbor_first(monkeypatch)
    c = server.client(service)
    sent: list[str] = []
    c.meta.events.register("before-send", lambda request, **_: sent.append(
        "cbor" if "Smithy-Protocol" in request.headers else "json"))
    used: set[str] = set()
    c.meta.events.register("before-call", lambda model, **_: used.add(model.name))

    # hosts
    host = c.create_host(Name="ghes", ProviderType="GitHubEnterpriseServer",
                         ProviderEndpoint="https://ghes.example.com", Tags=[{"Key": "team", "Value": "ci"}])["HostArn"]
    assert host.startswith(f"arn:aws:{service}:{REGION}:{ACCOUNT}:host/ghes-")
    assert c.get_host(HostArn=host)["Status"] == "PENDING"
    c.update_host(HostArn=host, ProviderEndpoint="https://ghes2.example.com")
    assert c.get_host(HostArn=host)["ProviderEndpoint"] == "https://ghes2.example.com"
    assert [h["HostArn"] for h in c.list_hosts()["Hosts"]] == [host]

    # connections and tags
    arn = c.create_connection(ProviderType="GitHub", ConnectionName="app")["ConnectionArn"]
    assert c.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    assert [x["ConnectionArn"] for x in c.list_connections(ProviderTypeFilter="GitHub")["Connections"]] == [arn]
    assert c.list_connections(ProviderTypeFilter="Bitbucket")["Connections"] == []
    c.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ci"}])
    c.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert c.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]

    # repository links (the handshake makes the connection AVAILABLE first)
    server.complete_handshake(arn)
    link = c.create_repository_link(ConnectionArn=arn, OwnerId="octo", RepositoryName="app")["RepositoryLinkInfo"]
    link_id = link["RepositoryLinkId"]
    assert c.get_repository_link(RepositoryLinkId=link_id)["RepositoryLinkInfo"]["RepositoryName"] == "app"
    assert [x["RepositoryLinkId"] for x in c.list_repository_links()["RepositoryLinks"]] == [link_id]
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert c.update_repository_link(RepositoryLinkId=link_id, EncryptionKeyArn=key)[
        "RepositoryLinkInfo"]["EncryptionKeyArn"] == key

    # sync configurations
    config = c.create_sync_configuration(Branch="main", ConfigFile="deployment.yaml", RepositoryLinkId=link_id,
                                         ResourceName="my-stack", RoleArn=ROLE, **SYNC)["SyncConfiguration"]
    assert config["Branch"] == "main"
    assert c.get_sync_configuration(ResourceName="my-stack", **SYNC)["SyncConfiguration"]["ResourceName"] == "my-stack"
    assert [x["ResourceName"] for x in c.list_sync_configurations(RepositoryLinkId=link_id, **SYNC)[
        "SyncConfigurations"]] == ["my-stack"]
    c.update_sync_configuration(ResourceName="my-stack", Branch="release", **SYNC)
    assert [d["Branch"] for d in c.list_repository_sync_definitions(RepositoryLinkId=link_id, **SYNC)[
        "RepositorySyncDefinitions"]] == ["release"]

    # sync status and blockers (written by a sync engine; read and resolved through the API)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_repository_sync_status(Branch="release", RepositoryLinkId=link_id, **SYNC)
    attempt = {"StartedAt": NOW, "Status": "SUCCEEDED", "Events": [
        {"Event": "Fetched release", "ExternalId": "e-1", "Time": NOW, "Type": "INFO"}]}
    seed(server, REPOSITORY_SYNC_STATUS, repository_sync_status_id(link_id, "CFN_STACK_SYNC", "release"),
         {"RepositoryLinkId": link_id, "SyncType": "CFN_STACK_SYNC", "Branch": "release", "LatestSync": attempt})
    assert c.get_repository_sync_status(Branch="release", RepositoryLinkId=link_id, **SYNC)[
        "LatestSync"]["Status"] == "SUCCEEDED"
    resource_attempt = {"Events": [{"Event": "Change set executed", "Time": NOW, "Type": "INFO"}],
                        "InitialRevision": REVISION, "StartedAt": NOW, "Status": "SUCCEEDED",
                        "TargetRevision": REVISION, "Target": "my-stack"}
    seed(server, RESOURCE_SYNC_STATUS, resource_sync_status_id(REGION, "CFN_STACK_SYNC", "my-stack"),
         {"Region": REGION, "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack",
          "LatestSync": resource_attempt})
    assert c.get_resource_sync_status(ResourceName="my-stack", **SYNC)["LatestSync"]["Target"] == "my-stack"
    seed(server, SYNC_BLOCKER, sync_blocker_id(REGION, "CFN_STACK_SYNC", "my-stack", "b-1"),
         {"Region": REGION, "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack", "Id": "b-1",
          "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "Stack update failed", "CreatedAt": NOW})
    summary = c.get_sync_blocker_summary(ResourceName="my-stack", **SYNC)["SyncBlockerSummary"]
    assert [b["Id"] for b in summary["LatestBlockers"]] == ["b-1"]
    resolved = c.update_sync_blocker(Id="b-1", ResourceName="my-stack", ResolvedReason="fixed the template",
                                     **SYNC)["SyncBlocker"]
    assert (resolved["Status"], resolved["ResolvedReason"]) == ("RESOLVED", "fixed the template")

    # and everything deleted again, in the order AWS requires
    c.delete_sync_configuration(ResourceName="my-stack", **SYNC)
    c.delete_repository_link(RepositoryLinkId=link_id)
    c.delete_connection(ConnectionArn=arn)
    c.delete_host(HostArn=host)
    with pytest.raises(c.exceptions.ResourceNotFoundException):
        c.get_connection(ConnectionArn=arn)
    assert c.list_connections()["Connections"] == [] and c.list_hosts()["Hosts"] == []

    assert used == set(c.meta.service_model.operation_names), "every operation of the model was called"
    assert set(sent) == {"cbor" if protocol != "json" else "json"}


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_resources_of_one_endpoint_are_used_through_the_other(server: RealServer, service: str) -> None:
    other = "codeconnections" if service == "codestar-connections" else "codestar-connections"
    arn = server.client(service).create_connection(ProviderType="Bitbucket", ConnectionName="bb")["ConnectionArn"]
    assert arn.startswith(f"arn:aws:{service}:")
    client = server.client(other)
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "via", "Value": other}])
    assert server.client(service).list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "via", "Value": other}]
    client.delete_connection(ConnectionArn=arn)
    assert server.client(service).list_connections()["Connections"] == []
