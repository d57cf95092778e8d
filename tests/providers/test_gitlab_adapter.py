"""The GitLab adapter against a local GitLab stand-in: OAuth + PKCE, PATs, pagination, rate limits, errors."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from gitlab_server import ARCHIVE, CLIENT_ID, CLIENT_SECRET, PAT, REDIRECT_URI, GitLabServer
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
    ProviderUnavailable,
    ProviderUser,
    Repository,
)
from codeconn.providers import gitlab
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
VERIFIER = "v" * 64
SECRETS = (PAT, CLIENT_SECRET, "gl-oauth-SECRET", "gl-refresh-SECRET")


@pytest.fixture
def server() -> Iterator[GitLabServer]:
    with serve(GitLabServer()) as host:
        yield host


@pytest.fixture
def provider(server: GitLabServer, sleep: Recorder) -> Provider:
    settings = ProviderSettings(provider_type="GitLabSelfManaged", mode="remote", web_url=server.base_url,
                                client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET), max_rate_limit_wait=60.0)
    return gitlab.from_settings(settings, sleep=sleep, now=lambda: NOW)


def pat() -> Credential:
    return Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(PAT))


def authorize(provider: Provider, server: GitLabServer) -> Credential:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge=s256(VERIFIER))
    code = server.authorize(dict(parse_qsl(urlsplit(url).query)))
    return provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier=VERIFIER)


def test_the_authorization_url_carries_the_oauth_and_pkce_parameters(provider: Provider,
                                                                      server: GitLabServer) -> None:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge="ch")
    assert url.startswith(f"{server.base_url}/oauth/authorize?")
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "st-1",
        "scope": "read_user read_api read_repository write_repository", "code_challenge": "ch",
        "code_challenge_method": "S256"}
    assert provider.supports_pkce and not provider.has_installations


def test_a_code_with_its_pkce_verifier_becomes_a_refreshable_credential(provider: Provider,
                                                                         server: GitLabServer) -> None:
    credential = authorize(provider, server)
    assert credential.kind is CredentialKind.OAUTH and credential.refresh_token is not None
    assert credential.expires_at == NOW + timedelta(hours=2)
    assert provider.current_user(credential) == ProviderUser(id="7", login="alice")
    assert server.requests[0].form["code_verifier"] == VERIFIER


def test_a_wrong_pkce_verifier_is_refused_with_gitlabs_reason(provider: Provider, server: GitLabServer) -> None:
    url = provider.authorization_url(state="s", redirect_uri=REDIRECT_URI, code_challenge=s256(VERIFIER))
    code = server.authorize(dict(parse_qsl(urlsplit(url).query)))
    with pytest.raises(ProviderRefused, match="invalid_grant: PKCE verification failed"):
        provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier="w" * 64)


def test_a_wrong_client_secret_is_a_refusal_not_a_failed_user_credential(server: GitLabServer) -> None:
    settings = ProviderSettings(provider_type="GitLab", mode="remote", web_url=server.base_url,
                                client_id=CLIENT_ID, client_secret=Secret("wrong"))
    provider = gitlab.from_settings(settings, sleep=Recorder(), now=lambda: NOW)
    code = server.authorize({"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI})
    with pytest.raises(ProviderRefused, match="401: invalid_client: Client authentication failed"):
        provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier=None)


def test_refresh_rotates_the_token_and_a_used_refresh_token_fails_authentication(provider: Provider,
                                                                                  server: GitLabServer) -> None:
    first = authorize(provider, server)
    second = provider.refresh(first)
    assert second.token != first.token and second.refresh_token != first.refresh_token
    assert provider.current_user(second).login == "alice"
    with pytest.raises(ProviderAuthFailed, match="invalid_grant"):
        provider.refresh(first)
    with pytest.raises(ProviderAuthFailed, match="no refresh token"):
        provider.refresh(pat())


def test_a_personal_access_token_is_checked_with_current_user_as_a_bearer_token(provider: Provider,
                                                                               server: GitLabServer) -> None:
    assert provider.current_user(pat()) == ProviderUser(id="7", login="alice")
    assert server.requests[-1].headers["authorization"] == f"Bearer {PAT}"


def test_a_revoked_token_fails_authentication(provider: Provider) -> None:
    with pytest.raises(ProviderAuthFailed, match="401: 401 Unauthorized"):
        provider.current_user(Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret("glpat-revoked")))


def test_installation_targets_are_the_user_and_every_page_of_groups(provider: Provider,
                                                                      server: GitLabServer) -> None:
    targets = provider.installation_targets(pat())
    assert targets[0] == InstallationTarget("user:7", "7", OwnerType.USER, "alice")
    assert targets[1:] == [InstallationTarget(f"group:{10 + n}", str(10 + n), OwnerType.GROUP, f"team{n}")
                           for n in range(5)]
    pages = [r.query.get("page", "1") for r in server.requests if r.path == "/api/v4/groups"]
    assert pages == ["1", "2", "3"]  # Link on page 1, X-Next-Page alone on page 2


@pytest.mark.parametrize(("installation_id", "owner"), [
    pytest.param("user:7", Owner("7", "alice", OwnerType.USER), id="the user"),
    pytest.param("group:12", Owner("12", "team2", OwnerType.GROUP), id="a group"),
])
def test_list_owners_resolves_an_installation_id(provider: Provider, installation_id: str, owner: Owner) -> None:
    assert provider.list_owners(pat(), installation_id) == [owner]


@pytest.mark.parametrize("installation_id", ["project:1", "group:x", "12", "group:99"])
def test_an_unknown_installation_id_is_not_found(provider: Provider, installation_id: str) -> None:
    with pytest.raises(ProviderNotFound):
        provider.list_owners(pat(), installation_id)


def test_repositories_of_a_group_and_of_a_user(provider: Provider) -> None:
    assert provider.list_repositories(pat(), "team0") == [
        Repository("team0", "api", "main", True), Repository("team0", "web", "trunk", False),
        Repository("team0", "docs", "main", True)]
    assert provider.list_repositories(pat(), "alice") == [Repository("alice", "dotfiles", "main", False)]
    with pytest.raises(ProviderNotFound):
        provider.list_repositories(pat(), "nobody")


def test_branches_by_url_encoded_project_path(provider: Provider, server: GitLabServer) -> None:
    assert provider.list_branches(pat(), "team0", "api") == [
        Branch("main", "a" * 40), Branch("feature/x", "b" * 40), Branch("dev", "c" * 40)]
    assert provider.get_branch(pat(), "team0", "api", "feature/x") == Branch("feature/x", "b" * 40)
    assert server.requests[-1].raw_path == "/api/v4/projects/team0%2Fapi/repository/branches/feature%2Fx"
    with pytest.raises(ProviderNotFound, match="404 Branch Not Found"):
        provider.get_branch(pat(), "team0", "api", "gone")
    with pytest.raises(ProviderNotFound):
        provider.get_branch(pat(), "team0", "..", "main")


def test_archive_downloads_the_commit_atomically(provider: Provider, tmp_path: Path) -> None:
    target = provider.archive(pat(), "team0", "api", "b" * 40, tmp_path / "out" / "a.zip")
    assert target.read_bytes() == ARCHIVE
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.zip"]
    with pytest.raises(ProviderNotFound):
        provider.archive(pat(), "team0", "api", "f" * 40, tmp_path / "out" / "b.zip")
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.zip"]


def test_git_remote_is_the_clone_url_with_basic_oauth2_token(provider: Provider, server: GitLabServer) -> None:
    remote = provider.git_remote(pat(), "team0", "api")
    assert remote.url == f"{server.base_url}/team0/api.git"
    [(name, value)] = remote.headers
    assert name == "Authorization"
    assert value.reveal() == "Basic " + base64.b64encode(f"oauth2:{PAT}".encode()).decode()


@pytest.mark.parametrize(("headers", "wait"), [
    pytest.param({"RateLimit-Reset": str(int(NOW.timestamp()) + 5)}, 5.0, id="RateLimit-Reset epoch"),
    pytest.param({"Retry-After": "3"}, 3.0, id="Retry-After seconds"),
    pytest.param({}, 1.0, id="no header: bounded backoff"),
])
def test_a_rate_limit_near_its_reset_waits_then_retries(provider: Provider, server: GitLabServer, sleep: Recorder,
                                                        headers: dict[str, str], wait: float) -> None:
    server.queue.append(Answer(429, {"message": "Retry later"}, headers))
    assert provider.current_user(pat()).login == "alice"
    assert sleep.waits == [wait]


def test_a_rate_limit_far_from_its_reset_raises_with_the_reset_time(provider: Provider, server: GitLabServer,
                                                                    sleep: Recorder) -> None:
    reset = int(NOW.timestamp()) + 3600
    server.queue.append(Answer(429, {"message": "Retry later"}, {"RateLimit-Reset": str(reset)}))
    with pytest.raises(ProviderRateLimited) as raised:
        provider.current_user(pat())
    assert raised.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert sleep.waits == []


@pytest.mark.parametrize(("answer", "error", "message"), [
    pytest.param(Answer(403, {"message": "403 Forbidden - insufficient_scope"}), ProviderRefused,
                 "403: 403 Forbidden - insufficient_scope", id="403 message"),
    pytest.param(Answer(422, {"message": {"name": ["has already been taken"]}}), ProviderRefused,
                 "has already been taken", id="422 field errors"),
    pytest.param(Answer(404, {"error": "404 Not Found"}), ProviderNotFound, "404 Not Found", id="404 error"),
])
def test_error_bodies_become_the_base_errors_with_gitlabs_message(
        provider: Provider, server: GitLabServer, answer: Answer, error: type[Exception], message: str) -> None:
    server.queue.append(answer)
    with pytest.raises(error, match=message):
        provider.current_user(pat())


def test_an_outage_is_retried_a_bounded_number_of_times(provider: Provider, server: GitLabServer,
                                                        sleep: Recorder) -> None:
    server.queue.extend(Answer(503, b"<html>down</html>") for _ in range(10))
    with pytest.raises(ProviderUnavailable, match="503"):
        provider.current_user(pat())
    assert sleep.waits == [1.0, 2.0, 4.0, 8.0]
    assert len(server.requests) == 5


def test_no_token_or_secret_reaches_an_error_or_the_log(provider: Provider, server: GitLabServer,
                                                        caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    messages = []
    credential = authorize(provider, server)
    provider.installation_targets(credential)
    provider.archive(credential, "team0", "api", "a" * 40, tmp_path / "a.zip")
    server.queue.append(Answer(401, {"message": f"token {PAT} is revoked"}))  # a provider echoing the token
    for call in (lambda: provider.current_user(pat()),
                 lambda: provider.refresh(Credential(CredentialKind.OAUTH, token=Secret(PAT),
                                                     refresh_token=Secret("gl-refresh-SECRET-0")))):
        with pytest.raises(ProviderAuthFailed) as raised:
            call()
        messages.append(str(raised.value))
    assert "***" in messages[0]
    text = caplog.text + "\n".join(messages)
    assert caplog.records and not [s for s in SECRETS if s in text]
