"""The handshake against remote code hosts (the test servers of tests/providers), through the real server.

GitHub in remote mode (`--providers` naming the fake GitHub, the client secret in
an environment variable): the OAuth authorization-code flow with PKCE S256 and a
State bound to the caller and used once, then a personal access token; GitLab,
Bitbucket (no PKCE, as it documents none) and Azure DevOps too; and a GitHub Enterprise Server host registering codeconn's app with the
manifest flow (StartAppRegistrationHandshake / RegisterAppCode). No token, client
secret or private key ever reaches the store file, the audit log or the server's
output.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from botocore.exceptions import ClientError
from handshake_clients import handshake_client
from real_server import RealServer, real_server

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from github_manifest_server import CLIENT_SECRET as APP_SECRET  # noqa: E402
from github_manifest_server import PEM, ManifestHost  # noqa: E402
from github_server import (  # noqa: E402
    CLIENT_ID, CLIENT_SECRET, PAT, SECRET_ENV, GitHubServer, remote_providers_file, serve_github)
from provider_server import serve  # noqa: E402



@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with serve_github() as running:
        yield running


@pytest.fixture
def server(tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[RealServer]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    providers = remote_providers_file(tmp_path / "providers.yaml", github)
    with real_server(tmp_path / "data", providers_file=providers) as running:
        yield running


def code_from(authorization_url: str, server: RealServer) -> tuple[str, str]:
    """What a browser does: open the provider's page, follow it back to codeconn's callback; (code, state)."""
    redirect = httpx.get(authorization_url, follow_redirects=False).headers["location"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    page = httpx.get(f"{server.url}/oauth/callback", params=query, headers={"Sec-Fetch-Site": "cross-site"})
    assert page.status_code == 200 and query["code"] in page.text and page.headers["cache-control"] == "no-store"
    return query["code"], query["state"]


def secrets_absent(server: RealServer, output: str, *values: str) -> None:
    files = [p for p in server.config.data_dir.rglob("*") if p.is_file() and "repositories" not in p.parts]
    assert files
    for value in values:
        assert value not in output
        for path in files:
            assert value.encode() not in path.read_bytes(), (path, "holds a secret")


def test_oauth_code_with_pkce_then_installation(server: RealServer, github: GitHubServer,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    client = handshake_client(server.url, "codestar-connections")
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="gh")["ConnectionArn"]
    started = client.start_o_auth_handshake(ProviderType="GitHub", ConnectionArn=arn)
    query = parse_qs(urlsplit(started["AuthorizationUrl"]).query)
    assert query["client_id"] == [CLIENT_ID] and query["state"] == [started["State"]]
    assert query["code_challenge_method"] == ["S256"] and query["redirect_uri"][0].endswith("/oauth/callback")
    code, state = code_from(started["AuthorizationUrl"], server)
    token = client.get_individual_access_token(ProviderType="GitHub", Code=code, State=state)
    assert token["ProviderUser"] == "octo"
    with pytest.raises(ClientError) as again:  # a State is good once
        client.get_individual_access_token(ProviderType="GitHub", Code=code, State=state)
    assert again.value.response["Error"]["Code"] == "ResourceNotFoundException"
    targets = client.list_installation_targets(TokenId=token["TokenId"])["InstallationTargets"]
    assert targets[0] == {"InstallationId": "1", "OwnerId": "1", "OwnerType": "User", "TargetName": "octo"}
    assert {t["TargetName"] for t in targets} >= {"octo", "org0"}
    connection = client.update_connection_installation(ConnectionArn=arn, InstallationId="100",
                                                       TokenId=token["TokenId"])["Connection"]
    assert (connection["ConnectionStatus"], connection["OwnerAccountId"]) == ("AVAILABLE", "100")
    issued = [t for t in github.state.tokens if t.startswith("gho_")]
    assert issued
    secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, *issued, CLIENT_SECRET, code)


def test_a_state_of_another_principal_is_not_found(server: RealServer) -> None:
    root = handshake_client(server.url, "codeconnections")
    started = root.start_o_auth_handshake(ProviderType="GitHub")
    code, state = code_from(started["AuthorizationUrl"], server)
    iam = server.client("iam")
    iam.create_user(UserName="mallory")
    iam.put_user_policy(UserName="mallory", PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    other = handshake_client(server.url, "codeconnections", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(ClientError) as caught:
        other.get_individual_access_token(ProviderType="GitHub", Code=code, State=state)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert root.get_individual_access_token(ProviderType="GitHub", Code=code, State=state)["ProviderUser"] == "octo"


def test_a_personal_access_token_is_checked_then_stored_encrypted(server: RealServer, github: GitHubServer,
                                                                  capfd: pytest.CaptureFixture[str]) -> None:
    client = handshake_client(server.url, "codeconnections", cbor=True)
    arn = client.create_connection(ProviderType="GitHub", ConnectionName="pat")["ConnectionArn"]
    with pytest.raises(ClientError) as caught:
        client.get_individual_access_token(ProviderType="GitHub", PersonalAccessToken="ghp_notAToken")
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    token = client.get_individual_access_token(ProviderType="GitHub", PersonalAccessToken=PAT)
    assert token["ProviderUser"] == "octo" and PAT not in json.dumps(token, default=str)
    connection = client.update_connection_installation(ConnectionArn=arn, InstallationId="1",
                                                       TokenId=token["TokenId"])["Connection"]
    assert connection["ConnectionStatus"] == "AVAILABLE"
    with pytest.raises(ClientError) as unreachable:
        client.update_connection_installation(ConnectionArn=arn, InstallationId="999", TokenId=token["TokenId"])
    assert unreachable.value.response["Error"]["Code"] == "InvalidInputException"
    assert client.get_installation_url(ProviderType="GitHub")["InstallationUrl"] == (
        f"{github.url}/settings/connections/applications/{CLIENT_ID}")
    audit = (server.config.audit_path).read_text()
    assert "GetIndividualAccessToken" in audit
    secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, PAT, CLIENT_SECRET)


def test_a_github_enterprise_server_host_registers_its_app(tmp_path: Path,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    with serve(ManifestHost()) as ghes, real_server(tmp_path / "data") as server:
        client = handshake_client(server.url, "codeconnections")
        host = client.create_host(Name="ghes", ProviderType="GitHubEnterpriseServer",
                                  ProviderEndpoint=ghes.base_url)["HostArn"]
        started = client.start_app_registration_handshake(HostArn=host)
        url = urlsplit(started["RegistrationUrl"])
        assert url.path == "/settings/apps/new" and parse_qs(url.query)["state"] == [started["State"]]
        redirect = httpx.get(started["RegistrationUrl"], follow_redirects=False).headers["location"]
        query: dict[str, Any] = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
        assert urlsplit(redirect).path == "/oauth/callback" and query["state"] == started["State"]
        registered = client.register_app_code(HostArn=host, Code=query["code"], State=query["state"])["Host"]
        assert (registered["Status"], registered["ProviderType"]) == ("AVAILABLE", "GitHubEnterpriseServer")
        assert client.get_host(HostArn=host)["Status"] == "AVAILABLE"
        slug = ghes.apps[0]["slug"]
        assert client.get_installation_url(ProviderType="GitHubEnterpriseServer", HostArn=host)[
            "InstallationUrl"] == f"{ghes.base_url}/apps/{slug}/installations/new"
        with pytest.raises(ClientError) as again:
            client.register_app_code(HostArn=host, Code=query["code"], State=query["state"])
        assert again.value.response["Error"]["Code"] == "ResourceNotFoundException"
        secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, APP_SECRET, PEM.splitlines()[1])


def test_a_file_host_is_served_locally_and_becomes_available(tmp_path: Path) -> None:
    from handshake_clients import bare_repository

    directory = tmp_path / "ghes-mirror"
    bare_repository(directory, "acme", "api")
    with real_server(tmp_path / "data") as server:
        client = handshake_client(server.url, "codeconnections")
        host = client.create_host(Name="local", ProviderType="GitHubEnterpriseServer",
                                  ProviderEndpoint=directory.as_uri())["HostArn"]
        arn = client.create_connection(HostArn=host, ConnectionName="on-host")["ConnectionArn"]
        token = client.get_individual_access_token(ProviderType="GitHubEnterpriseServer", HostArn=host)
        assert client.get_host(HostArn=host)["Status"] == "AVAILABLE"
        connection = client.update_connection_installation(ConnectionArn=arn, InstallationId="acme",
                                                           TokenId=token["TokenId"])["Connection"]
        assert connection["ConnectionStatus"] == "AVAILABLE"


def test_gitlab_oauth_with_pkce_and_a_personal_access_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capfd: pytest.CaptureFixture[str]) -> None:
    from gitlab_server import CLIENT_ID as GL_CLIENT, CLIENT_SECRET as GL_SECRET, PAT as GL_PAT, GitLabServer

    monkeypatch.setenv("CODECONN_TEST_GITLAB_SECRET", GL_SECRET)
    with serve(GitLabServer()) as gitlab:
        providers = tmp_path / "providers.json"
        providers.write_text(json.dumps({"providers": {"GitLab": {
            "mode": "remote", "web_url": gitlab.base_url, "client_id": GL_CLIENT,
            "client_secret_env": "CODECONN_TEST_GITLAB_SECRET"}}}))
        with real_server(tmp_path / "data", providers_file=providers) as server:
            client = handshake_client(server.url, "codeconnections", cbor=True)
            arn = client.create_connection(ProviderType="GitLab", ConnectionName="gl")["ConnectionArn"]
            started = client.start_o_auth_handshake(ProviderType="GitLab")
            query = {k: v[0] for k, v in parse_qs(urlsplit(started["AuthorizationUrl"]).query).items()}
            assert query["code_challenge_method"] == "S256" and query["state"] == started["State"]
            code = gitlab.authorize(query)  # the person's consent
            token = client.get_individual_access_token(ProviderType="GitLab", Code=code, State=started["State"])
            assert token["ProviderUser"] == "alice"
            targets = client.list_installation_targets(TokenId=token["TokenId"])["InstallationTargets"]
            assert targets[0]["InstallationId"] == "user:7" and "group:10" in {t["InstallationId"] for t in targets}
            bound = client.update_connection_installation(ConnectionArn=arn, InstallationId="group:10",
                                                          TokenId=token["TokenId"])["Connection"]
            assert (bound["ConnectionStatus"], bound["OwnerAccountId"]) == ("AVAILABLE", "10")
            by_pat = client.get_individual_access_token(ProviderType="GitLab", PersonalAccessToken=GL_PAT)
            assert by_pat["ProviderUser"] == "alice"
            secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, GL_PAT, GL_SECRET,
                           "gl-oauth-SECRET-1", "gl-refresh-SECRET-1")


def test_bitbucket_oauth_without_pkce_and_an_access_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    """Bitbucket Cloud documents no PKCE: the authorization URL carries none, the code alone is exchanged."""
    from bitbucket_server import ACCESS_TOKEN as BB_TOKEN, CLIENT_ID as BB_CLIENT, CLIENT_SECRET as BB_SECRET
    from bitbucket_server import BitbucketServer

    monkeypatch.setenv("CODECONN_TEST_BITBUCKET_SECRET", BB_SECRET)
    with serve(BitbucketServer()) as bitbucket:
        providers = tmp_path / "providers.json"
        providers.write_text(json.dumps({"providers": {"Bitbucket": {
            "mode": "remote", "api_url": f"{bitbucket.base_url}/2.0", "web_url": bitbucket.base_url,
            "client_id": BB_CLIENT, "client_secret_env": "CODECONN_TEST_BITBUCKET_SECRET"}}}))
        with real_server(tmp_path / "data", providers_file=providers) as server:
            client = handshake_client(server.url, "codestar-connections")
            arn = client.create_connection(ProviderType="Bitbucket", ConnectionName="bb")["ConnectionArn"]
            started = client.start_o_auth_handshake(ProviderType="Bitbucket")
            query = {k: v[0] for k, v in parse_qs(urlsplit(started["AuthorizationUrl"]).query).items()}
            assert "code_challenge" not in query and query["state"] == started["State"]
            code = bitbucket.authorize(query)
            token = client.get_individual_access_token(ProviderType="Bitbucket", Code=code, State=started["State"])
            targets = client.list_installation_targets(TokenId=token["TokenId"])["InstallationTargets"]
            assert {t["TargetName"] for t in targets} >= {"ws0", "ws1"}
            first = targets[0]
            bound = client.update_connection_installation(ConnectionArn=arn, InstallationId=first["InstallationId"],
                                                          TokenId=token["TokenId"])["Connection"]
            assert (bound["ConnectionStatus"], bound["OwnerAccountId"]) == ("AVAILABLE", first["OwnerId"])
            by_token = client.get_individual_access_token(ProviderType="Bitbucket", PersonalAccessToken=BB_TOKEN)
            assert by_token["TokenId"]
            secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, BB_TOKEN, BB_SECRET,
                           "bb-oauth-SECRET-1", "bb-refresh-SECRET-1")


def test_azure_devops_oauth_with_pkce_and_a_personal_access_token(tmp_path: Path,
                                                                  capfd: pytest.CaptureFixture[str]) -> None:
    from azure_devops_server import CLIENT_ID as ADO_CLIENT, PAT as ADO_PAT, AzureDevOpsServer

    with serve(AzureDevOpsServer()) as azure:
        providers = tmp_path / "providers.json"
        providers.write_text(json.dumps({"providers": {"AzureDevOps": {
            "mode": "remote", "api_url": azure.base_url, "web_url": f"{azure.base_url}/entra",
            "client_id": ADO_CLIENT}}}))
        with real_server(tmp_path / "data", providers_file=providers) as server:
            client = handshake_client(server.url, "codeconnections", cbor=True)
            arn = client.create_connection(ProviderType="AzureDevOps", ConnectionName="ado")["ConnectionArn"]
            started = client.start_o_auth_handshake(ProviderType="AzureDevOps")
            query = {k: v[0] for k, v in parse_qs(urlsplit(started["AuthorizationUrl"]).query).items()}
            assert query["code_challenge_method"] == "S256"
            code = azure.authorize(query)
            token = client.get_individual_access_token(ProviderType="AzureDevOps", Code=code,
                                                       State=started["State"])
            targets = client.list_installation_targets(TokenId=token["TokenId"])["InstallationTargets"]
            assert [t["TargetName"] for t in targets][:1] == ["org0"]
            bound = client.update_connection_installation(ConnectionArn=arn, InstallationId=targets[0][
                "InstallationId"], TokenId=token["TokenId"])["Connection"]
            assert bound["ConnectionStatus"] == "AVAILABLE"
            by_pat = client.get_individual_access_token(ProviderType="AzureDevOps", PersonalAccessToken=ADO_PAT)
            assert by_pat["ProviderUser"]
            secrets_absent(server, capfd.readouterr().out + capfd.readouterr().err, ADO_PAT,
                           "ado-oauth-SECRET-1", "ado-refresh-SECRET-1")
