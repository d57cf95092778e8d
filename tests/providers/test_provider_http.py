"""providers/http.py on its own, through httpx's in-memory transport: the retry budget, rate-limit header forms,
status tables, transport errors, pagination loops, bounded downloads, scrubbing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from provider_server import Recorder

from codeconn.providers import (
    Credential,
    CredentialKind,
    ProviderAuthFailed,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderUnavailable,
)
from codeconn.providers.authorization import Auth, basic_authorization, bearer, require_token, scrub
from codeconn.providers.http import REST_MESSAGES, REST_RATE_LIMIT, ProviderHttp, RateLimitRule
from codeconn.providers.pages import Next
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, tzinfo=UTC)
GITLAB_RULE = RateLimitRule(statuses=frozenset({429}), remaining_header="ratelimit-remaining",
                            reset_header="ratelimit-reset")


def client(handler: Callable[[httpx.Request], httpx.Response], *, slept: list[float] | None = None,
           **options: object) -> ProviderHttp:
    sleeps = slept if slept is not None else []
    return ProviderHttp("Example", "https://api.example.test/v4/", timeout=5, max_rate_limit_wait=30,
                        transport=httpx.MockTransport(handler), now=lambda: NOW, sleep=sleeps.append,
                        **options)  # type: ignore[arg-type]


def test_relative_paths_join_the_base_url() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    assert client(handler).get_json("projects", params={"page": "1"}) == {"ok": True}
    assert seen == ["https://api.example.test/v4/projects?page=1"]


def test_a_rule_with_other_header_names(tmp_path: Path) -> None:
    """GitLab's spelling: a 429 with ratelimit-remaining 0 and ratelimit-reset."""
    answers = [httpx.Response(429, headers={"ratelimit-remaining": "0",
                                            "ratelimit-reset": str(int((NOW + timedelta(seconds=4)).timestamp()))}),
               httpx.Response(200, json=[1])]
    slept: list[float] = []
    http = client(lambda request: answers.pop(0), slept=slept, rate_limit=GITLAB_RULE)
    assert http.get_json("x") == [1]
    assert slept == [5.0]


def test_a_status_outside_the_rule_is_not_a_rate_limit() -> None:
    http = client(lambda request: httpx.Response(403, headers={"ratelimit-remaining": "0"}, json={"message": "no"}),
                  rate_limit=GITLAB_RULE)
    with pytest.raises(ProviderRefused, match="403 to GET /v4/x: no"):
        http.get_json("x")


def test_a_far_retry_after_is_reported_with_its_reset() -> None:
    http = client(lambda request: httpx.Response(429, headers={"retry-after": "3600"}))
    with pytest.raises(ProviderRateLimited) as raised:
        http.get_json("x")
    assert raised.value.reset_at == NOW + timedelta(hours=1)


@pytest.mark.parametrize("status, error", [(401, ProviderAuthFailed), (404, ProviderNotFound),
                                           (400, ProviderRefused), (502, ProviderUnavailable)])
def test_the_default_status_table(status: int, error: type[Exception]) -> None:
    with pytest.raises(error, match=f"Example answered {status}"):
        client(lambda request: httpx.Response(status, text="<html>")).get_json("x")


def test_an_adapter_can_change_the_status_table() -> None:
    http = client(lambda request: httpx.Response(403, json={"error": {"message": "scope"}}),
                  errors={403: ProviderAuthFailed})
    with pytest.raises(ProviderAuthFailed, match="scope"):  # Bitbucket's {"error": {"message"}} body
        http.get_json("x")


def test_a_body_that_is_not_json_is_unavailable() -> None:
    with pytest.raises(ProviderUnavailable, match="not JSON"):
        client(lambda request: httpx.Response(200, text="<html>")).get_json("x")


def test_a_transport_failure_is_unavailable_without_details() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("boom", request=request)

    with pytest.raises(ProviderUnavailable, match="could not be reached for GET /v4/x: ConnectError"):
        client(handler).get_json("x")


def test_download_is_bounded_and_leaves_nothing_on_failure(tmp_path: Path) -> None:
    http = client(lambda request: httpx.Response(200, content=b"x" * 1000))
    assert http.download("file", tmp_path / "ok.bin").read_bytes() == b"x" * 1000
    with pytest.raises(ProviderRefused, match="more than 10 bytes"):
        http.download("file", tmp_path / "big.bin", max_bytes=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.bin"]


def test_pagination_follows_relative_next_links() -> None:
    pages = {"1": ([1, 2], '</v4/items?page=2>; rel="next"'), "2": ([3], None)}

    def handler(request: httpx.Request) -> httpx.Response:
        items, link = pages[request.url.params.get("page", "1")]
        return httpx.Response(200, json={"values": items}, headers={"Link": link} if link else {})

    assert client(handler).paginate("items", items=lambda body: body["values"]) == [1, 2, 3]


def test_auth_helpers_keep_the_secret_a_secret() -> None:
    token = Secret("tok")
    assert bearer(token) == {"Authorization": "Bearer tok"}
    header = basic_authorization("oauth2", token)
    assert header.reveal() == "Basic " + base64.b64encode(b"oauth2:tok").decode()
    assert "tok" not in repr(header)
    assert require_token(Credential(CredentialKind.OAUTH, token=token), "Example") is token
    with pytest.raises(ProviderAuthFailed):
        require_token(Credential(CredentialKind.LOCAL), "Example")


# -- the REST adapters' rule and budget (GitLab, Bitbucket, Azure DevOps) ------------------------------------
REST_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def rest(handler: Callable[[httpx.Request], httpx.Response], sleep: Recorder, max_wait: float = 60.0) -> ProviderHttp:
    return ProviderHttp("Test", timeout=5, max_rate_limit_wait=max_wait, rate_limit=REST_RATE_LIMIT,
                        describe=lambda body: None, message_format=REST_MESSAGES, sleep=sleep,
                        now=lambda: REST_NOW, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("headers", "wait"), [
    pytest.param({"Retry-After": "12"}, 12.0, id="Retry-After seconds"),
    pytest.param({"Retry-After": "Thu, 01 Jan 2026 12:00:45 GMT"}, 45.0, id="Retry-After HTTP date"),
    pytest.param({"RateLimit-Reset": str(int(REST_NOW.timestamp()) + 9)}, 9.0, id="RateLimit-Reset epoch"),
    pytest.param({"X-RateLimit-Reset": str(int(REST_NOW.timestamp()) - 5)}, 0.0, id="a reset in the past"),
    pytest.param({"Retry-After": "soon"}, None, id="unreadable"),
    pytest.param({}, None, id="none"),
])
def test_rate_limit_wait_reads_the_documented_header_forms(headers: dict[str, str], wait: float | None) -> None:
    reset_at = REST_RATE_LIMIT.reset_at(httpx.Response(429, headers=headers), REST_NOW)
    assert (None if reset_at is None else max(0.0, (reset_at - REST_NOW).total_seconds())) == wait


def test_the_waits_of_one_call_stay_within_max_wait() -> None:
    sleep = Recorder()
    http = rest(lambda request: httpx.Response(429, headers={"Retry-After": "20"}), sleep, max_wait=50.0)
    with pytest.raises(ProviderRateLimited) as raised:
        http.get_json("https://host.test/x")
    assert sleep.waits == [20.0, 20.0]
    assert raised.value.reset_at == REST_NOW + timedelta(seconds=20)


def test_a_transport_error_is_retried_for_get_but_not_for_post() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ConnectError("refused", request=request)

    sleep = Recorder()
    with pytest.raises(ProviderUnavailable, match="GET /x: ConnectError") as raised:
        rest(handler, sleep).get_json("https://host.test/x?secret=no")
    assert "secret" not in str(raised.value)
    assert calls == ["GET"] * 5 and sleep.waits == [1.0, 2.0, 4.0, 8.0]
    calls.clear()
    with pytest.raises(ProviderUnavailable):
        rest(handler, Recorder()).post_json("https://host.test/token", data={"code": Secret("c")})
    assert calls == ["POST"]


def test_a_provider_repeating_a_page_is_not_followed_forever() -> None:
    http = rest(lambda request: httpx.Response(200, json=[1]), Recorder())
    with pytest.raises(ProviderUnavailable, match="repeats a page"):
        http.paginate("https://host.test/list", next_page=lambda body, response: Next("https://host.test/list?page=2"))


def test_a_rest_body_that_is_not_json_is_unavailable_not_a_crash() -> None:
    http = rest(lambda request: httpx.Response(200, text="<html>"), Recorder())
    with pytest.raises(ProviderUnavailable, match="not JSON"):
        http.get_json("https://host.test/x")


def test_a_failed_download_leaves_nothing_behind(tmp_path: Path) -> None:
    http = rest(lambda request: httpx.Response(500, text="boom"), Recorder(), max_wait=0.0)
    with pytest.raises(ProviderUnavailable, match="500"):
        http.download("https://host.test/a.zip", tmp_path / "a.zip")
    assert list(tmp_path.iterdir()) == []


def test_scrub_hides_the_password_and_its_basic_encoding() -> None:
    auth = Auth.basic("u", Secret("pw-123"))
    encoded = auth.value.reveal().split()[1]
    assert scrub(f"pw-123 and {encoded}", auth.secrets) == "*** and ***"
    assert scrub("nothing", (Secret(""),)) == "nothing"
