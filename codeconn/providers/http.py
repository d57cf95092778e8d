"""The HTTP plumbing every remote adapter shares: bounded retries and rate-limit waits, error mapping, pagination,
secret scrubbing, atomic downloads.

An adapter owns one `ProviderHttp` (one `httpx.Client`, so connections are
reused) and speaks its provider's REST API through four calls:

    http = ProviderHttp("GitLab", api_url, timeout=..., max_rate_limit_wait=..., rate_limit=..., describe=...)
    http.request("POST", url, auth=..., data=...)          -> httpx.Response (2xx only; else a ProviderError)
    http.get_json(url, auth=..., params=...)               -> the decoded JSON body (None when empty)
    http.paginate(url, auth=..., items=..., next_page=...) -> every item of every page
    http.download(url, destination, auth=...)              -> destination, written atomically

What stays provider-specific is passed in, never written here: the display name
used in messages, how the provider says "rate limited" (`RateLimitRule`), what
is retried (`Retries`), how to read the message of an error body (`describe`),
how a page names the next one (a `pages.NextPage`: `next_link`, `next_page_header`,
`next_in_body`, `continuation_token`, or `first_of` several), the status-to-error
table (`errors`) and the wording of messages (`message_format`).

Waits. A response the rule recognises carries a reset time (`Retry-After` seconds
or HTTP date, else a reset header in epoch seconds, else `default_wait`, else the
backoff). A GET that fails in transport, or is answered one of
`Retries.transient_statuses`, waits the backoff (1 s, doubling). Every wait of a
call counts against `max_rate_limit_wait`, and a call has at most
`Retries.max_attempts` attempts; past either bound the last error is raised
(`ProviderRateLimited(reset_at)` for a rate limit), so a caller never hangs.
`sleep` and `now` are injected so tests check the waits without waiting.

Errors, looked up by status in `errors` (default `STATUS_ERRORS`, which an adapter
may extend: Azure DevOps' 203 is an authentication failure): any other 2xx is a
success, any other 4xx ProviderRefused, the rest ProviderUnavailable. Messages
name the provider, the status, the method and the URL without its query, and the
provider's own message; the plaintext of every secret of the request (`Auth`,
`Secret` form values) is scrubbed from them and from the log lines.

Secrets: `authorization.Auth` is built by the adapter at the moment of the call; this module
never stores it. httpx drops `Authorization` when a redirect leaves the origin,
and `paginate` refuses a next page on another origin, so a token goes only where
the adapter sent it.
"""

from __future__ import annotations

import email.utils
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from codeconn.clock import Clock, utc_now
from codeconn.providers.base import (
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
)
from codeconn.providers.authorization import Auth, scrub
from codeconn.providers.pages import NextPage, next_link
from codeconn.store import Secret

_log = logging.getLogger(__name__)

STATUS_ERRORS: Mapping[int, type[ProviderError]] = {
    401: ProviderAuthFailed,
    404: ProviderNotFound,
    410: ProviderNotFound,
    429: ProviderRateLimited,
}
DEFAULT_MAX_PAGES = 1000  # a listing longer than this is ProviderUnavailable rather than a silently short list
DOWNLOAD_CHUNK = 1 << 16
MESSAGE_LIMIT = 300  # characters of a provider's message kept in an error
GITHUB_MESSAGES = "{provider} answered {status} to {method} {path}{detail}"
REST_MESSAGES = "{provider}: {method} {url} answered {status}{detail}"

Sleep = Callable[[float], None]
Describe = Callable[[Any], str | None]  # the provider's message in a parsed error body, if any


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """How a provider says "rate limited": the statuses it uses and the headers that say until when.

    The defaults are GitHub's documented ones: 403 or 429, `x-ratelimit-remaining: 0`
    with `x-ratelimit-reset`, a bare 429 waits a minute, and a second's margin is
    added as clocks differ. `REST_RATE_LIMIT` is GitLab's, Bitbucket's and Azure
    DevOps': 429 only, `RateLimit-Reset` or `X-RateLimit-Reset` whatever the
    remaining count, and the backoff when no header names a wait.
    """

    statuses: frozenset[int] = frozenset({403, 429})
    remaining_header: str | None = "x-ratelimit-remaining"  # None: a reset header counts on its own
    reset_header: str | tuple[str, ...] = "x-ratelimit-reset"  # UTC epoch seconds
    retry_after_header: str = "retry-after"  # seconds, or an HTTP date
    default_wait: float | None = 60.0  # a 429 naming no wait; None: the backoff
    margin: float = 1.0  # seconds added to a named reset

    def reset_at(self, response: httpx.Response, now: datetime) -> datetime | None:
        """When the limit that refused `response` resets, as its headers say; None when they say nothing
        (or `response` is not a rate-limit answer)."""
        if response.status_code not in self.statuses:
            return None
        headers = response.headers
        retry_after = headers.get(self.retry_after_header)
        if retry_after is not None:
            parsed = _retry_after(retry_after, now)
            if parsed is not None:
                return parsed
        exhausted = self.remaining_header is None or headers.get(self.remaining_header) == "0"
        names = (self.reset_header,) if isinstance(self.reset_header, str) else self.reset_header
        for name in names if exhausted else ():
            try:
                return datetime.fromtimestamp(float(headers[name]), UTC)
            except (KeyError, ValueError, OverflowError, OSError):
                continue
        if response.status_code == 429 and self.default_wait is not None:
            return now + timedelta(seconds=self.default_wait)
        return None


REST_RATE_LIMIT = RateLimitRule(statuses=frozenset({429}), remaining_header=None,
                                reset_header=("ratelimit-reset", "x-ratelimit-reset"), default_wait=None, margin=0.0)


@dataclass(frozen=True, slots=True)
class Retries:
    """What one call retries: at most `max_attempts` attempts; GETs that failed in transport or were answered a
    transient status wait the backoff (`backoff_start` seconds, doubling) before the next."""

    max_attempts: int = 5
    transient_statuses: frozenset[int] = frozenset({502, 503, 504})
    backoff_start: float = 1.0


def _retry_after(value: str, now: datetime) -> datetime | None:
    """Retry-After as RFC 9110 §10.2.3 gives it: delay seconds or an HTTP date."""
    value = value.strip()
    try:
        return now + timedelta(seconds=float(value))
    except (ValueError, OverflowError):
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- error bodies -----------------------------------------------------------------------------------
def oauth_error(body: Any) -> str | None:
    """The message of an RFC 6749 §5.2 error body (`error`, `error_description`), shared by every token endpoint."""
    if not isinstance(body, Mapping) or not isinstance(body.get("error"), str):
        return None
    description = body.get("error_description")
    return f"{body['error']}: {description}" if isinstance(description, str) else str(body["error"])


def json_message(body: Any) -> str | None:
    """The error message of a JSON body `{"message": ...}` (GitHub, GitLab, Azure DevOps), or None."""
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error_description") or body.get("error")
        if isinstance(message, str):
            return message
        if isinstance(message, Mapping) and isinstance(message.get("message"), str):  # Bitbucket: {"error": {...}}
            return str(message["message"])
    return None


class ProviderHttp:
    """One provider's HTTP client: every request bounded in time, waits bounded, errors mapped, secrets scrubbed."""

    def __init__(self, provider: str, base_url: str = "", *, timeout: float, max_rate_limit_wait: float,
                 rate_limit: RateLimitRule = RateLimitRule(), retries: Retries = Retries(),
                 describe: Describe = json_message, errors: Mapping[int, type[ProviderError]] = STATUS_ERRORS,
                 message_format: str = GITHUB_MESSAGES, headers: Mapping[str, str] | None = None,
                 max_pages: int = DEFAULT_MAX_PAGES, sleep: Sleep = time.sleep, now: Clock = utc_now,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.provider = provider
        self.max_rate_limit_wait = max_rate_limit_wait
        self.rate_limit = rate_limit
        self.retries = retries
        self.describe = describe
        self.errors = {**STATUS_ERRORS, **errors}
        self.message_format = message_format
        self.max_pages = max_pages
        self.sleep = sleep
        self.now = now
        self._client = httpx.Client(base_url=base_url, timeout=timeout, transport=transport, follow_redirects=True,
                                    max_redirects=5,
                                    headers=dict(headers or {"Accept": "application/json", "User-Agent": "codeconn"}))

    @classmethod
    def for_rest(cls, settings: ProviderSettings, describe: Describe, *, sleep: Sleep, now: Clock,
                 transport: httpx.BaseTransport | None,
                 errors: Mapping[int, type[ProviderError]] = STATUS_ERRORS) -> ProviderHttp:
        """The client of a REST adapter (GitLab, Bitbucket, Azure DevOps): absolute URLs, `REST_RATE_LIMIT`,
        `REST_MESSAGES`, and the settings' timeout and wait bound."""
        return cls(settings.provider_type, timeout=settings.timeout, max_rate_limit_wait=settings.max_rate_limit_wait,
                   rate_limit=REST_RATE_LIMIT, describe=describe, errors=errors, message_format=REST_MESSAGES,
                   sleep=sleep, now=now, transport=transport)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    # -- requests ---------------------------------------------------------------------------
    def request(self, method: str, url: str, *, auth: Auth | None = None, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, data: Mapping[str, str | Secret] | None = None,
                json: Any = None) -> httpx.Response:
        """Send one request (waiting and retrying as the rules say); a 2xx response, read, or a ProviderError."""
        return self._send(method, url, auth=auth, headers=headers, params=params, data=data, json=json,
                          stream=False)

    def get_json(self, url: str, *, auth: Auth | None = None, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None) -> Any:
        """GET and decode the JSON body (None when empty); a body that is not JSON is ProviderUnavailable."""
        return self._decode(self.request("GET", url, auth=auth, headers=headers, params=params))

    def post_json(self, url: str, *, auth: Auth | None = None, headers: Mapping[str, str] | None = None,
                  data: Mapping[str, str | Secret] | None = None) -> Any:
        """POST a form and decode the JSON body (a token endpoint's answer)."""
        return self._decode(self.request("POST", url, auth=auth, headers=headers, data=data))

    def paginate(self, url: str, *, auth: Auth | None = None, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None, items: Callable[[Any], Iterable[Any]] = lambda body: body,
                 next_page: NextPage = next_link) -> list[Any]:
        """Every item of every page: `items(body)` of each page, following `next_page` until it answers None.

        A next page on another origin is refused (it would carry the token
        elsewhere), a page asked twice would loop forever so it is refused too, and
        more than `max_pages` pages is ProviderUnavailable rather than a short list.
        """
        collected: list[Any] = []
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        response = self.request("GET", url, auth=auth, headers=headers, params=params)
        first = response.request.url
        for _ in range(self.max_pages):
            body = self._decode(response)
            collected.extend(items(body))
            following = next_page(body, response)
            if following is None:
                return collected
            next_url = response.request.url.join(following.url)
            if _origin(next_url) != _origin(first):
                raise ProviderUnavailable(f"{self.provider} gave a next page on another origin for {first.path}")
            key = (str(next_url), tuple(sorted(following.params.items())))
            if key in seen:
                raise ProviderUnavailable(f"{self.provider}: pagination repeats a page of {first.path}")
            seen.add(key)
            response = self.request("GET", str(next_url), auth=auth, headers=headers, params=following.params)
        raise ProviderUnavailable(f"{self.provider} answered more than {self.max_pages} pages for {first.path}")

    def download(self, url: str, destination: Path, *, auth: Auth | None = None,
                 headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
                 max_bytes: int | None = None) -> Path:
        """Stream a GET (following redirects) into `destination`: a temporary file beside it, then an atomic rename.

        A failure part-way leaves nothing at `destination`; a body longer than
        `max_bytes` is ProviderRefused.
        """
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        response = self._send("GET", url, auth=auth, headers=headers, params=params, data=None, json=None,
                              stream=True)
        path = response.request.url.path
        descriptor, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
        try:
            with os.fdopen(descriptor, "wb") as out:
                written = 0
                for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise ProviderRefused(f"{self.provider} sent more than {max_bytes} bytes for {path}")
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, destination)
        except httpx.HTTPError as error:
            Path(temporary).unlink(missing_ok=True)
            raise self._unreachable(error, "GET", path) from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        finally:
            response.close()
        return destination

    # -- the loop ---------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, auth: Auth | None, headers: Mapping[str, str] | None,
              params: Mapping[str, str] | None, data: Mapping[str, str | Secret] | None, json: Any,
              stream: bool) -> httpx.Response:
        secrets = (auth.secrets if auth else ()) + tuple(v for v in (data or {}).values() if isinstance(v, Secret))
        sent = {**(headers or {}), **(auth.headers() if auth else {})}
        form = {k: v.reveal() if isinstance(v, Secret) else v for k, v in data.items()} if data is not None else None
        waited, backoff = 0.0, self.retries.backoff_start
        for attempt in range(1, self.retries.max_attempts + 1):
            last = attempt == self.retries.max_attempts
            # httpx drops a URL's own query when given empty params: a next link carries its query itself
            request = self._client.build_request(method, url, headers=sent, params=params or None, data=form,
                                                 json=json)
            path = request.url.path  # what messages and logs show: never the query, never a header
            try:
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as error:
                _log.info("%s %s %s: %s", self.provider, method, path, type(error).__name__)
                if method != "GET" or last or waited + backoff > self.max_rate_limit_wait:
                    raise self._unreachable(error, method, path) from None
                self.sleep(backoff)
                waited, backoff = waited + backoff, backoff * 2
                continue
            _log.debug("%s %s %s -> %s", self.provider, method, path, response.status_code)
            kind = self._error_class(response.status_code)
            if kind is None:
                if not stream:
                    self._read(response, method, path)
                return response
            self._read(response, method, path)
            now = self.now()
            reset_at = self.rate_limit.reset_at(response, now)
            if reset_at is not None:
                kind, wait = ProviderRateLimited, max(0.0, (reset_at - now).total_seconds()) + self.rate_limit.margin
            elif response.status_code == 429:  # a rate limit naming no wait: the backoff
                wait, reset_at = backoff, now + timedelta(seconds=backoff)
            elif response.status_code in self.retries.transient_statuses and method == "GET":
                wait = backoff
            else:
                raise self._error(kind, response, secrets, None)
            if last or waited + wait > self.max_rate_limit_wait:
                raise self._error(kind, response, secrets, reset_at)
            _log.info("%s rate limit or outage for %s %s (%s): waiting %.1f s", self.provider, method, path,
                      response.status_code, wait)
            self.sleep(wait)
            waited, backoff = waited + wait, backoff * 2
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _read(self, response: httpx.Response, method: str, path: str) -> None:
        try:
            response.read()
        except httpx.HTTPError as error:
            raise self._unreachable(error, method, path) from None
        finally:
            response.close()

    def _error_class(self, status: int) -> type[ProviderError] | None:
        """The error of a status, or None for a success. Explicit entries win over the status classes."""
        explicit = self.errors.get(status)
        if explicit is not None:
            return explicit
        if 200 <= status < 300:
            return None
        return ProviderRefused if 400 <= status < 500 else ProviderUnavailable

    def _error(self, kind: type[ProviderError], response: httpx.Response, secrets: Sequence[Secret],
               reset_at: datetime | None) -> ProviderError:
        try:
            message = self.describe(response.json()) if response.content else None
        except ValueError:
            message = None
        request = response.request
        text = self.message_format.format(
            provider=self.provider, status=response.status_code, method=request.method, path=request.url.path,
            url=request.url.copy_with(query=None), detail=f": {message[:MESSAGE_LIMIT]}" if message else "")
        text = scrub(text, secrets)
        if kind is ProviderRateLimited:
            if reset_at is not None:
                text += f"; the rate limit resets at {reset_at.isoformat(timespec='seconds')}"
            _log.info("%s", text)
            return ProviderRateLimited(text, reset_at)
        _log.info("%s", text)
        return kind(text)

    def _unreachable(self, error: httpx.HTTPError, method: str, path: str) -> ProviderUnavailable:
        return ProviderUnavailable(f"{self.provider} could not be reached for {method} {path}: "
                                   f"{type(error).__name__}")

    def _decode(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProviderUnavailable(f"{self.provider} answered {response.request.url.path} with a body that is "
                                      "not JSON") from None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


__all__ = [
    "DEFAULT_MAX_PAGES",
    "GITHUB_MESSAGES",
    "REST_MESSAGES",
    "REST_RATE_LIMIT",
    "STATUS_ERRORS",
    "Describe",
    "ProviderHttp",
    "RateLimitRule",
    "Retries",
    "Sleep",
    "json_message",
    "oauth_error",
]
