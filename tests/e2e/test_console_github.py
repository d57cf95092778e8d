"""The console in a real browser against the GitHub test server: OAuth with PKCE, and a personal access token.

`codeconn serve --providers FILE` names the fake GitHub of tests/providers (remote
mode, its client secret in an environment variable). A connection made with boto3
is completed in the console: "Sign in with GitHub" posts to the console, which
starts the OAuth flow (StartOAuthHandshake: State and PKCE S256) and sends the
browser to GitHub's authorization page; GitHub sends it back to /oauth/callback,
where the console exchanges the code (GetIndividualAccessToken, as the signed-in
principal) and shows the installation picker. boto3 then reads AVAILABLE. The
personal access token path ends the same way, and the token shows nowhere.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from console_browser import browser, shot
from playwright.sync_api import BrowserContext
from serve_process import ServeProcess, serve

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from github_server import (  # noqa: E402
    CLIENT_ID, CLIENT_SECRET, PAT, SECRET_ENV, GitHubServer, remote_providers_file, serve_github)

pytestmark = pytest.mark.slow



@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with serve_github() as running:
        running.state.add_repository("octo", "app", branches={"main": "a" * 40}, files={"README.md": "# app\n"})
        yield running


@pytest.fixture
def server(tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServeProcess]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    providers = remote_providers_file(tmp_path / "providers.yaml", github)
    with serve(tmp_path / "data", "--providers", str(providers)) as running:
        yield running


@pytest.fixture
def context(tmp_path: Path) -> Iterator[BrowserContext]:
    with browser(tmp_path / "profile") as running:
        yield running


def test_oauth_with_pkce_in_the_console_makes_the_connection_available(
        server: ServeProcess, github: GitHubServer, context: BrowserContext) -> None:
    api = server.client("codestar-connections")
    arn = api.create_connection(ProviderType="GitHub", ConnectionName="gh")["ConnectionArn"]
    page = context.new_page()
    authorizations: list[str] = []
    page.on("request", lambda request: authorizations.append(request.url)
            if "/login/oauth/authorize" in request.url else None)
    page.goto(f"{server.url}/console/connections")
    page.click("text=gh")
    page.click("#update-pending")
    shot(page, "handshake-github")
    page.click("#sign-in-provider")
    assert page.inner_text("#provider-user") == "octo"  # back through /oauth/callback, code exchanged
    shot(page, "installations-github")
    query = parse_qs(urlsplit(authorizations[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    chosen = page.get_attribute("input[name=installation_id]:checked", "value")
    page.click("#connect")
    assert page.inner_text("#status") == "AVAILABLE"
    shot(page, "connection-github")
    got = api.get_connection(ConnectionArn=arn)["Connection"]
    assert got["ConnectionStatus"] == "AVAILABLE" and chosen
    page.click("#browse")
    shot(page, "owners-github")
    assert "octo" in page.inner_text("#owners")


def test_a_personal_access_token_in_the_console_makes_the_connection_available(
        server: ServeProcess, context: BrowserContext) -> None:
    api = server.client("codeconnections")
    arn = api.create_connection(ProviderType="GitHub", ConnectionName="pat")["ConnectionArn"]
    page = context.new_page()
    page.goto(f"{server.url}/console/connections")
    page.click("text=pat")
    page.click("#update-pending")
    page.fill("input[name=personal_access_token]", PAT)
    page.click("#use-token")
    assert "octo" in page.inner_text("#install-form")
    assert PAT not in page.content()
    page.click("#connect")
    assert page.inner_text("#status") == "AVAILABLE"
    assert api.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"
    server.stop()
    assert PAT not in server.all_output()
