"""The HTTP plumbing the GitLab, Bitbucket and Azure DevOps adapters share (private; to be merged with http.py).

Every call to a code host goes through `RestClient.send`, which promises:

- secrets leave only at send time: an `Auth` and `Secret` form fields are revealed
  into the request and nowhere else; every message and log line built from a
  response has them scrubbed, and a log line never carries headers or bodies;
- a rate-limited answer (429) is retried after the wait the provider names
  (`Retry-After` in seconds or as an HTTP date, else a reset epoch such as
  GitLab's `RateLimit-Reset`), or after a short doubling backoff when it names
  none, as long as the waits of one call stay within `max_wait` seconds; past
  that the call raises `ProviderRateLimited` with the reset time. Idempotent
  requests (GET) are also retried, a bounded number of times, after a transport
  error or a 502/503/504;
- any other failure becomes the base error of its status (`STATUS_ERRORS`, which
  an adapter may extend: Azure DevOps answers an invalid PAT with 203), carrying the
  provider's own message as the adapter's `describe` extracts it from the body.

The waits use the injected `sleep` and `now`, so tests check them without sleeping.
"""

from __future__ import annotations

import base64
import email.utils
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from codeconn.providers.base import (
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
)
from codeconn.store import Secret

Sleep = Callable[[float], None]
Clock = Callable[[], datetime]
Describe = Callable[[Any], str | None]  # the provider's message in a parsed error body, if any

_log = logging.getLogger("codeconn.providers")

MAX_ATTEMPTS = 5  # one call: the first try and at most four retries, whatever the reason
TRANSIENT_STATUSES = frozenset({502, 503, 504})
BACKOFF_START = 1.0  # seconds before the first retry when the provider names no wait
MAX_PAGES = 1000  # a listing longer than this is refused rather than followed forever
MESSAGE_LIMIT = 300  # characters of a provider's message kept in an error

STATUS_ERRORS: Mapping[int, type[ProviderError]] = {
    400: ProviderRefused,
    401: ProviderAuthFailed,
    403: ProviderRefused,
    404: ProviderNotFound,
    410: ProviderNotFound,
    429: ProviderRateLimited,
}


def utc_now() -> datetime:
    """The default clock: an aware UTC datetime."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Auth:
    """How one request authenticates: the header sent, and the plaintexts to scrub from anything shown."""

    header: str
    value: Secret
    secrets: tuple[Secret, ...]


def bearer(token: Secret) -> Auth:
    """`Authorization: Bearer <token>` (RFC 6750)."""
    return Auth("Authorization", Secret("Bearer " + token.reveal()), (token,))


def basic(username: str, password: Secret) -> Auth:
    """`Authorization: Basic base64(username:password)` (RFC 7617); the encoded form is scrubbed too."""
    encoded = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
    return Auth("Authorization", Secret("Basic " + encoded), (password, Secret(encoded)))


def scrub(text: str, secrets: Sequence[Secret]) -> str:
    """`text` with every non-empty plaintext of `secrets` replaced by `***`."""
    for secret in secrets:
        plain = secret.reveal()
        if plain:
            text = text.replace(plain, "***")
    return text


def oauth_error(body: Any) -> str | None:
    """The message of an RFC 6749 §5.2 error body (`error`, `error_description`), shared by every token endpoint."""
    if not isinstance(body, Mapping) or not isinstance(body.get("error"), str):
        return None
    description = body.get("error_description")
    return f"{body['error']}: {description}" if isinstance(description, str) else str(body["error"])


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing: its items, and the URL and query of the next page (None at the end)."""

    items: Sequence[Any]
    next_url: str | None = None
    next_params: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class RestClient:
    """One provider's HTTP client: bounded retries, rate-limit waits, error mapping (see the module docstring)."""

    provider: str  # the provider type, the first word of every message
    describe: Describe
    timeout: float = 30.0
    max_wait: float = 60.0
    sleep: Sleep = time.sleep
    now: Clock = utc_now
    status_errors: Mapping[int, type[ProviderError]] = field(default_factory=dict)
    transport: httpx.BaseTransport | None = None
    _client: httpx.Client = field(init=False, repr=False)

    @classmethod
    def for_settings(cls, settings: ProviderSettings, describe: Describe, *, sleep: Sleep, now: Clock,
                     transport: httpx.BaseTransport | None,
                     status_errors: Mapping[int, type[ProviderError]] | None = None) -> RestClient:
        """The client of one provider's settings: its timeout and rate-limit wait bound."""
        return cls(provider=settings.provider_type, describe=describe, timeout=settings.timeout,
                   max_wait=settings.max_rate_limit_wait, sleep=sleep, now=now, transport=transport,
                   status_errors=status_errors or {})

    def __post_init__(self) -> None:
        # one pool per adapter, made here rather than on first use so that threads never race to make it
        self._client = httpx.Client(timeout=self.timeout, transport=self.transport, max_redirects=5,
                                    headers={"Accept": "application/json", "User-Agent": "codeconn"})

    def close(self) -> None:
        """Close the connection pool; the client is not used afterwards."""
        self._client.close()

    # -- one request ------------------------------------------------------------------------
    def json(self, method: str, url: str, *, auth: Auth | None = None, params: Mapping[str, str] | None = None,
             form: Mapping[str, str | Secret] | None = None) -> Any:
        """The parsed JSON body of a successful answer (None for an empty body)."""
        return self.page(method, url, auth=auth, params=params, form=form)[0]

    def page(self, method: str, url: str, *, auth: Auth | None = None, params: Mapping[str, str] | None = None,
             form: Mapping[str, str | Secret] | None = None) -> tuple[Any, httpx.Response]:
        """The parsed JSON body and the response itself (whose headers carry pagination)."""
        with self._send(method, url, auth=auth, params=params, form=form, follow=False) as response:
            response.read()
            return _parse_json(response, self.provider), response

    def download(self, url: str, destination: Path, *, auth: Auth | None = None,
                 params: Mapping[str, str] | None = None) -> Path:
        """GET `url` into `destination`, atomically: a temporary file beside it, renamed when complete.

        Redirects are followed (archives are served from a CDN); httpx drops the
        Authorization header when a redirect leaves the origin, which is why the
        adapters authenticate with that header only.
        """
        destination.parent.mkdir(parents=True, exist_ok=True)
        with self._send("GET", url, auth=auth, params=params, form=None, follow=True) as response:
            handle, temporary = tempfile.mkstemp(prefix=f".{destination.name}.", dir=destination.parent)
            try:
                with os.fdopen(handle, "wb") as out:
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                os.replace(temporary, destination)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        return destination

    def pages(self, url: str, *, auth: Auth | None, params: Mapping[str, str],
              read: Callable[[Any, httpx.Response], Page]) -> list[Any]:
        """Every item of a paginated listing, following `read`'s next page until there is none (bounded)."""
        items: list[Any] = []
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        next_url: str | None = url
        next_params: Mapping[str, str] = params
        for _ in range(MAX_PAGES):
            if next_url is None:
                return items
            key = (next_url, tuple(sorted(next_params.items())))
            if key in seen:  # a provider answering the same next page twice would loop forever
                raise ProviderUnavailable(f"{self.provider}: pagination repeats a page")
            seen.add(key)
            body, response = self.page("GET", next_url, auth=auth, params=next_params)
            page = read(body, response)
            items.extend(page.items)
            next_url, next_params = page.next_url, page.next_params
        raise ProviderRefused(f"{self.provider}: the listing has more than {MAX_PAGES} pages")

    # -- the loop -------------------------------------------------------------------------------
    @contextmanager
    def _send(self, method: str, url: str, *, auth: Auth | None, params: Mapping[str, str] | None,
              form: Mapping[str, str | Secret] | None, follow: bool) -> Iterator[httpx.Response]:
        secrets = (auth.secrets if auth else ()) + tuple(v for v in (form or {}).values() if isinstance(v, Secret))
        headers = {auth.header: auth.value.reveal()} if auth else {}
        data = {k: v.reveal() if isinstance(v, Secret) else v for k, v in form.items()} if form is not None else None
        waited = 0.0
        backoff = BACKOFF_START
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            # httpx drops a URL's own query when given empty params: a Link URL carries its query itself
            request = self._client.build_request(method, url, params=params or None, data=data, headers=headers)
            try:
                response = self._client.send(request, stream=True, follow_redirects=follow)
            except httpx.HTTPError as error:
                _log.info("%s %s %s: %s", self.provider, method, _where(request), type(error).__name__)
                if method != "GET" or last or waited + backoff > self.max_wait:
                    raise ProviderUnavailable(f"{self.provider}: {method} {_where(request)} failed: "
                                              f"{scrub(type(error).__name__, secrets)}") from None
                self.sleep(backoff)
                waited, backoff = waited + backoff, backoff * 2
                continue
            _log.debug("%s %s %s -> %d", self.provider, method, _where(request), response.status_code)
            error_class = self._error_class(response.status_code)
            if error_class is None:
                try:
                    yield response
                finally:
                    response.close()
                return
            response.read()
            response.close()
            wait = self._retry_wait(response, method, backoff)
            if wait is not None and not last and waited + wait <= self.max_wait:
                self.sleep(wait)
                waited, backoff = waited + wait, backoff * 2
                continue
            raise self._error(error_class, response, secrets, wait)
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _error_class(self, status: int) -> type[ProviderError] | None:
        """The error of a status, or None for a success. Explicit entries win over the status classes."""
        explicit = self.status_errors.get(status) or STATUS_ERRORS.get(status)
        if explicit is not None:
            return explicit
        if 200 <= status < 300:
            return None
        return ProviderUnavailable if status >= 500 or status < 400 else ProviderRefused

    def _retry_wait(self, response: httpx.Response, method: str, backoff: float) -> float | None:
        """Seconds to wait before retrying this answer, or None when it is not worth retrying."""
        if response.status_code == 429:
            named = rate_limit_wait(response.headers, self.now())
            return backoff if named is None else named
        if response.status_code in TRANSIENT_STATUSES and method == "GET":
            return backoff
        return None

    def _error(self, error_class: type[ProviderError], response: httpx.Response, secrets: Sequence[Secret],
               wait: float | None) -> ProviderError:
        try:
            message = self.describe(response.json())
        except ValueError:
            message = None
        text = f"{self.provider}: {response.request.method} {_where(response.request)} answered " \
               f"{response.status_code}" + (f": {message[:MESSAGE_LIMIT]}" if message else "")
        text = scrub(text, secrets)
        _log.info("%s", text)
        if error_class is ProviderRateLimited:
            reset_at = self.now() + timedelta(seconds=wait) if wait is not None else None
            return ProviderRateLimited(text, reset_at)
        return error_class(text)


def rate_limit_wait(headers: httpx.Headers, now: datetime) -> float | None:
    """Seconds until the provider says to retry: `Retry-After` (seconds or HTTP date, RFC 9110 §10.2.3),
    else a reset epoch (`RateLimit-Reset` on GitLab, `X-RateLimit-Reset` on Azure DevOps); None if neither."""
    retry_after = headers.get("Retry-After")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(retry_after)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, (when - now).total_seconds())
    for name in ("RateLimit-Reset", "X-RateLimit-Reset"):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) - now.timestamp())
            except ValueError:
                continue
    return None


def expires_at(body: Mapping[str, Any], now: datetime) -> datetime | None:
    """When an OAuth token answer's access token expires (`expires_in` seconds, RFC 6749 §5.1)."""
    seconds = body.get("expires_in")
    try:
        return None if seconds is None else now + timedelta(seconds=float(seconds))
    except (TypeError, ValueError):
        return None


def segment(value: str) -> str:
    """`value` as one URL path segment: every `/` and reserved character escaped, dot segments refused.

    Owner, repository and branch names come from callers; escaped, they cannot
    reach another endpoint of the provider.
    """
    if value in {"", ".", ".."}:
        raise ProviderNotFound(f"no such name: {value!r}")
    return quote(value, safe="")


def _where(request: httpx.Request) -> str:
    """The request's URL without its query (a query never carries secrets here, but stays out of messages)."""
    return str(request.url.copy_with(query=None))


def _parse_json(response: httpx.Response, provider: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProviderUnavailable(f"{provider}: {_where(response.request)} answered "
                                  f"{response.status_code} with a body that is not JSON") from None


__all__ = [
    "Auth",
    "Clock",
    "Describe",
    "Page",
    "RestClient",
    "Sleep",
    "STATUS_ERRORS",
    "basic",
    "bearer",
    "expires_at",
    "oauth_error",
    "rate_limit_wait",
    "scrub",
    "segment",
    "utc_now",
]
