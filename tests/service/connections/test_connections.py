"""CreateConnection, GetConnection, ListConnections, DeleteConnection: AWS's rules and lifecycle."""

from __future__ import annotations

import re

import pytest
from connections_env import ACCOUNT, REGION, SERVICES, Bench

from codeconn.domain.connections import TOKEN_FIELD
from codeconn.service.connections.connections import provider_token, with_provider_token
from codeconn.service.connections.errors import UnsupportedProviderTypeException
from codeconn.domain.lifecycle import ConnectionStatus, move_connection
from codeconn.domain.quotas import QUOTAS
from codeconn.service.errors import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from codeconn.store import Secret

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.mark.parametrize("service", SERVICES)
def test_a_new_connection_is_pending_with_an_arn_of_the_endpoint_called(bench: Bench, service: str) -> None:
    output = bench.invoke("CreateConnection", service, ConnectionName="gh", ProviderType="GitHub",
                          Tags=[{"Key": "team", "Value": "ci"}])
    assert re.fullmatch(rf"arn:aws:{service}:{REGION}:{ACCOUNT}:connection/{UUID}", output["ConnectionArn"])
    assert output["Tags"] == [{"Key": "team", "Value": "ci"}]
    got = bench.invoke("GetConnection", service, ConnectionArn=output["ConnectionArn"])["Connection"]
    assert got == {"ConnectionName": "gh", "ConnectionArn": output["ConnectionArn"], "ProviderType": "GitHub",
                   "OwnerAccountId": ACCOUNT, "ConnectionStatus": "PENDING"}


def test_create_without_tags_answers_only_the_arn(bench: Bench) -> None:
    output = bench.invoke("CreateConnection", ConnectionName="gh", ProviderType="GitHub")
    assert list(output) == ["ConnectionArn"]


@pytest.mark.parametrize(("created", "read"), [
    pytest.param("codestar-connections", "codeconnections", id="codestar-connections resource, new endpoint"),
    pytest.param("codeconnections", "codestar-connections", id="codeconnections resource, old endpoint"),
])
def test_each_endpoint_serves_resources_created_through_the_other(bench: Bench, created: str, read: str) -> None:
    arn = bench.connection(service=created)
    assert bench.invoke("GetConnection", read, ConnectionArn=arn)["Connection"]["ConnectionArn"] == arn
    assert [c["ConnectionArn"] for c in bench.invoke("ListConnections", read)["Connections"]] == [arn]
    bench.invoke("DeleteConnection", read, ConnectionArn=arn)
    assert bench.count("connection") == 0


def test_only_the_resources_own_arn_names_it(bench: Bench) -> None:
    arn = bench.connection(service="codeconnections")
    alias = arn.replace(":codeconnections:", ":codestar-connections:")
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetConnection", ConnectionArn=alias)


def test_connections_are_regional(bench: Bench) -> None:
    """Each Region keeps its own connections: not found, not listed, and their names free elsewhere."""
    arn = bench.connection()
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetConnection", region="eu-west-1", ConnectionArn=arn)
    assert bench.invoke("ListConnections", region="eu-west-1")["Connections"] == []
    other = bench.invoke("CreateConnection", region="eu-west-1", ConnectionName="my-github",
                         ProviderType="GitHub")["ConnectionArn"]
    assert other.startswith("arn:aws:codestar-connections:eu-west-1:")
    assert [c["ConnectionArn"] for c in bench.invoke("ListConnections")["Connections"]] == [arn]


def test_the_status_moves_from_pending_once_the_handshake_is_done(bench: Bench) -> None:
    arn = bench.connection()
    bench.set_data("connection", arn, ConnectionStatus=move_connection("PENDING", ConnectionStatus.AVAILABLE))
    assert bench.invoke("GetConnection", ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"


@pytest.mark.parametrize(("current", "new", "allowed"), [
    pytest.param("PENDING", ConnectionStatus.AVAILABLE, True, id="handshake completes"),
    pytest.param("PENDING", ConnectionStatus.ERROR, True, id="handshake fails"),
    pytest.param("AVAILABLE", ConnectionStatus.ERROR, True, id="provider revokes"),
    pytest.param("ERROR", ConnectionStatus.AVAILABLE, True, id="repaired"),
    pytest.param("AVAILABLE", ConnectionStatus.PENDING, False, id="never back to pending"),
])
def test_connection_status_moves(current: str, new: ConnectionStatus, allowed: bool) -> None:
    if allowed:
        assert move_connection(current, new) is new
    else:
        with pytest.raises(ValueError):
            move_connection(current, new)


def test_a_connection_through_a_host_takes_its_provider_type(bench: Bench) -> None:
    host = bench.host()
    arn = bench.connection("ghes", HostArn=host)
    got = bench.invoke("GetConnection", ConnectionArn=arn)["Connection"]
    assert got["ProviderType"] == "GitHubEnterpriseServer" and got["HostArn"] == host
    assert got["ConnectionStatus"] == "PENDING"


@pytest.mark.parametrize(("params", "error"), [
    pytest.param({}, InvalidInputException, id="neither ProviderType nor HostArn"),
    pytest.param({"ProviderType": "GitHubEnterpriseServer"}, UnsupportedProviderTypeException,
                 id="an installed provider needs a host"),
    pytest.param({"ProviderType": "GitHub", "HostArn": "{host}"}, InvalidInputException,
                 id="ProviderType must match the host's"),
    pytest.param({"HostArn": "{missing}"}, ResourceNotFoundException, id="the host must exist"),
    pytest.param({"HostArn": "{host}", "ProviderEndpoint": "https://x.ghe.com"}, InvalidInputException,
                 id="no ProviderEndpoint with a host"),
    pytest.param({"ProviderType": "GitHubEnterpriseCloudDataResidency"}, InvalidInputException,
                 id="GitHub Enterprise Cloud data residency needs its endpoint"),
    pytest.param({"ProviderType": "GitHub", "ProviderEndpoint": "https://x.ghe.com"}, InvalidInputException,
                 id="ProviderEndpoint only for data residency"),
])
def test_create_connection_refuses(bench: Bench, params: dict[str, str], error: type[Exception]) -> None:
    host = bench.host()
    missing = host.rsplit("/", 1)[0] + "/gone-00000000"
    params = {key: value.format(host=host, missing=missing) for key, value in params.items()}
    with pytest.raises(error):
        bench.invoke("CreateConnection", "codeconnections", ConnectionName="c", **params)
    assert bench.count("connection") == 0


def test_a_data_residency_connection_keeps_its_endpoint_on_the_endpoint_that_models_it(bench: Bench) -> None:
    arn = bench.invoke("CreateConnection", "codeconnections", ConnectionName="ghe",
                       ProviderType="GitHubEnterpriseCloudDataResidency",
                       ProviderEndpoint="https://octo.ghe.com")["ConnectionArn"]
    new = bench.invoke("GetConnection", "codeconnections", ConnectionArn=arn)["Connection"]
    old = bench.invoke("GetConnection", "codestar-connections", ConnectionArn=arn)["Connection"]
    assert new["ProviderEndpoint"] == "https://octo.ghe.com"
    assert "ProviderEndpoint" not in old


def test_connection_names_are_unique_in_the_account(bench: Bench) -> None:
    bench.connection("same")
    with pytest.raises(ResourceAlreadyExistsException):
        bench.connection("same", service="codeconnections", ProviderType="Bitbucket")
    assert bench.count("connection") == 1


def test_list_filters_by_provider_and_host(bench: Bench) -> None:
    host = bench.host()
    github = bench.connection("gh")
    bitbucket = bench.connection("bb", ProviderType="Bitbucket")
    ghes = bench.connection("ghes", HostArn=host)

    def listed(**params: str) -> list[str]:
        return [c["ConnectionArn"] for c in bench.invoke("ListConnections", **params)["Connections"]]

    assert listed() == [github, bitbucket, ghes]
    assert listed(ProviderTypeFilter="Bitbucket") == [bitbucket]
    assert listed(HostArnFilter=host) == [ghes]
    assert listed(ProviderTypeFilter="GitHub", HostArnFilter=host) == []


def test_delete_removes_the_connection_and_its_tags(bench: Bench) -> None:
    arn = bench.connection(Tags=[{"Key": "team", "Value": "ci"}])
    assert bench.invoke("DeleteConnection", ConnectionArn=arn) == {}
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetConnection", ConnectionArn=arn)
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("DeleteConnection", ConnectionArn=arn)
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("ListTagsForResource", ResourceArn=arn)


def test_the_251st_connection_exceeds_the_quota_and_leaves_nothing_behind(bench: Bench) -> None:
    limit = QUOTAS["connection"].limit
    assert limit == 250
    for number in range(limit):
        bench.connection(f"c{number}", service="codeconnections" if number % 2 else "codestar-connections")
    with pytest.raises(LimitExceededException) as exceeded:
        bench.connection("one-too-many", Tags=[{"Key": "team", "Value": "ci"}])
    assert exceeded.value.message == (
        "Exceeded the maximum limit for connections: an account can have 250 connections in us-east-1.")
    assert bench.count("connection") == limit
    with bench.store.read(ACCOUNT) as reader:
        assert reader.get_by_lookup("connection", f"{ACCOUNT}:one-too-many") is None


def test_the_provider_token_is_encrypted_and_never_answered(bench: Bench) -> None:
    arn = bench.connection()
    record = bench.record("connection", arn)
    assert record is not None and provider_token(record, bench.secrets) is None
    stored = with_provider_token(record, bench.secrets, Secret("ghp_tokenvalue"))
    with bench.store.transaction(ACCOUNT) as tx:
        tx.update(stored)
    reread = bench.record("connection", arn)
    assert reread is not None and "ghp_tokenvalue" not in str(reread.data)
    token = provider_token(reread, bench.secrets)
    assert token is not None and token.reveal() == "ghp_tokenvalue"
    for service in SERVICES:
        answers = [bench.invoke("GetConnection", service, ConnectionArn=arn),
                   bench.invoke("ListConnections", service)]
        for answer in answers:
            assert "ghp_tokenvalue" not in str(answer) and reread.data[TOKEN_FIELD] not in str(answer)
            assert TOKEN_FIELD not in str(answer)
