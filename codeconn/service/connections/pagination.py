"""NextToken and MaxResults for the List operations.

A NextToken is opaque to clients: it wraps the store's page cursor together with
a fingerprint of the listing it belongs to (which operation, which filters), so
a token handed back to a different listing, or one that was never handed out,
is refused with a ValidationException instead of silently starting elsewhere.
Tokens are not secret: the cursor is only a position in the caller's own account.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from codeconn.service.errors import ServiceError, ValidationException
from codeconn.store import InvalidCursor, Page, Reader

DEFAULT_PAGE_SIZE = 50
"""Results per page when MaxResults is absent or 0 (the models allow 0 to 100)."""


def page_size(max_results: int | None) -> int:
    """The page size for a request's MaxResults."""
    return max_results if max_results else DEFAULT_PAGE_SIZE


def read_page(reader: Reader, kind: str, params: Mapping[str, Any], *, listing: str,
              where: Mapping[str, str] | None = None) -> Page:
    """One page of `kind` for a List request: its NextToken decoded, its MaxResults applied.

    `listing` names the list and its filters; only tokens made for the same listing are accepted.
    """
    cursor = decode_token(params.get("NextToken"), listing)
    try:
        return reader.list(kind, after=cursor, limit=page_size(params.get("MaxResults")), where=where)
    except InvalidCursor:
        raise _invalid() from None


def next_token(page: Page, listing: str) -> dict[str, str]:
    """`{"NextToken": ...}` when there is a further page, else nothing (to merge into an output)."""
    if page.next_token is None:
        return {}
    document = {"l": _fingerprint(listing), "c": page.next_token}
    return {"NextToken": base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")}


def decode_token(token: str | None, listing: str) -> str | None:
    """The store cursor inside `token`; ValidationException unless it was made for `listing`."""
    if token is None:
        return None
    try:
        document = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise _invalid() from None
    if (not isinstance(document, dict) or document.get("l") != _fingerprint(listing)
            or not isinstance(document.get("c"), str)):
        raise _invalid()
    return str(document["c"])


def _fingerprint(listing: str) -> str:
    return hashlib.sha256(listing.encode()).hexdigest()[:16]


def _invalid() -> ServiceError:
    return ValidationException("Invalid NextToken: it was not returned by a previous call of this request.")


__all__ = ["DEFAULT_PAGE_SIZE", "decode_token", "next_token", "page_size", "read_page"]
