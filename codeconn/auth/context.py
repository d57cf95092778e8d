"""The keys one decision adds to its call's request context: the service's keys, then the resource's tags.

The call's global keys (who, when, from where) are normalised once, with the call
(`Call.request_base`); each decision brings only its own: the handler's keys (the
service's condition keys, aws:RequestTag/<key>, aws:TagKeys) and the resource's
tags as aws:ResourceTag/<key>, last. A handler cannot override the caller's
identity keys, since those are what policies trust: they are dropped here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IDENTITY_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:userid",
                           "aws:username", "aws:principalisawsservice"})
"""The caller's identity keys (lower-cased): only the call's base sets them."""


def decision_context(context: Mapping[str, Any] | None, resource_tags: Mapping[str, str] | None) -> dict[str, Any]:
    """The handler's keys (identity keys excepted), then aws:ResourceTag/<key>."""
    merged = {key: value for key, value in (context or {}).items() if key.lower() not in IDENTITY_KEYS}
    for key, value in (resource_tags or {}).items():
        merged[f"aws:ResourceTag/{key}"] = value
    return merged
