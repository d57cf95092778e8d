"""How a listing names its next page: small readers `ProviderHttp.paginate` calls after each page.

Each reader takes the page's decoded body and its response and answers the next
page (`Next`: a URL, absolute or relative to the page's, and the query to send) or
None at the end. Adapters pick theirs, or combine several with `first_of`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from codeconn.providers.base import ProviderNotFound


@dataclass(frozen=True, slots=True)
class Next:
    """Where the next page is: a URL (absolute or relative to the page's) and the query to send with it."""

    url: str
    params: Mapping[str, str] = field(default_factory=dict)


NextPage = Callable[[Any, httpx.Response], Next | None]  # (the page's body, the page's response)


def next_link(body: Any, response: httpx.Response) -> Next | None:
    """`Link: <...>; rel="next"` (RFC 8288; GitHub, GitLab): the URL carries its own query."""
    url = response.links.get("next", {}).get("url")
    return Next(url) if url else None


def next_page_header(body: Any, response: httpx.Response) -> Next | None:
    """GitLab's `X-Next-Page` number, on the same URL and query."""
    number = response.headers.get("X-Next-Page", "").strip()
    return _same_url(response, "page", number) if number else None


def next_in_body(body: Any, response: httpx.Response) -> Next | None:
    """Bitbucket's absolute `next` URL in a paged body (it carries its own query)."""
    following = body.get("next") if isinstance(body, Mapping) else None
    return Next(following) if isinstance(following, str) and following else None


def continuation_token(body: Any, response: httpx.Response) -> Next | None:
    """Azure DevOps' `x-ms-continuationtoken` header, sent back as `continuationToken` on the same URL."""
    token = response.headers.get("x-ms-continuationtoken")
    return _same_url(response, "continuationToken", token) if token else None


def first_of(*readers: NextPage) -> NextPage:
    """A `NextPage` answering the first of `readers` that finds a next page."""
    def read(body: Any, response: httpx.Response) -> Next | None:
        return next((found for reader in readers if (found := reader(body, response)) is not None), None)
    return read


def _same_url(response: httpx.Response, name: str, value: str) -> Next:
    url = response.request.url
    return Next(str(url.copy_with(query=None)), {**dict(url.params), name: value})


def segment(value: str) -> str:
    """`value` as one URL path segment: every `/` and reserved character escaped, dot segments refused.

    Names checked by `names.py` need no more; a name that may hold a slash (a
    GitLab project path) is escaped whole so it cannot reach another endpoint.
    """
    if value in {"", ".", ".."}:
        raise ProviderNotFound(f"no such name: {value!r}")
    return quote(value, safe="")


__all__ = ["Next", "NextPage", "continuation_token", "first_of", "next_in_body", "next_link", "next_page_header",
           "segment"]
