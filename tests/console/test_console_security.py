"""The console's session cookie, CSRF tokens, cross-site refusal, strict headers and sign-in rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from console_app import BASE, ConsoleApp, console_app

from codeconn.console.web import CONTENT_SECURITY_POLICY


ROOT_KEY = ("AKIAROOTROOTROOT0001", "a" * 8 + "B" * 8)


def _user(console: ConsoleApp, name: str, policy: dict[str, object], root: str = "test") -> tuple[str, str]:
    console.api("iam", "CreateUser", {"UserName": name}, key=root)
    console.api("iam", "PutUserPolicy", {"UserName": name, "PolicyName": "p", "PolicyDocument": json.dumps(policy)},
                key=root)
    key = console.api("iam", "CreateAccessKey", {"UserName": name}, key=root)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_the_session_cookie_is_http_only_same_site_lax_expiring_and_holds_no_key(console: ConsoleApp) -> None:
    page = console.client.get("/console/connections")
    cookie = page.headers["set-cookie"]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path"} <= flags and "samesite=lax" in cookie.lower()
    assert "test" not in cookie.split(";")[0].split("=", 1)[1].strip('"')  # encrypted: not even the key id shows
    console.client.cookies.set("codeconn_console", "x" + cookie.split(";")[0].split("=", 1)[1])
    forged = console.client.get("/console/connections")
    assert forged.status_code == 200  # a forged cookie is no session: the loopback default key signs in anew
    assert "set-cookie" in forged.headers


def test_every_answer_has_the_strict_headers(console: ConsoleApp) -> None:
    for path in ("/console/connections", "/console/sign-in", "/console/static/console.css", "/console/missing"):
        answer = console.client.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    page = console.client.get("/console/connections").text
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_a_post_without_the_session_csrf_token_is_refused_and_changes_nothing(console: ConsoleApp) -> None:
    arn = console.api("codestar-connections", "CreateConnection",
                      {"ProviderType": "GitHub", "ConnectionName": "csrf"})["ConnectionArn"]
    console.client.get("/console/connections")
    same_origin = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
    for form in ({"arn": arn}, {"arn": arn, "csrf": "not-the-token"}):
        refused = console.client.post("/console/connection/token", data=form, headers=same_origin)
        assert refused.status_code == 403 and "InvalidCsrfToken" in refused.text
    assert console.client.get("/console/connection/install", params={"arn": arn}).status_code == 303  # no token
    done = console.post("/console/connection/token", {"arn": arn},
                        token_from=f"/console/connection/handshake?arn={arn}")
    assert done.status_code == 303


@pytest.mark.parametrize("headers", [
    pytest.param({"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, id="cross-site browser"),
    pytest.param({"Origin": "http://evil.example"}, id="foreign Origin"),
    pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site (another port)"),
])
def test_a_cross_site_form_post_is_refused_before_any_page(console: ConsoleApp, headers: dict[str, str]) -> None:
    token = console.csrf("/console/connections")
    refused = console.client.post("/console/sign-out", data={"csrf": token}, headers=headers)
    assert refused.status_code == 403
    assert console.client.get("/console/connections").status_code == 200  # still signed in


def test_sign_in_checks_the_secret_keeps_only_the_key_id_and_sign_out_ends_the_session(tmp_path: Path) -> None:
    for console in console_app(tmp_path / "data", root_credentials=ROOT_KEY):
        assert console.client.get("/console/connections").headers["location"].startswith("/console/sign-in")
        key, secret = _user(console, "dev", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "codeconnections:ListConnections", "Resource": "*"}]}, root=ROOT_KEY[0])
        wrong = console.post("/console/sign-in", {"access_key_id": key, "secret_access_key": secret + "x"},
                             token_from="/console/sign-in")
        assert wrong.status_code == 403 and secret not in wrong.text
        good = console.post("/console/sign-in", {"access_key_id": key, "secret_access_key": secret,
                                                 "next": "//evil.example/"}, token_from="/console/sign-in")
        assert good.status_code == 303 and good.headers["location"] == "/console/connections"
        cookie = good.headers["set-cookie"]
        assert secret not in cookie and key not in cookie
        page = console.client.get("/console/connections")
        assert page.status_code == 200 and "user/dev" in page.text and secret not in page.text
        old = console.client.cookies.get("codeconn_console")
        console.post("/console/sign-out", {}, token_from="/console/connections")
        console.client.cookies.set("codeconn_console", old or "")
        assert console.client.get("/console/connections").status_code == 303  # the record is gone
        assert secret not in console.config.audit_path.read_text()


def test_the_audit_page_is_decided_as_cloudtrail_lookup_events(tmp_path: Path) -> None:
    for console in console_app(tmp_path / "data", root_credentials=ROOT_KEY):
        allowed, secret = _user(console, "reader", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}]}, root=ROOT_KEY[0])
        denied, other = _user(console, "nobody", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "codeconnections:ListConnections", "Resource": "*"}]}, root=ROOT_KEY[0])
        console.post("/console/sign-in", {"access_key_id": denied, "secret_access_key": other},
                     token_from="/console/sign-in")
        refused = console.client.get("/console/audit")
        assert refused.status_code == 403 and "cloudtrail:LookupEvents" in refused.text
        console.post("/console/sign-out", {}, token_from="/console/connections")
        console.post("/console/sign-in", {"access_key_id": allowed, "secret_access_key": secret},
                     token_from="/console/sign-in")
        page = console.client.get("/console/audit", params={"action": "cloudtrail:*", "decision": "implicitDeny"})
        table = page.text.split('id="audit"', 1)[1]
        assert page.status_code == 200 and "user/nobody" in table and "user/reader" not in table
