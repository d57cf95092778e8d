"""The Azure DevOps adapter against a local stand-in: Entra OAuth + PKCE, PATs (and the 203 sign-in answer),
organizations, continuation tokens, `org` / `project/repo` names, rate limits, error bodies."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from azure_devops_server import ARCHIVE, CLIENT_ID, PAT, REDIRECT_URI, SCOPE, AzureDevOpsServer
from provider_server import Answer, Recorder, s256, serve

from codeconn.providers import (
    Branch,
    Credential,
    CredentialKind,
    InstallationTarget,
    Owner,
    OwnerType,
    Provider,
    ProviderAuthFailed,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderSettings,
    ProviderUser,
    Repository,
)
from codeconn.providers import azure_devops
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
VERIFIER = "z" * 50
SECRETS = (PAT, base64.b64encode(f":{PAT}".encode()).decode(), "ado-oauth-SECRET", "ado-refresh-SECRET")


@pytest.fixture
def server() -> Iterator[AzureDevOpsServer]:
    with serve(AzureDevOpsServer()) as host:
        yield host


@pytest.fixture
def provider(server: AzureDevOpsServer, sleep: Recorder) -> Provider:
    settings = ProviderSettings(provider_type="AzureDevOps", mode="remote", api_url=server.base_url,
                                web_url=f"{server.base_url}/entra", client_id=CLIENT_ID, max_rate_limit_wait=60.0)
    return azure_devops.from_settings(settings, sleep=sleep, now=lambda: NOW)


def pat() -> Credential:
    return Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(PAT))


def authorize(provider: Provider, server: AzureDevOpsServer) -> Credential:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge=s256(VERIFIER))
    code = server.authorize(dict(parse_qsl(urlsplit(url).query)))
    return provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier=VERIFIER)


def test_the_hosted_service_reads_profiles_and_accounts_on_vssps() -> None:
    hosted = azure_devops.from_settings(ProviderSettings(provider_type="AzureDevOps", mode="remote",
                                                         client_id=CLIENT_ID))
    assert isinstance(hosted, azure_devops.AzureDevOpsProvider)
    assert (hosted.api_url, hosted.vssps_url) == ("https://dev.azure.com", "https://app.vssps.visualstudio.com")
    assert hosted.authorization_url(state="s", redirect_uri=REDIRECT_URI, code_challenge="c").startswith(
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?")


def test_entra_code_with_pkce_becomes_a_refreshable_credential(provider: Provider,
                                                               server: AzureDevOpsServer) -> None:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge="ch")
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "st-1",
        "scope": SCOPE, "code_challenge": "ch", "code_challenge_method": "S256"}
    credential = authorize(provider, server)
    assert credential.expires_at == NOW + timedelta(seconds=3599) and credential.refresh_token is not None
    assert provider.current_user(credential) == ProviderUser(id="prof-1", login="alice@example.com")
    assert server.requests[-1].bearer() == credential.token.reveal()  # type: ignore[union-attr]
    renewed = provider.refresh(credential)
    assert renewed.token != credential.token and provider.current_user(renewed).id == "prof-1"
    with pytest.raises(ProviderAuthFailed, match="AADSTS700082"):
        provider.refresh(credential)  # Entra rotated it


def test_a_verifier_that_does_not_match_the_challenge_is_refused(provider: Provider,
                                                                 server: AzureDevOpsServer) -> None:
    url = provider.authorization_url(state="s", redirect_uri=REDIRECT_URI, code_challenge=s256(VERIFIER))
    code = server.authorize(dict(parse_qsl(urlsplit(url).query)))
    with pytest.raises(ProviderRefused, match="AADSTS501481"):
        provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier="y" * 50)


def test_a_pat_is_basic_with_an_empty_user_and_a_wrong_one_gets_the_sign_in_page(
        provider: Provider, server: AzureDevOpsServer) -> None:
    assert provider.current_user(pat()).login == "alice@example.com"
    assert server.requests[-1].basic() == ("", PAT)
    with pytest.raises(ProviderAuthFailed, match="203"):
        provider.current_user(Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret("ado-pat-wrong")))
    with pytest.raises(ProviderAuthFailed, match="401"):
        provider.current_user(Credential(CredentialKind.OAUTH, token=Secret("ado-oauth-expired")))


def test_installation_targets_are_the_organizations_over_continuation_tokens(provider: Provider,
                                                                             server: AzureDevOpsServer) -> None:
    assert provider.installation_targets(pat()) == [
        InstallationTarget(f"acc-{n}", f"acc-{n}", OwnerType.ORGANIZATION, f"org{n}") for n in range(3)]
    tokens = [r.query.get("continuationToken") for r in server.requests if r.path == "/_apis/accounts"]
    assert tokens == [None, "ct-2"]
    assert provider.list_owners(pat(), "acc-1") == [Owner("acc-1", "org1", OwnerType.ORGANIZATION)]


def test_repositories_are_named_project_slash_repository_within_the_organization(provider: Provider) -> None:
    assert provider.list_repositories(pat(), "org0") == [
        Repository("org0", "Platform/api", "main", True), Repository("org0", "Web/site", "trunk", False),
        Repository("org0", "Web/empty", None, False)]


def test_branches_and_the_exact_branch_from_a_prefix_filter(provider: Provider, server: AzureDevOpsServer) -> None:
    assert provider.list_branches(pat(), "org0", "Platform/api") == [
        Branch("main", "d" * 40), Branch("main-2", "e" * 40), Branch("users/a/x", "f" * 40)]
    assert provider.get_branch(pat(), "org0", "Platform/api", "main") == Branch("main", "d" * 40)
    assert server.requests[-1].query["filter"] == "heads/main"
    with pytest.raises(ProviderNotFound, match="no branch 'mai'"):
        provider.get_branch(pat(), "org0", "Platform/api", "mai")
    with pytest.raises(ProviderNotFound, match="TF401019"):
        provider.list_branches(pat(), "org0", "Platform/gone")


@pytest.mark.parametrize("name", ["api", "Platform/api/x", "/api", "Platform/"])
def test_a_name_that_is_not_project_slash_repository_does_not_exist(provider: Provider, name: str) -> None:
    with pytest.raises(ProviderNotFound, match="<project>/<repository>"):
        provider.list_branches(pat(), "org0", name)


def test_archive_is_the_items_zip_of_the_commit(provider: Provider, tmp_path: Path) -> None:
    target = provider.archive(pat(), "org0", "Platform/api", "e" * 40, tmp_path / "x.zip")
    assert target.read_bytes() == ARCHIVE
    assert [p.name for p in tmp_path.iterdir()] == ["x.zip"]


def test_git_remote_is_the_project_git_url_with_the_same_authorization(provider: Provider,
                                                                       server: AzureDevOpsServer) -> None:
    remote = provider.git_remote(pat(), "org0", "Platform/api")
    assert remote.url == f"{server.base_url}/org0/Platform/_git/api"
    assert remote.headers[0][1].reveal() == "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    oauth = provider.git_remote(Credential(CredentialKind.OAUTH, token=Secret("t")), "org0", "Platform/api")
    assert oauth.headers[0][1].reveal() == "Bearer t"


def test_rate_limits_wait_for_retry_after_within_the_bound(provider: Provider, server: AzureDevOpsServer,
                                                           sleep: Recorder) -> None:
    server.queue.append(Answer(429, {"message": "TF400733: The request has been throttled"},
                               {"Retry-After": "30", "X-RateLimit-Resource": "Core"}))
    assert provider.list_repositories(pat(), "org0")
    assert sleep.waits == [30.0]
    reset = int(NOW.timestamp()) + 600
    server.queue.append(Answer(429, {"message": "TF400733: The request has been throttled"},
                               {"X-RateLimit-Reset": str(reset)}))
    with pytest.raises(ProviderRateLimited, match="TF400733") as raised:
        provider.list_repositories(pat(), "org0")
    assert raised.value.reset_at == NOW + timedelta(seconds=600) and sleep.waits == [30.0]


def test_error_bodies_carry_azure_devops_message(provider: Provider, server: AzureDevOpsServer) -> None:
    server.queue.append(Answer(403, {"message": "TF401027: You need the Git 'GenericRead' permission to perform "
                                                "this action.", "typeKey": "GitNeedsPermissionException"}))
    with pytest.raises(ProviderRefused, match="403: TF401027"):
        provider.list_repositories(pat(), "org0")


def test_no_secret_reaches_an_error_or_the_log(provider: Provider, server: AzureDevOpsServer,
                                               caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    credential = authorize(provider, server)
    provider.installation_targets(credential)
    provider.archive(pat(), "org0", "Platform/api", "d" * 40, tmp_path / "a.zip")
    server.queue.append(Answer(401, {"message": f"Basic {SECRETS[1]} was rejected"}))
    with pytest.raises(ProviderAuthFailed) as raised:
        provider.current_user(pat())
    text = caplog.text + str(raised.value)
    assert caplog.records and not [s for s in SECRETS if s in text]
