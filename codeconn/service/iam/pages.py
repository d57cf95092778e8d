"""Marker and MaxItems, IAM's pagination: a list sliced, with IsTruncated and the next Marker.

IAM accounts are small (AWS's quotas: 5,000 users, 1,000 roles, 300 groups), so a
list operation reads every entity of its kind, filters and sorts them, and cuts
the page here. The Marker is opaque to clients; it holds the position of the next
item and is refused (InvalidInput) when it is not one codeconn handed out.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from codeconn.service.iam.errors import InvalidInput

DEFAULT_MAX_ITEMS = 100

T = TypeVar("T")


def page(items: Sequence[T], params: Mapping[str, Any]) -> tuple[list[T], dict[str, Any]]:
    """(this page's items, {"IsTruncated": ..., "Marker": ...}) for a request's Marker and MaxItems."""
    start = _decode(params.get("Marker"))
    size = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chunk = list(items[start:start + size])
    if start + size < len(items):
        return chunk, {"IsTruncated": True, "Marker": _encode(start + size)}
    return chunk, {"IsTruncated": False}


def _encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"codeconn:{position}".encode()).decode()


def _decode(marker: str | None) -> int:
    if marker is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, ValueError):
        text = ""
    prefix, _, number = text.partition(":")
    if prefix != "codeconn" or not number.isdigit():
        raise InvalidInput("Invalid Marker.")
    return int(number)
