"""The handshake end to end against `codeconn serve` with its defaults: local mode, both endpoints, both protocols.

A bare repository `acme/api` made with git under the local root
(`<data-dir>/repositories/GitHub`), a GitHub connection, then
GetIndividualAccessToken -> ListInstallationTargets (lists `acme`) ->
UpdateConnectionInstallation: the connection is AVAILABLE and its OwnerAccountId
is the installation's owner. The authorization table's InstallationId key refuses
another installation (the connection stays PENDING), and a TokenId is nobody
else's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from handshake_clients import bare_repository, handshake_client, local_handshake
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow

ACCOUNT = "000000000000"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("handshake") / "data"


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[ServeProcess]:
    with serve(data_dir) as running:
        root = data_dir / "repositories" / "GitHub"
        bare_repository(root, "acme", "api")
        bare_repository(root, "globex", "web")
        yield running


@pytest.mark.parametrize(("service", "cbor"), [
    pytest.param("codestar-connections", False, id="codestar-connections-json"),
    pytest.param("codeconnections", True, id="codeconnections-cbor"),
    pytest.param("codeconnections", False, id="codeconnections-json"),
])
def test_the_local_handshake_makes_a_connection_available(server: ServeProcess, service: str, cbor: bool) -> None:
    client = handshake_client(server.url, service, cbor=cbor)
    arn = client.create_connection(ProviderType="GitHub", ConnectionName=f"api-{service}-{cbor}")["ConnectionArn"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    answer = client.get_individual_access_token(ProviderType="GitHub")
    assert answer["ProviderUser"] == "local" and answer["TokenId"]
    targets = client.list_installation_targets(TokenId=answer["TokenId"])["InstallationTargets"]
    assert {"InstallationId": "acme", "OwnerId": "acme", "OwnerType": "User", "TargetName": "acme"} in targets
    connection = client.update_connection_installation(ConnectionArn=arn, InstallationId="acme",
                                                       TokenId=answer["TokenId"])["Connection"]
    assert (connection["ConnectionStatus"], connection["OwnerAccountId"]) == ("AVAILABLE", "acme")
    got = client.get_connection(ConnectionArn=arn)["Connection"]
    assert (got["ConnectionStatus"], got["OwnerAccountId"]) == ("AVAILABLE", "acme")
    assert client.get_installation_url(ProviderType="GitHub")["InstallationUrl"].startswith("file://")


def test_list_installation_targets_pages(server: ServeProcess) -> None:
    client = handshake_client(server.url, "codeconnections")
    token = client.get_individual_access_token(ProviderType="GitHub")["TokenId"]
    first = client.list_installation_targets(TokenId=token, MaxResults=1)
    second = client.list_installation_targets(TokenId=token, MaxResults=1, NextToken=first["NextToken"])
    assert [t["InstallationId"] for t in first["InstallationTargets"] + second["InstallationTargets"]] == [
        "acme", "globex"]
    assert "NextToken" not in second


def test_an_unreachable_installation_is_invalid_input_and_changes_nothing(server: ServeProcess) -> None:
    client = handshake_client(server.url, "codestar-connections")
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="unreachable")["ConnectionArn"]
    token = client.get_individual_access_token(ProviderType="GitHub")["TokenId"]
    with pytest.raises(ClientError) as caught:
        client.update_connection_installation(ConnectionArn=arn, InstallationId="initech", TokenId=token)
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"


def _user(server: ServeProcess, name: str, policy: dict[str, object]) -> tuple[str, str]:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="handshake", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_a_policy_on_installation_id_refuses_another_installation(server: ServeProcess) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Resource": "*", "Action": [
            "codestar-connections:CreateConnection", "codestar-connections:GetConnection",
            "codestar-connections:GetIndividualAccessToken", "codestar-connections:ListInstallationTargets"]},
        {"Effect": "Allow", "Action": "codestar-connections:UpdateConnectionInstallation", "Resource": "*",
         "Condition": {"StringEquals": {"codestar-connections:InstallationId": "acme"}}}]}
    key, secret = _user(server, "installer", policy)
    client = handshake_client(server.url, "codestar-connections", key=key, secret=secret)
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="only-acme")["ConnectionArn"]
    token = client.get_individual_access_token(ProviderType="GitHub")["TokenId"]
    with pytest.raises(ClientError) as caught:
        client.update_connection_installation(ConnectionArn=arn, InstallationId="globex", TokenId=token)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "codestar-connections:UpdateConnectionInstallation" in caught.value.response["Error"]["Message"]
    assert client.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"
    allowed = client.update_connection_installation(ConnectionArn=arn, InstallationId="acme", TokenId=token)
    assert allowed["Connection"]["ConnectionStatus"] == "AVAILABLE"


def test_a_token_id_of_another_principal_is_not_found(server: ServeProcess) -> None:
    root = handshake_client(server.url, "codeconnections")
    token = root.get_individual_access_token(ProviderType="GitHub")["TokenId"]
    allow_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    key, secret = _user(server, "someone-else", allow_all)
    other = handshake_client(server.url, "codeconnections", key=key, secret=secret)
    arn = other.create_connection(ProviderType="GitHub", ConnectionName="borrowed")["ConnectionArn"]
    for call in (lambda: other.list_installation_targets(TokenId=token),
                 lambda: other.update_connection_installation(ConnectionArn=arn, InstallationId="acme",
                                                              TokenId=token)):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert other.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "PENDING"


def test_local_mode_refuses_an_oauth_flow(server: ServeProcess) -> None:
    client = handshake_client(server.url, "codeconnections")
    with pytest.raises(ClientError) as caught:
        client.start_o_auth_handshake(ProviderType="GitHub")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"


def test_the_real_server_helper_completes_a_handshake(tmp_path: Path) -> None:
    from real_server import real_server

    with real_server(tmp_path / "data") as running:
        client = running.client("codestar-connections")
        arn = client.create_connection(ProviderType="Bitbucket", ConnectionName="bb")["ConnectionArn"]
        running.complete_handshake(arn, owner="team")
        assert client.get_connection(ConnectionArn=arn)["Connection"]["OwnerAccountId"] == "team"
        assert local_handshake(handshake_client(running.url, "codeconnections"), arn, "Bitbucket", "team")[
            "ConnectionStatus"] == "AVAILABLE"  # binding again keeps it AVAILABLE
