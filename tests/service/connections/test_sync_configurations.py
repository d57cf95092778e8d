"""Create/Get/Update/Delete/ListSyncConfiguration(s), ListRepositorySyncDefinitions."""

from __future__ import annotations

import pytest
from connections_env import ROLE_ARN, SERVICES, Bench

from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)

SYNC = {"SyncType": "CFN_STACK_SYNC"}


@pytest.fixture
def link(bench: Bench) -> str:
    return str(bench.link(bench.connection(available=True))["RepositoryLinkId"])


@pytest.mark.parametrize("service", SERVICES)
def test_a_configuration_carries_its_repository(bench: Bench, link: str, service: str) -> None:
    created = bench.sync_configuration(link, service=service, PublishDeploymentStatus="DISABLED",
                                       TriggerResourceUpdateOn="FILE_CHANGE")
    assert created == {"Branch": "main", "ConfigFile": "deployment.yaml", "OwnerId": "octo", "ProviderType": "GitHub",
                       "RepositoryLinkId": link, "RepositoryName": "app", "ResourceName": "my-stack",
                       "RoleArn": ROLE_ARN, "SyncType": "CFN_STACK_SYNC", "PublishDeploymentStatus": "DISABLED",
                       "TriggerResourceUpdateOn": "FILE_CHANGE"}
    for other in SERVICES:
        got = bench.invoke("GetSyncConfiguration", other, ResourceName="my-stack", **SYNC)
        assert got == {"SyncConfiguration": created}


def test_pull_request_comments_show_on_the_endpoint_that_models_them(bench: Bench, link: str) -> None:
    created = bench.sync_configuration(link, service="codeconnections", PullRequestComment="ENABLED")
    assert created["PullRequestComment"] == "ENABLED"
    old = bench.invoke("GetSyncConfiguration", ResourceName="my-stack", **SYNC)["SyncConfiguration"]
    assert "PullRequestComment" not in old


def test_one_configuration_per_resource_and_sync_type(bench: Bench, link: str) -> None:
    bench.sync_configuration(link)
    with pytest.raises(ResourceAlreadyExistsException):
        bench.sync_configuration(link, Branch="dev")
    bench.sync_configuration(link, "other-stack")
    in_europe = bench.invoke("CreateConnection", region="eu-west-1", ConnectionName="eu",
                             ProviderType="GitHub")["ConnectionArn"]
    bench.set_data("connection", in_europe, ConnectionStatus="AVAILABLE")
    europe = bench.invoke("CreateRepositoryLink", region="eu-west-1", ConnectionArn=in_europe,
                          OwnerId="octo", RepositoryName="app")["RepositoryLinkInfo"]["RepositoryLinkId"]
    bench.invoke("CreateSyncConfiguration", region="eu-west-1", RepositoryLinkId=europe, ResourceName="my-stack",
                 Branch="main", ConfigFile="d.yaml", RoleArn=ROLE_ARN, **SYNC)
    assert bench.count("sync_configuration") == 3



def test_a_configuration_needs_a_link_of_the_region(bench: Bench, link: str) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.sync_configuration("00000000-0000-0000-0000-000000000000")
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("CreateSyncConfiguration", region="eu-west-1", RepositoryLinkId=link, ResourceName="s",
                     Branch="main", ConfigFile="d.yaml", RoleArn=ROLE_ARN, **SYNC)
    assert bench.count("sync_configuration") == 0


def test_update_changes_settings_and_follows_a_new_link(bench: Bench, link: str) -> None:
    bench.sync_configuration(link)
    other_connection = bench.connection("other", ProviderType="Bitbucket", available=True)
    other_link = bench.link(other_connection, "team", "infra")["RepositoryLinkId"]
    updated = bench.invoke("UpdateSyncConfiguration", "codeconnections", ResourceName="my-stack", Branch="release",
                           RepositoryLinkId=other_link, TriggerResourceUpdateOn="ANY_CHANGE", **SYNC)
    configuration = updated["SyncConfiguration"]
    assert (configuration["Branch"], configuration["RepositoryLinkId"], configuration["OwnerId"],
            configuration["RepositoryName"], configuration["ProviderType"]) == (
        "release", other_link, "team", "infra", "Bitbucket")
    assert configuration["TriggerResourceUpdateOn"] == "ANY_CHANGE"
    assert bench.invoke("GetSyncConfiguration", ResourceName="my-stack", **SYNC) == updated


def test_update_of_a_missing_configuration_or_link_is_not_found(bench: Bench, link: str) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("UpdateSyncConfiguration", ResourceName="nothing", Branch="dev", **SYNC)
    bench.sync_configuration(link)
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("UpdateSyncConfiguration", ResourceName="my-stack",
                     RepositoryLinkId="00000000-0000-0000-0000-000000000000", **SYNC)


def test_get_and_delete_of_a_missing_configuration(bench: Bench) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetSyncConfiguration", ResourceName="nothing", **SYNC)
    with pytest.raises(InvalidInputException):  # the model gives DeleteSyncConfiguration no ResourceNotFound
        bench.invoke("DeleteSyncConfiguration", ResourceName="nothing", **SYNC)


def test_delete_then_the_configuration_is_gone(bench: Bench, link: str) -> None:
    bench.sync_configuration(link)
    assert bench.invoke("DeleteSyncConfiguration", "codeconnections", ResourceName="my-stack", **SYNC) == {}
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetSyncConfiguration", ResourceName="my-stack", **SYNC)


def test_list_and_definitions_are_per_link(bench: Bench, link: str) -> None:
    other = bench.link(bench.connection("other", available=True))["RepositoryLinkId"]
    bench.sync_configuration(link, "stack-a", Branch="main", ConfigFile="a.yaml")
    bench.sync_configuration(other, "stack-b")
    bench.sync_configuration(link, "stack-c", Branch="dev", ConfigFile="c.yaml")
    listed = bench.invoke("ListSyncConfigurations", RepositoryLinkId=link, **SYNC)["SyncConfigurations"]
    assert [c["ResourceName"] for c in listed] == ["stack-a", "stack-c"]
    definitions = bench.invoke("ListRepositorySyncDefinitions", "codeconnections", RepositoryLinkId=link, **SYNC)
    assert definitions == {"RepositorySyncDefinitions": [
        {"Branch": "main", "Directory": "a.yaml", "Parent": "stack-a", "Target": "stack-a"},
        {"Branch": "dev", "Directory": "c.yaml", "Parent": "stack-c", "Target": "stack-c"}]}


@pytest.mark.parametrize("operation", ["ListSyncConfigurations", "ListRepositorySyncDefinitions"])
def test_listing_for_a_missing_link_is_not_found(bench: Bench, operation: str) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke(operation, RepositoryLinkId="00000000-0000-0000-0000-000000000000", **SYNC)
