"""providers/http.py on its own, through httpx's in-memory transport: what other adapters rely on beyond GitHub's use."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from codeconn.providers import (
    Credential,
    CredentialKind,
    ProviderAuthFailed,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderUnavailable,
)
from codeconn.providers.http import ProviderHttp, RateLimitRule, basic_authorization, bearer, require_token
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
