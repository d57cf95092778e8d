"""Issue 7, item 6: foreign Hosts and cross-site browser requests are refused, and change nothing.

A presigned GET signed with the public test/test key, sent by a browser page
(Origin: https://evil.example, Sec-Fetch-Site: cross-site), created a user; any
Host header was answered, so a DNS-rebinding page could read the answers too.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from botocore.exceptions import ClientError
from hardening_wire import CODECONNECTIONS_TARGET, aws_error, json_call, presigned, send
from real_server import RealServer, real_server

CREATE_USER = "/?Action=CreateUser&Version=2010-05-08&UserName={}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    with real_server(tmp_path_factory.mktemp("origin"), allowed_hosts=("codeconn.test",)) as running:
        yield running


def user_exists(server: RealServer, name: str) -> bool:
    try:
        server.client("iam").get_user(UserName=name)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        return False
    return True


@pytest.mark.parametrize("browser", [
    pytest.param({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, id="cross-site page"),
    pytest.param({"Sec-Fetch-Site": "same-site"}, id="same-site page"),
    pytest.param({"Origin": "null"}, id="opaque origin"),
    pytest.param({"Origin": "http://localhost:1"}, id="another origin on this machine"),
])
def test_a_presigned_call_from_a_web_page_is_refused_and_changes_nothing(server: RealServer,
                                                                        browser: dict[str, str]) -> None:
    name = "victim" + str(abs(hash(tuple(browser.items()))) % 10_000)
    url = presigned(server.url + CREATE_USER.format(name), service="iam")
    response = httpx.get(url, headers=browser, timeout=30)
    assert (response.status_code, aws_error(response)) == (403, "AccessDenied")
    assert not user_exists(server, name)


def test_the_same_presigned_call_from_a_client_works(server: RealServer) -> None:
    response = httpx.get(presigned(server.url + CREATE_USER.format("tool"), service="iam"), timeout=30)
    assert response.status_code == 200, response.text[:300]
    assert user_exists(server, "tool")


def test_the_servers_own_origin_is_not_cross_site(server: RealServer) -> None:
    url = presigned(server.url + "/?Action=ListUsers&Version=2010-05-08", service="iam")
    response = httpx.get(url, headers={"Origin": server.url, "Sec-Fetch-Site": "same-origin"}, timeout=30)
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize("path", ["/", "/_codeconn/health"])
def test_a_foreign_host_is_refused(server: RealServer, path: str) -> None:
    port = server.url.rsplit(":", 1)[1]
    url = presigned(server.url + "/?Action=ListUsers&Version=2010-05-08", service="iam") if path == "/" else \
        server.url + path
    response = httpx.get(url, headers={"Host": f"attacker.example:{port}"}, timeout=30)
    assert (response.status_code, aws_error(response)) == (403, "AccessDenied")
    assert "attacker.example" in response.text


def test_a_foreign_host_is_refused_in_the_json_shape(server: RealServer) -> None:
    request = json_call(server.url, f"{CODECONNECTIONS_TARGET}.ListConnections", {})
    request.headers["Host"] = "rebound.example"
    response = send(request)
    assert (response.status_code, aws_error(response)) == (400, "AccessDeniedException")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "codeconn.test", "CODECONN.TEST."])
def test_the_servers_names_are_answered(server: RealServer, host: str) -> None:
    port = server.url.rsplit(":", 1)[1]
    response = httpx.get(server.url + "/_codeconn/health", headers={"Host": f"{host}:{port}"}, timeout=30)
    assert response.status_code == 200


def test_a_cors_preflight_is_refused_in_aws_shape(server: RealServer) -> None:
    response = httpx.options(server.url + "/", timeout=30, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-amz-target,content-type"})
    assert (response.status_code, aws_error(response)) == (403, "AccessDenied")
    assert "access-control-allow-origin" not in response.headers
