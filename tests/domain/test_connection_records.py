"""Connection, Host, RepositoryLink and the sync types read the records the store holds and write them back unchanged.

The records below are in the layouts the service wrote before the domain types
existed: a database written then must read and write the same now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from stored_records import ACCOUNT, CREATED, UPDATED, record

from codeconn.domain.connections import (
    TOKEN_FIELD,
    Connection,
    Host,
    RepositoryLink,
    connection_name_key,
    repository_key,
)
from codeconn.domain.lifecycle import ConnectionStatus, HostStatus
from codeconn.domain.sync import RESOLVED, SyncBlocker, SyncConfiguration
from codeconn.store import Record

CONNECTION_ARN = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
HOST_ARN = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:host/My-Host-28aef605"
LINK_ARN = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:repository-link/0f1e2d3c-aaaa-bbbb-cccc-000000000002"


CONNECTIONS = [
    pytest.param(record("connection", CONNECTION_ARN.rsplit("/", 1)[1], CONNECTION_ARN, "my-conn", {
        "ProviderType": "GitHub", "ConnectionStatus": "PENDING", "OwnerAccountId": ACCOUNT, "Region": "us-east-1"},
        f"{ACCOUNT}:us-east-1:my-conn"), id="cloud provider"),
    pytest.param(record("connection", CONNECTION_ARN.rsplit("/", 1)[1], CONNECTION_ARN, "ghes", {
        "ProviderType": "GitHubEnterpriseServer", "ConnectionStatus": "AVAILABLE", "OwnerAccountId": ACCOUNT,
        "Region": "us-east-1", "HostArn": HOST_ARN, TOKEN_FIELD: "v1:ciphertext"}, f"{ACCOUNT}:us-east-1:ghes"),
        id="through a host, with a token"),
    pytest.param(record("connection", CONNECTION_ARN.rsplit("/", 1)[1], CONNECTION_ARN, "dr", {
        "ProviderType": "GitHubEnterpriseCloudDataResidency", "ConnectionStatus": "ERROR",
        "OwnerAccountId": ACCOUNT, "Region": "us-east-1", "ProviderEndpoint": "https://x.ghe.com"},
        f"{ACCOUNT}:us-east-1:dr"), id="with an endpoint"),
]


@pytest.mark.parametrize("stored", CONNECTIONS)
def test_a_connection_record_round_trips(stored: Record) -> None:
    connection = Connection.from_record(stored)
    assert connection.to_record() == stored
    assert connection.id == stored.id and connection.status is ConnectionStatus(stored.data["ConnectionStatus"])


def test_the_provider_token_is_not_in_a_connections_repr() -> None:
    connection = Connection.from_record(CONNECTIONS[1].values[0])
    assert connection.token_ciphertext == "v1:ciphertext"
    assert "ciphertext" not in repr(connection)


def test_a_connection_name_is_its_lookup_in_the_accounts_region() -> None:
    assert connection_name_key(ACCOUNT, "eu-west-1", "my-conn") == f"{ACCOUNT}:eu-west-1:my-conn"


HOSTS = [
    pytest.param(record("host", "My-Host-28aef605", HOST_ARN, "My Host", {
        "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://ghe.example.com", "Status": "PENDING",
        "Region": "us-east-1"}), id="plain"),
    pytest.param(record("host", "My-Host-28aef605", HOST_ARN, "My Host", {
        "ProviderType": "GitLabSelfManaged", "ProviderEndpoint": "https://gitlab.example.com",
        "Status": "VPC_CONFIG_INITIALIZING", "Region": "us-east-1",
        "VpcConfiguration": {"VpcId": "vpc-1", "SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
        "StatusSettlesAt": (CREATED + timedelta(seconds=5)).isoformat()}), id="with a VPC being set up"),
    pytest.param(record("host", "My-Host-28aef605", HOST_ARN, "My Host", {
        "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://ghe.example.com",
        "Status": "VPC_CONFIG_FAILED_INITIALIZATION", "Region": "us-east-1", "StatusMessage": "no route"}),
        id="with a status message"),
]


@pytest.mark.parametrize("stored", HOSTS)
def test_a_host_record_round_trips(stored: Record) -> None:
    assert Host.from_record(stored).to_record() == stored


def test_a_hosts_status_is_read_at_a_time() -> None:
    host = Host.from_record(HOSTS[1].values[0])
    assert host.status_at(CREATED) is HostStatus.VPC_CONFIG_INITIALIZING
    assert host.status_at(CREATED + timedelta(seconds=5)) is HostStatus.PENDING
    assert host.status is HostStatus.VPC_CONFIG_INITIALIZING  # what is stored does not change


def test_a_host_without_a_vpc_writes_none_of_its_fields() -> None:
    host = replace(Host.from_record(HOSTS[1].values[0]), vpc_configuration=None, settles_at=None,
                   status=HostStatus.PENDING)
    assert set(host.to_record().data) == {"ProviderType", "ProviderEndpoint", "Status", "Region"}


LINK = record("repository_link", LINK_ARN.rsplit("/", 1)[1], LINK_ARN, "Octo/App", {
    "ConnectionArn": CONNECTION_ARN, "OwnerId": "Octo", "RepositoryName": "App", "ProviderType": "GitHub",
    "Region": "us-east-1", "EncryptionKeyArn": "arn:aws:kms:us-east-1:111122223333:key/k"},
    "us-east-1:0f1e2d3c-aaaa-bbbb-cccc-000000000001:octo/app")


def test_a_repository_link_record_round_trips() -> None:
    link = RepositoryLink.from_record(LINK)
    assert link.to_record() == LINK
    assert link.name == "Octo/App" and link.id == LINK.id


def test_a_repository_links_lookup_ignores_case_and_names_the_connection() -> None:
    link = RepositoryLink.from_record(LINK)
    assert link.lookup == repository_key("us-east-1", "0f1e2d3c-aaaa-bbbb-cccc-000000000001", "OCTO", "app")
    moved = replace(link, connection_arn=CONNECTION_ARN.replace("000000000001", "000000000009"))
    assert moved.lookup.split(":")[1].endswith("000000000009")


SYNC_CONFIGURATION = record(
    "sync_configuration", "us-east-1|CFN_STACK_SYNC|my-stack",
    f"urn:codeconn:{ACCOUNT}:sync_configuration:us-east-1|CFN_STACK_SYNC|my-stack", "my-stack", {
        "Region": "us-east-1", "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack", "Branch": "main",
        "ConfigFile": "deploy.yaml", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/sync", "RepositoryLinkId": LINK.id,
        "OwnerId": "Octo", "RepositoryName": "App", "ProviderType": "GitHub", "PublishDeploymentStatus": "ENABLED"})


def test_a_sync_configuration_record_round_trips() -> None:
    assert SyncConfiguration.from_record(SYNC_CONFIGURATION).to_record() == SYNC_CONFIGURATION


def test_settings_change_only_what_a_request_gives() -> None:
    configuration = SyncConfiguration.from_record(SYNC_CONFIGURATION)
    assert configuration.with_settings({"Branch": None, "ResourceName": "other"}, UPDATED) is configuration
    changed = configuration.with_settings({"Branch": "release", "TriggerResourceUpdateOn": "FILE_CHANGE"}, CREATED)
    assert (changed.branch, changed.trigger_resource_update_on, changed.resource_name) == \
        ("release", "FILE_CHANGE", "my-stack")
    assert changed.to_record().data["TriggerResourceUpdateOn"] == "FILE_CHANGE"


BLOCKER = record("sync_blocker", "us-east-1|CFN_STACK_SYNC|my-stack|b-1", "urn:test:sync_blocker:b-1", "b-1", {
    "Region": "us-east-1", "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack", "ParentResourceName": "parent",
    "Id": "b-1", "Type": "AUTOMATED", "Status": "ACTIVE", "CreatedReason": "stack failed",
    "CreatedAt": CREATED.isoformat(), "Contexts": [{"Key": "k", "Value": "v"}]})


def test_a_sync_blocker_record_round_trips_and_shows_its_timestamps_as_datetimes() -> None:
    blocker = SyncBlocker.from_record(BLOCKER)
    assert blocker.to_record() == BLOCKER
    assert blocker.view()["CreatedAt"] == CREATED and blocker.parent_resource_name == "parent"


def test_resolving_a_blocker_records_why_and_when_once() -> None:
    resolved = SyncBlocker.from_record(BLOCKER).resolved("fixed", UPDATED)
    assert (resolved.status, resolved.resolved_reason, resolved.resolved_at) == (RESOLVED, "fixed", UPDATED)
    assert resolved.to_record().data["ResolvedAt"] == UPDATED.isoformat()
    assert resolved.resolved("again", UPDATED + timedelta(hours=1)) is resolved
