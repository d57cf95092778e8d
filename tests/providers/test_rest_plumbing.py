"""The adapters' shared HTTP plumbing (codeconn/providers/_rest.py) on httpx's in-memory transport:
the retry budget, rate-limit header forms, transport errors, pagination loops, scrubbing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from provider_server import Recorder

from codeconn.providers import ProviderRateLimited, ProviderUnavailable
from codeconn.providers._rest import Page, RestClient, basic, rate_limit_wait, scrub
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def client(handler: Callable[[httpx.Request], httpx.Response], sleep: Recorder, max_wait: float = 60.0) -> RestClient:
    return RestClient(provider="Test", describe=lambda body: None, max_wait=max_wait, sleep=sleep,
                      now=lambda: NOW, transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("headers", "wait"), [
    pytest.param({"Retry-After": "12"}, 12.0, id="Retry-After seconds"),
    pytest.param({"Retry-After": "Thu, 01 Jan 2026 12:00:45 GMT"}, 45.0, id="Retry-After HTTP date"),
    pytest.param({"RateLimit-Reset": str(int(NOW.timestamp()) + 9)}, 9.0, id="RateLimit-Reset epoch"),
    pytest.param({"X-RateLimit-Reset": str(int(NOW.timestamp()) - 5)}, 0.0, id="a reset in the past"),
    pytest.param({"Retry-After": "soon"}, None, id="unreadable"),
    pytest.param({}, None, id="none"),
])
def test_rate_limit_wait_reads_the_documented_header_forms(headers: dict[str, str], wait: float | None) -> None:
    assert rate_limit_wait(httpx.Headers(headers), NOW) == wait


def test_the_waits_of_one_call_stay_within_max_wait() -> None:
    sleep = Recorder()
    rest = client(lambda request: httpx.Response(429, headers={"Retry-After": "20"}), sleep, max_wait=50.0)
    with pytest.raises(ProviderRateLimited) as raised:
        rest.json("GET", "https://host.test/x")
    assert sleep.waits == [20.0, 20.0]
    assert raised.value.reset_at == NOW + timedelta(seconds=20)


def test_a_transport_error_is_retried_for_get_but_not_for_post() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        raise httpx.ConnectError("refused", request=request)

    sleep = Recorder()
    with pytest.raises(ProviderUnavailable, match="GET https://host.test/x failed: ConnectError"):
        client(handler, sleep).json("GET", "https://host.test/x?secret=no")
    assert calls == ["GET"] * 5 and sleep.waits == [1.0, 2.0, 4.0, 8.0]
    calls.clear()
    with pytest.raises(ProviderUnavailable):
        client(handler, Recorder()).json("POST", "https://host.test/token", form={"code": Secret("c")})
    assert calls == ["POST"]


def test_a_provider_repeating_a_page_is_not_followed_forever() -> None:
    rest = client(lambda request: httpx.Response(200, json=[1]), Recorder())
    with pytest.raises(ProviderUnavailable, match="repeats a page"):
        rest.pages("https://host.test/list", auth=None, params={},
                   read=lambda body, response: Page(body, "https://host.test/list?page=2"))


def test_a_body_that_is_not_json_is_unavailable_not_a_crash() -> None:
    rest = client(lambda request: httpx.Response(200, text="<html>"), Recorder())
    with pytest.raises(ProviderUnavailable, match="not JSON"):
        rest.json("GET", "https://host.test/x")


def test_a_failed_download_leaves_nothing_behind(tmp_path: Path) -> None:
    rest = client(lambda request: httpx.Response(500, text="boom"), Recorder(), max_wait=0.0)
    with pytest.raises(ProviderUnavailable, match="500"):
        rest.download("https://host.test/a.zip", tmp_path / "a.zip")
    assert list(tmp_path.iterdir()) == []


def test_scrub_hides_the_password_and_its_basic_encoding() -> None:
    auth = basic("u", Secret("pw-123"))
    encoded = auth.value.reveal().split()[1]
    assert scrub(f"pw-123 and {encoded}", auth.secrets) == "*** and ***"
    assert scrub("nothing", (Secret(""),)) == "nothing"
