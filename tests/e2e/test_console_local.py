"""The console in a real browser against `codeconn serve` in local mode (Playwright + Debian's chromium).

A connection made with boto3 is completed in the console (loopback with the
default key: the browser is the default root at once), then reads AVAILABLE
through boto3; the repository picker walks owners, repositories and branches; a
denied handshake step shows the decision's explanation; a cross-site form post
is refused. Every page visited leaves a screenshot under test-output/screenshots/.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from console_browser import INSTALLER_POLICY, browser, pipeline_definition, shot
from handshake_clients import bare_repository
from playwright.sync_api import BrowserContext, Page
from serve_process import ServeProcess, serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    data_dir = tmp_path_factory.mktemp("console") / "data"
    with serve(data_dir) as running:
        root = data_dir / "repositories" / "GitHub"
        bare_repository(root, "acme", "api")
        bare_repository(root, "globex", "web")
        yield running


@pytest.fixture
def context(tmp_path: Path) -> Iterator[BrowserContext]:
    with browser(tmp_path / "profile") as running:
        yield running


def _status(server: ServeProcess, arn: str) -> tuple[str, str | None]:
    got = server.client("codestar-connections").get_connection(ConnectionArn=arn)["Connection"]
    return got["ConnectionStatus"], got.get("OwnerAccountId")


def test_a_connection_made_with_boto3_is_completed_in_the_console(server: ServeProcess,
                                                                  context: BrowserContext) -> None:
    api = server.client("codestar-connections")
    arn = api.create_connection(ProviderType="GitHub", ConnectionName="api",
                                Tags=[{"Key": "team", "Value": "platform"}])["ConnectionArn"]
    page = context.new_page()
    page.goto(f"{server.url}/console/")
    assert page.inner_text("#principal") == "arn:aws:iam::000000000000:root"
    shot(page, "connections")
    page.click("text=api")
    assert page.inner_text("#status") == "PENDING" and "platform" in page.inner_text("#tags")
    shot(page, "connection-pending")
    page.click("#update-pending")
    shot(page, "handshake-local")
    page.click("#continue-local")
    assert "acme" in page.inner_text("#install-form")
    shot(page, "installations")
    page.check("input[value=acme]")
    page.click("#connect")
    assert page.inner_text("#status") == "AVAILABLE" and page.inner_text("#owner") == "acme"
    shot(page, "connection")
    assert _status(server, arn) == ("AVAILABLE", "acme")
    page.click("#browse")
    page.click("#owners >> text=acme")
    shot(page, "repositories")
    page.click("text=acme/api")
    assert "main" in page.inner_text("#branches")
    shot(page, "branches")


def test_hosts_pipelines_and_the_audit_log_are_pages_too(server: ServeProcess, context: BrowserContext) -> None:
    api = server.client("codeconnections")
    arn = api.create_connection(ProviderType="GitHub", ConnectionName="for-pipeline")["ConnectionArn"]
    server.client("codepipeline").create_pipeline(pipeline=pipeline_definition(arn))
    page = context.new_page()
    page.goto(f"{server.url}/console/pipelines")
    shot(page, "pipelines")
    page.click("#pipelines >> text=api")
    assert "Source" in page.inner_text("#stages") and "Approve" in page.inner_text("#stages")
    shot(page, "pipeline")
    page.goto(f"{server.url}/console/hosts")
    shot(page, "hosts")
    page.goto(f"{server.url}/console/audit?action=*:CreatePipeline")
    assert "codepipeline:CreatePipeline" in page.inner_text("#audit")
    shot(page, "audit")


def test_a_denied_handshake_step_shows_the_explanation(server: ServeProcess, context: BrowserContext) -> None:
    iam = server.client("iam")
    iam.create_user(UserName="installer")
    iam.put_user_policy(UserName="installer", PolicyName="handshake",
                        PolicyDocument=json.dumps(INSTALLER_POLICY))
    key = iam.create_access_key(UserName="installer")["AccessKey"]
    arn = server.client("codestar-connections").create_connection(ProviderType="GitHub",
                                                                  ConnectionName="denied")["ConnectionArn"]
    page = context.new_page()
    page.goto(f"{server.url}/console/connections")
    page.click("text=Sign out")
    page.fill("input[name=access_key_id]", key["AccessKeyId"])
    page.fill("input[name=secret_access_key]", key["SecretAccessKey"])
    shot(page, "sign-in")
    page.click("button[type=submit]")
    assert page.inner_text("#principal") == "arn:aws:iam::000000000000:user/installer"
    page.goto(f"{server.url}/console/connection/handshake?arn={quote(arn, safe='')}")
    page.click("#continue-local")
    page.check("input[value=globex]")
    page.click("#connect")
    problem = page.inner_text("#problem")
    assert "AccessDeniedException" in problem and "codestar-connections:UpdateConnectionInstallation" in problem
    assert "OnlyAcme" in page.inner_text("#near-misses")
    assert "StringEquals codestar-connections:InstallationId is not met" in page.inner_text("#near-misses")
    shot(page, "denied")
    assert _status(server, arn)[0] == "PENDING"
    assert key["SecretAccessKey"] not in page.content()


class _Evil(BaseHTTPRequestHandler):
    """A page of another site whose form posts to the console."""

    form = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = self.form.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_a_cross_site_form_post_is_refused(server: ServeProcess, context: BrowserContext) -> None:
    arn = server.client("codestar-connections").create_connection(ProviderType="GitHub",
                                                                  ConnectionName="cross-site")["ConnectionArn"]
    page = context.new_page()
    page.goto(f"{server.url}/console/connections")  # signed in: the browser holds a session cookie
    token = page.get_attribute("input[name=csrf]", "value") or ""
    _Evil.form = (f'<!doctype html><form method="post" action="{server.url}/console/connection/token">'
                  f'<input type="hidden" name="arn" value="{arn}"><input type="hidden" name="csrf" value="{token}">'
                  '<button id="go">Win a prize</button></form>')
    evil = ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://localhost:{evil.server_address[1]}/")  # another site: localhost is not 127.0.0.1
        with page.expect_response(lambda response: "/console/connection/token" in response.url) as answered:
            page.click("#go")
        assert answered.value.status == 403
        shot(page, "cross-site-refused")
    finally:
        evil.shutdown()
        evil.server_close()
    assert _status(server, arn)[0] == "PENDING"
    page.goto(f"{server.url}/console/connection/install?arn={quote(arn, safe='')}")
    assert "install-form" not in page.content()  # no token was taken for the connection
