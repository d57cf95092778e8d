"""The GitHub adapter against the fake GitHub of github_server.py: OAuth with PKCE, PATs, installations, REST reads."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from github_server import CLIENT_ID, CLIENT_SECRET, PAT, GitHubServer, GitHubState, serve_github

from codeconn.providers import (
    Branch,
    Credential,
    CredentialKind,
    InstallationTarget,
    OwnerType,
    Provider,
    ProviderAuthFailed,
    ProviderNotFound,
    ProviderRefused,
    ProviderSettings,
)
from codeconn.providers.github import GitHubProvider, resolve_urls
from codeconn.providers.oauth import code_challenge, new_code_verifier
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REDIRECT = "http://127.0.0.1:1/oauth/callback"
SHA_MAIN = "a" * 40
SHA_DEV = "b" * 40


def pat() -> Credential:
    return Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(PAT))


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    state = GitHubState()
    state.add_repository("octo", "api", branches={"main": SHA_MAIN, "dev": SHA_DEV, "feature/x": SHA_DEV},
                         files={"README.md": "hello\n", "src/app.py": "print('hi')\n"})
    state.add_repository("octo", "site", branches={"main": SHA_MAIN}, files={}, private=False)
    state.add_repository("org0", "svc", branches={"main": SHA_MAIN}, files={"a.txt": "a"})
    with serve_github(state) as server:
        yield server


def settings(server: GitHubServer, **overrides: object) -> ProviderSettings:
    values: dict[str, object] = {"provider_type": "GitHubEnterpriseServer", "mode": "remote",
                                 "web_url": server.url, "client_id": CLIENT_ID,
                                 "client_secret": Secret(CLIENT_SECRET)}
    values.update(overrides)
    return ProviderSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def github(server: GitHubServer) -> Iterator[GitHubProvider]:
    provider = GitHubProvider(settings(server), now=lambda: NOW)
    yield provider
    provider.close()


def authorize(provider: Provider, *, verifier: str | None) -> str:
    """Follow the authorization URL as a browser would; the code GitHub redirects back with."""
    url = provider.authorization_url(state="st4te", redirect_uri=REDIRECT,
                                     code_challenge=code_challenge(verifier) if verifier else None)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert query["state"] == ["st4te"]
    return query["code"][0]


# -- the handshake ----------------------------------------------------------------------------

def test_authorization_url_carries_client_scope_state_and_pkce(github: GitHubProvider, server: GitHubServer) -> None:
    url = urlsplit(github.authorization_url(state="s", redirect_uri=REDIRECT, code_challenge="c" * 43))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{server.url}/login/oauth/authorize"
    assert query == {"client_id": CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code", "state": "s",
                     "scope": "repo read:org", "code_challenge": "c" * 43, "code_challenge_method": "S256"}
    assert github.supports_pkce


def test_code_exchange_with_pkce(github: GitHubProvider) -> None:
    verifier = new_code_verifier()
    credential = github.exchange_code(code=authorize(github, verifier=verifier), redirect_uri=REDIRECT,
                                      code_verifier=verifier)
    assert credential.kind is CredentialKind.OAUTH and credential.refresh_token is None
    assert credential.expires_at is None
    assert github.current_user(credential).login == "octo"


def test_a_wrong_verifier_is_refused(github: GitHubProvider) -> None:
    code = authorize(github, verifier=new_code_verifier())
    with pytest.raises(ProviderRefused, match="bad_verification_code"):
        github.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=new_code_verifier())


def test_a_code_is_used_once(github: GitHubProvider) -> None:
    code = authorize(github, verifier=None)
    github.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)
    with pytest.raises(ProviderRefused, match="bad_verification_code"):
        github.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)


def test_a_wrong_client_secret_is_refused(server: GitHubServer) -> None:
    provider = GitHubProvider(settings(server, client_secret=Secret("wrong")))
    code = authorize(provider, verifier=None)
    with pytest.raises(ProviderRefused, match="incorrect_client_credentials"):
        provider.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=None)


def test_expiring_tokens_are_refreshed_and_the_old_pair_stops_working(github: GitHubProvider,
                                                                      server: GitHubServer) -> None:
    server.state.expiring = True
    first = github.exchange_code(code=authorize(github, verifier=None), redirect_uri=REDIRECT, code_verifier=None)
    assert first.refresh_token is not None and first.expires_at == NOW + timedelta(hours=8)
    second = github.refresh(first)
    assert second.token != first.token and second.refresh_token != first.refresh_token
    assert github.current_user(second).login == "octo"
    with pytest.raises(ProviderAuthFailed, match="401"):
        github.current_user(first)
    with pytest.raises(ProviderAuthFailed, match="bad_refresh_token"):
        github.refresh(first)
    with pytest.raises(ProviderAuthFailed, match="no refresh token"):
        github.refresh(pat())


def test_personal_access_token_is_checked_with_get_user(github: GitHubProvider) -> None:
    user = github.current_user(pat())
    assert (user.id, user.login) == ("1", "octo")
    with pytest.raises(ProviderAuthFailed, match=r"GitHubEnterpriseServer answered 401 .*Bad credentials"):
        github.current_user(Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret("ghp_revoked")))
    with pytest.raises(ProviderAuthFailed, match="needs a token"):
        github.current_user(Credential(CredentialKind.LOCAL))


def test_requests_carry_githubs_headers(github: GitHubProvider, server: GitHubServer) -> None:
    github.current_user(pat())
    _, path, headers = server.state.requests[-1]
    assert path == "/api/v3/user"
    assert headers["Authorization"] == f"Bearer {PAT}"
    assert headers["Accept"] == "application/vnd.github+json"
    assert headers["X-GitHub-Api-Version"] == "2022-11-28"


def test_without_an_app_the_targets_are_the_user_and_every_org_page(github: GitHubProvider,
                                                                    server: GitHubServer) -> None:
    targets = github.installation_targets(pat())
    assert targets[0] == InstallationTarget("1", "1", OwnerType.USER, "octo")
    assert [t.target_name for t in targets[1:]] == [f"org{i}" for i in range(5)]  # 3 pages of 2
    assert all(t.owner_type is OwnerType.ORGANIZATION and t.installation_id == t.owner_id for t in targets[1:])
    assert server.paths().count("/api/v3/user/orgs") == 3
    assert not github.has_installations


def test_with_an_app_the_targets_are_its_installations(server: GitHubServer) -> None:
    provider = GitHubProvider(settings(server, app_slug="codeconn-app"))
    assert provider.has_installations
    assert provider.installation_url() == f"{server.url}/apps/codeconn-app/installations/new"
    assert list(provider.installation_targets(pat())) == [
        InstallationTarget("9001", "1", OwnerType.USER, "octo"),
        InstallationTarget("9002", "100", OwnerType.ORGANIZATION, "org0"),
        InstallationTarget("9003", "101", OwnerType.ORGANIZATION, "org1"),
    ]
    assert [o.name for o in provider.list_owners(pat(), "9002")] == ["org0"]
    with pytest.raises(ProviderNotFound):
        provider.list_owners(pat(), "1")
    scope = parse_qs(urlsplit(provider.authorization_url(state="s", redirect_uri=REDIRECT,
                                                         code_challenge=None)).query)
    assert "scope" not in scope  # a GitHub App's permissions come from the app


def test_oauth_app_installation_url_is_its_settings_page(github: GitHubProvider, server: GitHubServer) -> None:
    assert github.installation_url() == f"{server.url}/settings/connections/applications/{CLIENT_ID}"


# -- ProviderAction ---------------------------------------------------------------------------

def test_repositories_of_the_user_an_org_and_another_user(github: GitHubProvider) -> None:
    assert [(r.full_id, r.private) for r in github.list_repositories(pat(), "octo")] == [
        ("octo/api", True), ("octo/site", False)]
    assert [r.full_id for r in github.list_repositories(pat(), "org0")] == ["org0/svc"]
    assert list(github.list_repositories(pat(), "other")) == []
    with pytest.raises(ProviderNotFound):
        github.list_repositories(pat(), "nobody")


def test_branches_across_pages_and_one_branch(github: GitHubProvider) -> None:
    assert list(github.list_branches(pat(), "octo", "api")) == [
        Branch("dev", SHA_DEV), Branch("feature/x", SHA_DEV), Branch("main", SHA_MAIN)]
    assert github.get_branch(pat(), "octo", "api", "feature/x") == Branch("feature/x", SHA_DEV)
    with pytest.raises(ProviderNotFound, match="Branch not found"):
        github.get_branch(pat(), "octo", "api", "gone")
    with pytest.raises(ProviderNotFound):
        github.list_branches(pat(), "octo", "nothing")


def test_archive_follows_the_redirect_and_puts_the_tree_at_the_root(github: GitHubProvider, server: GitHubServer,
                                                                     tmp_path: Path) -> None:
    destination = tmp_path / "a.zip"
    assert github.archive(pat(), "octo", "api", SHA_MAIN, destination) == destination
    with zipfile.ZipFile(destination) as archive:
        assert sorted(archive.namelist()) == ["README.md", "src/app.py"]
        assert archive.read("src/app.py") == b"print('hi')\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]
    assert server.paths()[-2:] == [f"/api/v3/repos/octo/api/zipball/{SHA_MAIN}",
                                   f"/codeload/octo/api/legacy.zip/{SHA_MAIN}"]
    with pytest.raises(ProviderNotFound):
        github.archive(pat(), "octo", "nothing", SHA_MAIN, tmp_path / "b.zip")
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_git_remote_authenticates_as_x_access_token(github: GitHubProvider, server: GitHubServer) -> None:
    remote = github.git_remote(pat(), "octo", "api")
    assert remote.url == f"{server.url}/octo/api.git"
    [(name, value)] = remote.headers
    assert name == "Authorization" and value.reveal() == "Basic " + __import__("base64").b64encode(
        f"x-access-token:{PAT}".encode()).decode()
    assert PAT not in repr(remote)


@pytest.mark.parametrize("owner, repository, branch", [
    ("..", "api", "main"), ("octo", "../x", "main"), ("-x", "api", "main"), ("octo", "a/b", "main"),
    ("octo", "api", "../user"), ("octo", "api", "-x"),
])
def test_names_that_try_to_escape_never_reach_github(github: GitHubProvider, server: GitHubServer, owner: str,
                                                     repository: str, branch: str) -> None:
    with pytest.raises(ProviderRefused):
        github.get_branch(pat(), owner, repository, branch)
    assert server.state.requests == []


@pytest.mark.parametrize("provider_type, given, expected", [
    pytest.param("GitHub", {}, ("https://api.github.com", "https://github.com"), id="github.com defaults"),
    pytest.param("GitHubEnterpriseServer", {"web_url": "https://ghe.example.com/"},
                 ("https://ghe.example.com/api/v3", "https://ghe.example.com"), id="GHES from its web URL"),
    pytest.param("GitHubEnterpriseServer", {"api_url": "https://ghe.example.com/api/v3"},
                 ("https://ghe.example.com/api/v3", "https://ghe.example.com"), id="GHES from its API URL"),
    pytest.param("GitHubEnterpriseCloudDataResidency", {"web_url": "https://acme.ghe.com"},
                 ("https://api.acme.ghe.com", "https://acme.ghe.com"), id="GHE.com from its web URL"),
    pytest.param("GitHubEnterpriseCloudDataResidency", {"api_url": "https://api.acme.ghe.com"},
                 ("https://api.acme.ghe.com", "https://acme.ghe.com"), id="GHE.com from its API URL"),
])
def test_urls_per_provider_type(provider_type: str, given: dict[str, str], expected: tuple[str, str]) -> None:
    assert resolve_urls(ProviderSettings(provider_type=provider_type, mode="remote", **given)) == expected


@pytest.mark.parametrize("provider_type", ["GitHubEnterpriseServer", "GitHubEnterpriseCloudDataResidency", "GitLab"])
def test_urls_that_cannot_be_known_are_a_settings_error(provider_type: str) -> None:
    with pytest.raises(ValueError):
        resolve_urls(ProviderSettings(provider_type=provider_type, mode="remote"))


def test_the_adapter_is_a_provider(github: GitHubProvider) -> None:
    assert isinstance(github, Provider)
