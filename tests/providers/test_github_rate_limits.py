"""GitHub's rate-limit answers, error bodies and pagination bounds, through the shared plumbing of providers/http.py.

The clock and the sleep are fakes: a wait is checked by what was asked of `sleep`,
never by waiting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from github_server import PAT, Answer, GitHubServer, serve_github

from codeconn.providers import (
    Credential,
    CredentialKind,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
)
from codeconn.providers.github import GitHubProvider
from codeconn.store import Secret

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
USER = "/api/v3/user"
CREDENTIAL = Credential(CredentialKind.PERSONAL_ACCESS_TOKEN, token=Secret(PAT))


class FakeClock:
    def __init__(self) -> None:
        self.time = NOW
        self.slept: list[float] = []

    def now(self) -> datetime:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += timedelta(seconds=seconds)


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with serve_github() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def provider(server: GitHubServer, clock: FakeClock, max_wait: float = 30.0) -> GitHubProvider:
    return GitHubProvider(ProviderSettings(provider_type="GitHub", mode="remote", api_url=server.api_url,
                                           web_url=server.url, max_rate_limit_wait=max_wait),
                          sleep=clock.sleep, now=clock.now)


def primary(reset: datetime, status: int = 403) -> Answer:
    """GitHub's primary rate limit: remaining 0 and the reset in UTC epoch seconds."""
    return Answer(status, {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                           "x-ratelimit-reset": str(int(reset.timestamp()))},
                  {"message": "API rate limit exceeded for user ID 1.",
                   "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"})


@pytest.mark.parametrize("answer, slept", [
    pytest.param(primary(NOW + timedelta(seconds=10)), [11.0], id="403 remaining 0, reset soon: waits until it"),
    pytest.param(primary(NOW + timedelta(seconds=10), 429), [11.0], id="429 remaining 0, reset soon"),
    pytest.param(primary(NOW - timedelta(seconds=5)), [1.0], id="reset already past: a margin only"),
    pytest.param(Answer(429, {"retry-after": "5"}, {"message": "secondary rate limit"}), [6.0],
                 id="secondary limit: retry-after seconds"),
    pytest.param(Answer(403, {"retry-after": "Thu, 01 Jan 2026 12:00:20 GMT"}, {"message": "secondary"}), [21.0],
                 id="retry-after as an HTTP date"),
])
def test_a_near_reset_is_waited_for_then_the_call_is_retried(server: GitHubServer, clock: FakeClock,
                                                             answer: Answer, slept: list[float]) -> None:
    server.state.script(USER, answer)
    assert provider(server, clock).current_user(CREDENTIAL).login == "octo"
    assert clock.slept == slept
    assert server.paths() == [USER, USER]


def test_a_far_reset_is_reported_at_once(server: GitHubServer, clock: FakeClock) -> None:
    reset = NOW + timedelta(hours=1)
    server.state.script(USER, primary(reset))
    with pytest.raises(ProviderRateLimited) as raised:
        provider(server, clock).current_user(CREDENTIAL)
    assert raised.value.reset_at == reset
    assert clock.slept == []


def test_a_limit_that_keeps_coming_back_ends_after_bounded_retries(server: GitHubServer, clock: FakeClock) -> None:
    server.state.script(USER, *[Answer(429, {"retry-after": "1"}) for _ in range(10)])
    with pytest.raises(ProviderRateLimited):
        provider(server, clock).current_user(CREDENTIAL)
    assert clock.slept == [2.0, 2.0, 2.0]
    assert len(server.paths()) == 4


def test_a_bare_429_waits_a_minute_when_allowed(server: GitHubServer, clock: FakeClock) -> None:
    server.state.script(USER, Answer(429), Answer(429))
    with pytest.raises(ProviderRateLimited):
        provider(server, clock).current_user(CREDENTIAL)
    assert provider(server, clock, max_wait=120).current_user(CREDENTIAL).login == "octo"
    assert clock.slept == [61.0]


def test_a_rate_limit_in_the_middle_of_pagination_is_waited_out(server: GitHubServer, clock: FakeClock) -> None:
    github = provider(server, clock)
    server.state.script("/api/v3/user/orgs", Answer(200, {"Link": f'<{server.api_url}/user/orgs?page=2>; rel="next"'},
                                                    [{"id": 100, "login": "org0"}]),
                        primary(NOW + timedelta(seconds=3)))
    targets = github.installation_targets(CREDENTIAL)
    pages = [p for p in server.paths() if p.endswith("/orgs")]
    # the scripted first page, then the real pages 2 and 3 (two organizations a page)
    assert [t.target_name for t in targets] == ["octo", "org0", "org2", "org3", "org4"]
    assert clock.slept == [4.0] and len(pages) == 4


@pytest.mark.parametrize("answer, error, message", [
    pytest.param(Answer(403, {}, {"message": "Resource not accessible by integration",
                                  "documentation_url": "https://docs.github.com/rest"}),
                 ProviderRefused, "answered 403 to GET .*/user: Resource not accessible by integration",
                 id="403 without rate-limit headers is a refusal"),
    pytest.param(Answer(422, {}, {"message": "Validation Failed", "errors": []}), ProviderRefused,
                 "422.*Validation Failed", id="422"),
    pytest.param(Answer(404, {}, {"message": "Not Found"}), ProviderNotFound, "404", id="404"),
    pytest.param(Answer(410, {}, {"message": "Gone"}), ProviderNotFound, "410", id="410"),
    pytest.param(Answer(500, {}, None), ProviderUnavailable, "500", id="500"),
    pytest.param(Answer(503, {}, {"message": "Service Unavailable"}), ProviderUnavailable, "503", id="503"),
])
def test_error_answers_map_to_provider_errors(server: GitHubServer, clock: FakeClock, answer: Answer,
                                              error: type[Exception], message: str) -> None:
    server.state.script(USER, answer)
    with pytest.raises(error, match=message):
        provider(server, clock).current_user(CREDENTIAL)
    assert clock.slept == []


def test_an_unreachable_github_is_unavailable(clock: FakeClock) -> None:
    with serve_github() as gone:
        url = gone.url
    github = GitHubProvider(ProviderSettings(provider_type="GitHub", mode="remote", api_url=url, web_url=url,
                                             timeout=2), sleep=clock.sleep, now=clock.now)
    with pytest.raises(ProviderUnavailable, match="could not be reached"):
        github.current_user(CREDENTIAL)


def test_pagination_is_bounded(server: GitHubServer, clock: FakeClock) -> None:
    github = provider(server, clock)
    github.http.max_pages = 2
    with pytest.raises(ProviderUnavailable, match="more than 2 pages"):
        github.installation_targets(CREDENTIAL)  # 5 organizations, 2 a page: 3 pages


def test_a_next_page_on_another_origin_is_not_followed(server: GitHubServer, clock: FakeClock) -> None:
    server.state.script("/api/v3/user/orgs", Answer(200, {"Link": '<http://127.0.0.2:9/steal?page=2>; rel="next"'},
                                                    []))
    with pytest.raises(ProviderUnavailable, match="another origin"):
        provider(server, clock).installation_targets(CREDENTIAL)
