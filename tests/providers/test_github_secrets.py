"""No token, refresh token, client secret or PKCE verifier appears in an exception or a log line (caplog, DEBUG)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from github_server import CLIENT_ID, CLIENT_SECRET, PAT, Answer, serve_github

from codeconn.providers import Credential, CredentialKind, ProviderError, ProviderSettings
from codeconn.providers.github import GitHubProvider
from codeconn.providers.oauth import code_challenge, new_code_verifier
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REDIRECT = "http://127.0.0.1:1/oauth/callback"
REVOKED = "ghp_revokedTokenNeverShown000002"


def test_no_secret_reaches_an_exception_or_a_log(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)
    failures: list[str] = []

    def attempt(call: Callable[[], object]) -> object:
        try:
            return call()
        except ProviderError as error:
            failures.append(f"{error!s} {error!r} {''.join(traceback.format_exception(error))}")
            return None

    with serve_github() as server:
        server.state.expiring = True
        server.state.add_repository("octo", "api", branches={"main": "a" * 40}, files={"f": "x"})
        github = GitHubProvider(ProviderSettings(provider_type="GitHubEnterpriseServer", mode="remote",
                                                 web_url=server.url, client_id=CLIENT_ID,
                                                 client_secret=Secret(CLIENT_SECRET)),
                                now=lambda: NOW, sleep=lambda _: None)
        pat = Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(PAT))
        verifier = new_code_verifier()
        url = github.authorization_url(state="s", redirect_uri=REDIRECT, code_challenge=code_challenge(verifier))
        code = parse_qs(urlsplit(httpx.get(url).headers["Location"]).query)["code"][0]
        caplog.clear()  # the browser's own request above is not codeconn's: httpcore logs its redirect
        oauth = github.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
        assert oauth.token is not None and oauth.refresh_token is not None
        fresh = github.refresh(oauth)
        assert fresh.token is not None and fresh.refresh_token is not None

        server.state.script("/api/v3/user", Answer(429, {"retry-after": "1"}))
        github.current_user(pat)
        github.list_branches(fresh, "octo", "api")
        github.archive(pat, "octo", "api", "a" * 40, tmp_path / "a.zip")
        attempt(lambda: github.current_user(Credential(CredentialKind.OAUTH, token=Secret(REVOKED))))
        attempt(lambda: github.current_user(oauth))  # replaced by the refresh
        attempt(lambda: github.refresh(oauth))  # a refresh token works once
        attempt(lambda: github.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier))
        server.state.script("/api/v3/user", Answer(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"}))
        attempt(lambda: github.current_user(pat))
        server.state.script("/api/v3/user", Answer(500))
        attempt(lambda: github.current_user(pat))
        remote = github.git_remote(pat, "octo", "api")

    assert len(failures) == 6
    secrets = [PAT, CLIENT_SECRET, REVOKED, verifier, code, oauth.token.reveal(), oauth.refresh_token.reveal(),
               fresh.token.reveal(), fresh.refresh_token.reveal()]
    shown = "\n".join(failures) + caplog.text + repr(oauth) + repr(fresh) + repr(remote) + str(remote)
    for s in secrets:
        assert s not in shown, shown[max(0, shown.find(s) - 300):shown.find(s) + 50]
    assert "rate limit" in caplog.text  # the log did say what happened
    assert NOW + timedelta(hours=8) == oauth.expires_at
