"""The OAuth return: /oauth/callback finishes a flow the browser's console session started, and only that.

Against the GitHub test server (remote mode): "Sign in with GitHub" starts the flow
(the State is kept in the server-side session) and redirects to GitHub; GitHub's
redirect to /oauth/callback, with this browser's cookie, shows the installation
picker (the code exchanged as the session's principal). The same redirect without
that session shows the plain code page, and a State is finished only once. A GitHub
Enterprise Server host is set up the same way (the app manifest flow, RegisterAppCode).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from console_app import BASE, ConsoleApp, console_app
from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parents[1] / "providers"))

from github_manifest_server import ManifestHost  # noqa: E402
from github_server import CLIENT_SECRET, SECRET_ENV, GitHubServer, remote_providers_file, serve_github  # noqa: E402
from provider_server import serve as serve_provider  # noqa: E402



@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with serve_github() as running:
        yield running


@pytest.fixture
def remote(tmp_path: Path, github: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleApp]:
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    providers = remote_providers_file(tmp_path / "providers.json", github)
    yield from console_app(tmp_path / "data", providers_file=providers)


def test_the_callback_finishes_the_console_flow_of_this_session_only(remote: ConsoleApp) -> None:
    arn = remote.api("codestar-connections", "CreateConnection",
                     {"ProviderType": "GitHub", "ConnectionName": "gh"})["ConnectionArn"]
    started = remote.post("/console/connection/oauth", {"arn": arn},
                          token_from=f"/console/connection/handshake?arn={arn}")
    assert started.status_code == 303 and "code_challenge_method=S256" in started.headers["location"]
    back = urlsplit(httpx.get(started.headers["location"], follow_redirects=False).headers["location"])
    assert back.path == "/oauth/callback"
    navigation = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}
    with TestClient(remote.client.app, base_url=BASE, client=("127.0.0.1", 50001)) as stranger:
        plain = stranger.get(f"/oauth/callback?{back.query}", headers=navigation)
        assert plain.status_code == 200 and "GetIndividualAccessToken" in plain.text  # no session: the code page
    picker = remote.client.get(f"/oauth/callback?{back.query}", headers=navigation)
    assert picker.status_code == 200 and 'id="provider-user">octo<' in picker.text
    assert "frame-ancestors 'none'" in picker.headers["content-security-policy"]
    again = remote.client.get(f"/oauth/callback?{back.query}", headers=navigation)
    assert 'id="provider-user"' not in again.text  # the State is the session's once: the plain page now
    installed = remote.post("/console/connection/install", {"arn": arn, "installation_id": "1"},
                            token_from=f"/console/connection/install?arn={arn}")
    assert installed.status_code == 303
    got = remote.api("codestar-connections", "GetConnection", {"ConnectionArn": arn})["Connection"]
    assert (got["ConnectionStatus"], got["OwnerAccountId"]) == ("AVAILABLE", "1")


def test_a_github_enterprise_server_host_is_set_up_through_the_console(tmp_path: Path) -> None:
    with serve_provider(ManifestHost()) as ghes:
        for console in console_app(tmp_path / "data"):
            arn = console.api("codeconnections", "CreateHost", {
                "Name": "ghes", "ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": ghes.base_url})["HostArn"]
            started = console.post("/console/host/set-up", {"arn": arn}, token_from=f"/console/host?arn={arn}")
            assert started.status_code == 303 and urlsplit(started.headers["location"]).path == "/settings/apps/new"
            back = urlsplit(httpx.get(started.headers["location"], follow_redirects=False).headers["location"])
            page = console.client.get(f"/oauth/callback?{back.query}", headers={"Sec-Fetch-Site": "cross-site"})
            assert page.status_code == 200 and 'id="status">AVAILABLE<' in page.text
            assert console.api("codeconnections", "GetHost", {"HostArn": arn})["Status"] == "AVAILABLE"
