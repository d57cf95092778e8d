"""The HTTP plumbing every remote adapter shares: bounded rate-limit waits, error mapping, Link pagination, downloads.

An adapter owns one `ProviderHttp` (one `httpx.Client`, so connections are
reused) and speaks its provider's REST API through four calls:

    http = ProviderHttp("GitHub", api_url, timeout=..., max_rate_limit_wait=..., message_of=...)
    http.request("POST", url, headers=..., data=...)   -> httpx.Response (2xx only; else a ProviderError)
    http.get_json(path, headers=..., params=...)       -> the decoded JSON body
    http.paginate(path, headers=..., items=...)        -> every item of every page (Link: rel="next")
    http.download(url, destination, headers=...)       -> destination, written atomically

What stays provider-specific is passed in, never written here: the display name
used in messages, how the provider says "rate limited" (`RateLimitRule`: which
statuses and headers), how to read the message of an error body (`message_of`),
and, if a provider needs it, a different status-to-error table (`errors`).

Rate limits: a response the rule recognises carries a reset time (`Retry-After`
seconds or HTTP date, else `<remaining> == 0` with `<reset>` in epoch seconds,
else `default_wait` for a bare 429). If the reset is within `max_rate_limit_wait`
of `now()`, the call sleeps until then (plus a second's margin, as clocks differ)
and retries, at most `max_retries` times; otherwise it raises
`ProviderRateLimited(reset_at)` at once, so a caller never hangs for an hour.
`sleep` and `now` are injected so tests check the wait without waiting.

Errors, looked up by status in `errors` (default `STATUS_ERRORS`): 401 is
ProviderAuthFailed, 404/410 ProviderNotFound, any other 4xx ProviderRefused, 5xx
and transport failures ProviderUnavailable. Messages name the provider, the
status, the method and the URL path (never the query, never a header), and the
provider's own message: no token can reach them, nor the logs (debug lines carry
the same method, path and status).

Secrets: headers are plain strings built by the adapter at the moment of the call
(`bearer(secret)`); this module never stores them. httpx drops `Authorization`
when a redirect leaves the origin, and `paginate` refuses a next link that leaves
it, so a token goes only where the adapter sent it.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from codeconn.providers.base import (
    Credential,
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderUnavailable,
)
from codeconn.store import Secret

_log = logging.getLogger(__name__)

STATUS_ERRORS: Mapping[int, type[ProviderError]] = {
    401: ProviderAuthFailed,
    404: ProviderNotFound,
    410: ProviderNotFound,
}
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_PAGES = 100
RESET_MARGIN = 1.0  # seconds added to a reset time: the provider's clock and ours differ a little
DOWNLOAD_CHUNK = 1 << 16

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """How a provider says "rate limited": the statuses it uses and the headers that say until when.

    The defaults are GitHub's documented ones, which Azure DevOps shares; GitLab
    names its headers `ratelimit-remaining` / `ratelimit-reset`. A 429 without any
    of the headers waits `default_wait` seconds (GitHub: "wait at least one minute").
    """

    statuses: frozenset[int] = frozenset({403, 429})
    remaining_header: str = "x-ratelimit-remaining"
    reset_header: str = "x-ratelimit-reset"  # UTC epoch seconds
    retry_after_header: str = "retry-after"  # seconds, or an HTTP date
    default_wait: float = 60.0

    def reset_at(self, response: httpx.Response, now: datetime) -> datetime | None:
        """When the limit that refused `response` resets; None when `response` is not a rate-limit answer."""
        if response.status_code not in self.statuses:
            return None
        headers = response.headers
        retry_after = headers.get(self.retry_after_header)
        if retry_after is not None:
            parsed = _retry_after(retry_after, now)
            if parsed is not None:
                return parsed
        if headers.get(self.remaining_header) == "0" and headers.get(self.reset_header) is not None:
            try:
                return datetime.fromtimestamp(float(headers[self.reset_header]), UTC)
            except (ValueError, OverflowError, OSError):
                pass
        if response.status_code == 429:
            return now + timedelta(seconds=self.default_wait)
        return None


def _retry_after(value: str, now: datetime) -> datetime | None:
    """Retry-After as RFC 9110 §10.2.3 gives it: delay seconds or an HTTP date."""
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_message(response: httpx.Response) -> str | None:
    """The error message of a JSON body `{"message": ...}` (GitHub, GitLab, Azure DevOps), or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        message = body.get("message") or body.get("error_description") or body.get("error")
        if isinstance(message, str):
            return message
        if isinstance(message, dict) and isinstance(message.get("message"), str):  # Bitbucket: {"error": {...}}
            return str(message["message"])
    return None


def bearer(token: Secret) -> dict[str, str]:
    """`Authorization: Bearer <token>`: the header that carries an OAuth or personal access token."""
    return {"Authorization": f"Bearer {token.reveal()}"}


def basic_authorization(username: str, password: Secret) -> Secret:
    """The value of `Authorization: Basic base64(username:password)`, kept a Secret (for git remotes' headers)."""
    pair = f"{username}:{password.reveal()}".encode()
    return Secret("Basic " + base64.b64encode(pair).decode("ascii"))


def require_token(credential: Credential, provider: str) -> Secret:
    """The credential's token; a credential without one (local mode's) is ProviderAuthFailed."""
    if credential.token is None:
        raise ProviderAuthFailed(f"{provider} needs a token, and the credential has none")
    return credential.token


class ProviderHttp:
    """One provider's HTTP client: every request bounded in time, rate limits waited out or reported, errors mapped."""

    def __init__(self, provider: str, base_url: str, *, timeout: float, max_rate_limit_wait: float,
                 rate_limit: RateLimitRule = RateLimitRule(),
                 message_of: Callable[[httpx.Response], str | None] = json_message,
                 errors: Mapping[int, type[ProviderError]] = STATUS_ERRORS,
                 headers: Mapping[str, str] | None = None, max_retries: int = DEFAULT_MAX_RETRIES,
                 max_pages: int = DEFAULT_MAX_PAGES, sleep: Sleep = time.sleep, now: Clock = utc_now,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.provider = provider
        self.max_rate_limit_wait = max_rate_limit_wait
        self.rate_limit = rate_limit
        self.message_of = message_of
        self.errors = errors
        self.max_retries = max_retries
        self.max_pages = max_pages
        self.sleep = sleep
        self.now = now
        self._client = httpx.Client(base_url=base_url, timeout=timeout, headers=dict(headers or {}),
                                    follow_redirects=True, transport=transport)

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    # -- requests ---------------------------------------------------------------------------
    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                params: Mapping[str, str] | None = None, data: Mapping[str, str] | None = None,
                json: Any = None) -> httpx.Response:
        """Send one request (waiting out rate limits as the rule says); a 2xx response, read, or a ProviderError."""
        return self._send(method, url, headers=headers, params=params, data=data, json=json, stream=False)

    def get_json(self, url: str, *, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None) -> Any:
        """GET and decode the JSON body; a body that is not JSON is ProviderUnavailable."""
        return _decode(self.request("GET", url, headers=headers, params=params), self.provider)

    def paginate(self, url: str, *, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None,
                 items: Callable[[Any], Iterable[Any]] = lambda body: body) -> list[Any]:
        """Every item of every page: `items(body)` of each page, following `Link: <...>; rel="next"` (RFC 8288).

        The next URL already carries the query, so `params` go with the first page
        only. A next link to another origin is refused (it would carry the token
        elsewhere), and more than `max_pages` pages is ProviderUnavailable rather
        than a silently short list.
        """
        collected: list[Any] = []
        response = self.request("GET", url, headers=headers, params=params)
        first = response.request.url
        for _ in range(self.max_pages):
            collected.extend(items(_decode(response, self.provider)))
            following = response.links.get("next", {}).get("url")
            if following is None:
                return collected
            next_url = response.request.url.join(following)
            if _origin(next_url) != _origin(first):
                raise ProviderUnavailable(f"{self.provider} gave a next page on another origin for {first.path}")
            response = self.request("GET", str(next_url), headers=headers)
        raise ProviderUnavailable(f"{self.provider} answered more than {self.max_pages} pages for {first.path}")

    def download(self, url: str, destination: Path, *, headers: Mapping[str, str] | None = None,
                 params: Mapping[str, str] | None = None, max_bytes: int | None = None) -> Path:
        """Stream a GET (following redirects) into `destination`: a temporary file beside it, then an atomic rename.

        A failure part-way leaves nothing at `destination`; a body longer than
        `max_bytes` is ProviderRefused.
        """
        destination = Path(destination)
        response = self._send("GET", url, headers=headers, params=params, data=None, json=None, stream=True)
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
    def _send(self, method: str, url: str, *, headers: Mapping[str, str] | None,
              params: Mapping[str, str] | None, data: Mapping[str, str] | None, json: Any,
              stream: bool) -> httpx.Response:
        attempt = 0
        while True:
            request = self._client.build_request(method, url, headers=headers, params=params, data=data, json=json)
            path = request.url.path  # what messages and logs show: never the query, never a header
            try:
                response = self._client.send(request, stream=stream)
            except httpx.HTTPError as error:
                raise self._unreachable(error, method, path) from None
            _log.debug("%s %s %s -> %s", self.provider, method, path, response.status_code)
            if response.is_success:
                return response
            try:
                response.read()
            except httpx.HTTPError as error:
                raise self._unreachable(error, method, path) from None
            finally:
                response.close()
            now = self.now()
            reset_at = self.rate_limit.reset_at(response, now)
            if reset_at is None:
                raise self._error(response, method, path)
            wait = max(0.0, (reset_at - now).total_seconds()) + RESET_MARGIN
            if attempt >= self.max_retries or wait > self.max_rate_limit_wait:
                raise ProviderRateLimited(
                    f"{self.provider} rate limit reached for {method} {path}; it resets at "
                    f"{reset_at.isoformat(timespec='seconds')}", reset_at=reset_at)
            _log.info("%s rate limit reached for %s %s: waiting %.1f s for its reset", self.provider, method,
                      path, wait)
            self.sleep(wait)
            attempt += 1

    def _error(self, response: httpx.Response, method: str, path: str) -> ProviderError:
        status = response.status_code
        kind = self.errors.get(status) or (ProviderRefused if 400 <= status < 500 else ProviderUnavailable)
        message = self.message_of(response)
        detail = f": {message}" if message else ""
        return kind(f"{self.provider} answered {status} to {method} {path}{detail}")

    def _unreachable(self, error: httpx.HTTPError, method: str, path: str) -> ProviderUnavailable:
        return ProviderUnavailable(f"{self.provider} could not be reached for {method} {path}: "
                                   f"{type(error).__name__}")


def _decode(response: httpx.Response, provider: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ProviderUnavailable(f"{provider} answered {response.request.url.path} with a body that is not "
                                  "JSON") from None


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


__all__ = [
    "DEFAULT_MAX_PAGES",
    "DEFAULT_MAX_RETRIES",
    "STATUS_ERRORS",
    "ProviderHttp",
    "RateLimitRule",
    "basic_authorization",
    "bearer",
    "json_message",
    "require_token",
    "utc_now",
]
