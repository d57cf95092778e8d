"""Create/Get/List/Update/DeleteRepositoryLink: available connections, one link per repository, quota."""

from __future__ import annotations

import re

import pytest
from connections_env import ACCOUNT, REGION, SERVICES, Bench

from codeconn.service.connections.errors import SyncConfigurationStillExistsException
from codeconn.domain.quotas import QUOTAS
from codeconn.service.errors import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)

KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("service", SERVICES)
def test_a_link_names_its_connection_repository_and_provider(bench: Bench, service: str) -> None:
    connection = bench.connection(available=True)
    info = bench.link(connection, service=service, EncryptionKeyArn=KEY)
    assert re.fullmatch(rf"arn:aws:{service}:{REGION}:{ACCOUNT}:repository-link/{info['RepositoryLinkId']}",
                        info["RepositoryLinkArn"])
    assert info == {"ConnectionArn": connection, "EncryptionKeyArn": KEY, "OwnerId": "octo",
                    "ProviderType": "GitHub", "RepositoryName": "app", "RepositoryLinkArn": info["RepositoryLinkArn"],
                    "RepositoryLinkId": info["RepositoryLinkId"]}
    for other in SERVICES:
        got = bench.invoke("GetRepositoryLink", other, RepositoryLinkId=info["RepositoryLinkId"])
        assert got == {"RepositoryLinkInfo": info}
        assert bench.invoke("ListRepositoryLinks", other)["RepositoryLinks"] == [info]


def test_a_link_needs_an_available_connection(bench: Bench) -> None:
    pending = bench.connection("pending")
    with pytest.raises(InvalidInputException):
        bench.link(pending)
    missing = pending[: -len("0000")] + ("0000" if not pending.endswith("0000") else "1111")
    with pytest.raises(ResourceNotFoundException):
        bench.link(missing)
    assert bench.count("repository_link") == 0


def test_a_repository_is_linked_once_per_connection(bench: Bench) -> None:
    first = bench.connection("first", available=True)
    second = bench.connection("second", available=True)
    bench.link(first, "Octo", "App")
    with pytest.raises(ResourceAlreadyExistsException):
        bench.link(first, "octo", "app", service="codeconnections")
    bench.link(second, "octo", "app")
    assert bench.count("repository_link") == 2


def test_update_moves_a_link_to_another_connection_of_the_same_provider(bench: Bench) -> None:
    first = bench.connection("first", available=True)
    second = bench.connection("second", available=True)
    bitbucket = bench.connection("bb", ProviderType="Bitbucket", available=True)
    pending = bench.connection("pending")
    link = bench.link(first)["RepositoryLinkId"]
    with pytest.raises(InvalidInputException):
        bench.invoke("UpdateRepositoryLink", RepositoryLinkId=link, ConnectionArn=bitbucket)
    with pytest.raises(InvalidInputException):
        bench.invoke("UpdateRepositoryLink", RepositoryLinkId=link, ConnectionArn=pending)
    info = bench.invoke("UpdateRepositoryLink", "codeconnections", RepositoryLinkId=link, ConnectionArn=second,
                        EncryptionKeyArn=KEY)["RepositoryLinkInfo"]
    assert info["ConnectionArn"] == second and info["EncryptionKeyArn"] == KEY
    assert bench.invoke("GetRepositoryLink", RepositoryLinkId=link)["RepositoryLinkInfo"] == info
    bench.link(first)  # the first connection no longer links the repository


def test_update_refuses_a_connection_that_already_links_the_repository(bench: Bench) -> None:
    first = bench.connection("first", available=True)
    second = bench.connection("second", available=True)
    link = bench.link(first)["RepositoryLinkId"]
    bench.link(second)
    with pytest.raises(InvalidInputException):
        bench.invoke("UpdateRepositoryLink", RepositoryLinkId=link, ConnectionArn=second)


def test_update_without_changes_answers_the_link(bench: Bench) -> None:
    info = bench.link(bench.connection(available=True))
    assert bench.invoke("UpdateRepositoryLink", RepositoryLinkId=info["RepositoryLinkId"]) == {
        "RepositoryLinkInfo": info}


def test_a_link_with_sync_configurations_cannot_be_deleted(bench: Bench) -> None:
    link = bench.link(bench.connection(available=True))["RepositoryLinkId"]
    bench.sync_configuration(link)
    with pytest.raises(SyncConfigurationStillExistsException):
        bench.invoke("DeleteRepositoryLink", RepositoryLinkId=link)
    bench.invoke("DeleteSyncConfiguration", ResourceName="my-stack", SyncType="CFN_STACK_SYNC")
    assert bench.invoke("DeleteRepositoryLink", "codeconnections", RepositoryLinkId=link) == {}
    for operation in ("GetRepositoryLink", "DeleteRepositoryLink", "UpdateRepositoryLink"):
        with pytest.raises(ResourceNotFoundException):
            bench.invoke(operation, RepositoryLinkId=link)


def test_links_are_regional(bench: Bench) -> None:
    link = bench.link(bench.connection(available=True))["RepositoryLinkId"]
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetRepositoryLink", region="eu-west-1", RepositoryLinkId=link)
    assert bench.invoke("ListRepositoryLinks", region="eu-west-1") == {"RepositoryLinks": []}


def test_the_101st_link_exceeds_the_quota(bench: Bench) -> None:
    connection = bench.connection(available=True)
    limit = QUOTAS["repository_link"].limit
    for number in range(limit):
        bench.link(connection, repository=f"repo-{number}")
    with pytest.raises(LimitExceededException):
        bench.link(connection, repository="one-too-many", Tags=[{"Key": "a", "Value": "b"}])
    assert bench.count("repository_link") == limit
