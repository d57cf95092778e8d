"""The Bitbucket Cloud adapter against a local Bitbucket stand-in: OAuth (no PKCE), app passwords, workspaces,
`next`-URL pagination, rate limits, error bodies, archive redirects."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from bitbucket_server import (
    ACCESS_TOKEN,
    APP_PASSWORD,
    ARCHIVE,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    BitbucketServer,
    uuid,
)
from provider_server import Answer, Recorder, serve

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
from codeconn.providers import bitbucket
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SECRETS = (APP_PASSWORD, ACCESS_TOKEN, CLIENT_SECRET, "bb-oauth-SECRET", "bb-refresh-SECRET")


@pytest.fixture
def server() -> Iterator[BitbucketServer]:
    with serve(BitbucketServer()) as host:
        yield host


@pytest.fixture
def provider(server: BitbucketServer, sleep: Recorder) -> Provider:
    settings = ProviderSettings(provider_type="Bitbucket", mode="remote", api_url=f"{server.base_url}/2.0",
                                web_url=server.base_url, client_id=CLIENT_ID, client_secret=Secret(CLIENT_SECRET),
                                max_rate_limit_wait=30.0)
    return bitbucket.from_settings(settings, sleep=sleep, now=lambda: NOW)


def app_password() -> Credential:
    return Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(APP_PASSWORD), username="alice")


def access_token() -> Credential:
    return Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(ACCESS_TOKEN))


def authorize(provider: Provider, server: BitbucketServer) -> Credential:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge="ignored")
    code = server.authorize(dict(parse_qsl(urlsplit(url).query)))
    return provider.exchange_code(code=code, redirect_uri=REDIRECT_URI, code_verifier=None)


def test_the_authorization_url_has_no_pkce(provider: Provider, server: BitbucketServer) -> None:
    url = provider.authorization_url(state="st-1", redirect_uri=REDIRECT_URI, code_challenge="ch")
    assert url.startswith(f"{server.base_url}/site/oauth2/authorize?")
    assert dict(parse_qsl(urlsplit(url).query)) == {
        "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "st-1"}
    assert not provider.supports_pkce and not provider.has_installations


def test_the_code_exchange_authenticates_the_consumer_with_basic(provider: Provider, server: BitbucketServer) -> None:
    credential = authorize(provider, server)
    assert credential.kind is CredentialKind.OAUTH and credential.expires_at == NOW + timedelta(hours=2)
    token_request = server.requests[0]
    assert token_request.basic() == (CLIENT_ID, CLIENT_SECRET) and "client_secret" not in token_request.form
    assert provider.current_user(credential) == ProviderUser(id=uuid(1), login="alice")
    with pytest.raises(ProviderRefused, match="invalid_grant: The code is invalid"):
        provider.exchange_code(code="bb-code-0", redirect_uri=REDIRECT_URI, code_verifier=None)  # used once


def test_refresh_keeps_the_refresh_token_bitbucket_does_not_rotate(provider: Provider,
                                                                   server: BitbucketServer) -> None:
    first = authorize(provider, server)
    second = provider.refresh(first)
    assert second.token != first.token and second.refresh_token == first.refresh_token
    assert provider.current_user(second).login == "alice"
    revoked = Credential(CredentialKind.OAUTH, token=Secret("x"), refresh_token=Secret("bb-refresh-SECRET-9"))
    with pytest.raises(ProviderAuthFailed, match="Invalid refresh_token"):
        provider.refresh(revoked)


@pytest.mark.parametrize(("credential", "header"), [
    pytest.param(app_password(), "Basic " + base64.b64encode(f"alice:{APP_PASSWORD}".encode()).decode(),
                 id="app password: Basic username:password"),
    pytest.param(access_token(), f"Bearer {ACCESS_TOKEN}", id="access token: Bearer"),
])
def test_personal_credentials_authenticate_as_bitbucket_documents(provider: Provider, server: BitbucketServer,
                                                                  credential: Credential, header: str) -> None:
    assert provider.current_user(credential).id == uuid(1)
    assert server.requests[-1].headers["authorization"] == header


def test_an_expired_token_fails_authentication_with_bitbuckets_message(provider: Provider) -> None:
    with pytest.raises(ProviderAuthFailed, match="401: Access token expired"):
        provider.current_user(Credential(CredentialKind.OAUTH, token=Secret("bb-oauth-SECRET-old")))


def test_installation_targets_are_the_workspaces_over_every_page(provider: Provider,
                                                                 server: BitbucketServer) -> None:
    assert provider.installation_targets(app_password()) == [
        InstallationTarget(uuid(100 + n), uuid(100 + n), OwnerType.WORKSPACE, f"ws{n}") for n in range(3)]
    assert len([r for r in server.requests if r.path == "/2.0/user/workspaces"]) == 2
    assert provider.list_owners(app_password(), uuid(101)) == [Owner(uuid(101), "ws1", OwnerType.WORKSPACE)]
    with pytest.raises(ProviderNotFound, match="Resource not found"):
        provider.list_owners(app_password(), uuid(999))


def test_repositories_and_branches(provider: Provider, server: BitbucketServer) -> None:
    assert provider.list_repositories(app_password(), "ws0") == [
        Repository("ws0", "repo0", "main", True), Repository("ws0", "repo1", "main", False),
        Repository("ws0", "repo2", "main", True)]
    assert provider.list_branches(app_password(), "ws0", "repo0") == [
        Branch("main", "1" * 40), Branch("release/1.0", "2" * 40)]
    assert provider.get_branch(app_password(), "ws0", "repo0", "release/1.0") == Branch("release/1.0", "2" * 40)
    assert server.requests[-1].raw_path == "/2.0/repositories/ws0/repo0/refs/branches/release%2F1.0"
    with pytest.raises(ProviderNotFound):
        provider.list_branches(app_password(), "ws0", "missing")


def test_archive_follows_the_download_redirect_and_writes_atomically(provider: Provider, tmp_path: Path) -> None:
    target = provider.archive(app_password(), "ws0", "repo0", "2" * 40, tmp_path / "a.zip")
    assert target.read_bytes() == ARCHIVE
    assert [p.name for p in tmp_path.iterdir()] == ["a.zip"]


def test_git_remote_uses_x_token_auth_for_oauth_and_the_username_for_app_passwords(
        provider: Provider, server: BitbucketServer) -> None:
    oauth = Credential(CredentialKind.OAUTH, token=Secret("tok"))
    remote = provider.git_remote(oauth, "ws0", "repo0")
    assert remote.url == f"{server.base_url}/ws0/repo0.git"
    assert remote.headers[0][1].reveal() == "Basic " + base64.b64encode(b"x-token-auth:tok").decode()
    password = provider.git_remote(app_password(), "ws0", "repo0").headers[0][1].reveal()
    assert base64.b64decode(password.split()[1]).decode() == f"alice:{APP_PASSWORD}"


def test_a_rate_limit_waits_for_retry_after_else_backs_off_then_gives_up(provider: Provider,
                                                                         server: BitbucketServer,
                                                                         sleep: Recorder) -> None:
    server.queue += [Answer(429, {"type": "error", "error": {"message": "Rate limit for this resource has "
                                                                        "been exceeded"}}, {"Retry-After": "7"}),
                     Answer(429, b"")]
    assert provider.current_user(app_password()).login == "alice"
    assert sleep.waits == [7.0, 2.0]  # the named wait, then the doubled backoff
    server.queue += [Answer(429, {"type": "error", "error": {"message": "Rate limit for this resource has been "
                                                                       "exceeded"}}, {"Retry-After": "3600"})]
    with pytest.raises(ProviderRateLimited, match="429: Rate limit for this resource") as raised:
        provider.current_user(app_password())
    assert raised.value.reset_at == NOW + timedelta(hours=1)


def test_backoff_without_a_named_wait_stays_within_the_configured_bound(provider: Provider,
                                                                        server: BitbucketServer,
                                                                        sleep: Recorder) -> None:
    server.queue += [Answer(429, b"") for _ in range(10)]
    with pytest.raises(ProviderRateLimited):
        provider.current_user(app_password())
    assert sleep.waits == [1.0, 2.0, 4.0, 8.0] and sum(sleep.waits) <= 30.0


@pytest.mark.parametrize(("answer", "error", "message"), [
    pytest.param(Answer(403, {"type": "error", "error": {"message": "Your credentials lack one or more required "
                                                                    "privilege scopes.", "detail": "repository:write"}}),
                 ProviderRefused, "privilege scopes.: repository:write", id="403 with detail"),
    pytest.param(Answer(400, {"type": "error", "error": {"message": "Bad request"}}), ProviderRefused,
                 "400: Bad request", id="400"),
    pytest.param(Answer(410, {"type": "error", "error": {"message": "CHANGE-2770 - Functionality has been "
                                                                    "deprecated"}}),
                 ProviderNotFound, "CHANGE-2770", id="410 gone"),
])
def test_error_bodies_carry_bitbuckets_message(provider: Provider, server: BitbucketServer, answer: Answer,
                                               error: type[Exception], message: str) -> None:
    server.queue.append(answer)
    with pytest.raises(error, match=message):
        provider.list_repositories(app_password(), "ws0")


def test_no_secret_reaches_an_error_or_the_log(provider: Provider, server: BitbucketServer,
                                               caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    credential = authorize(provider, server)
    provider.refresh(credential)
    provider.archive(credential, "ws0", "repo0", "1" * 40, tmp_path / "a.zip")
    server.queue.append(Answer(403, {"type": "error", "error": {"message": f"password {APP_PASSWORD} refused"}}))
    with pytest.raises(ProviderRefused) as raised:
        provider.current_user(app_password())
    assert "password *** refused" in str(raised.value)
    text = caplog.text + str(raised.value)
    assert caplog.records and not [s for s in SECRETS if s in text]
