"""What every tagged resource's operations share, connections and IAM alike.

Each service keeps its own tag rules (IAM's keys are case-insensitive, the
connections services' are not); both answer tags in one shape and offer the tags
a request brings to the decision in one way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codeconn.service.call import Call


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags in the wire's shape, sorted by key."""
    return [{"Key": tag_key, "Value": tags[tag_key]} for tag_key in sorted(tags)]


def request_tag_context(tags: Mapping[str, str]) -> dict[str, Any]:
    """aws:RequestTag/<key> for each tag and aws:TagKeys; nothing when the request brings no tags."""
    if not tags:
        return {}
    return {**{f"aws:RequestTag/{tag_key}": value for tag_key, value in tags.items()}, "aws:TagKeys": list(tags)}


def authorize_tagging_on_create(call: Call, arn: str, tags: Mapping[str, str]) -> None:
    """A create that brings tags also needs TagResource on the new resource's ARN (in the called
    service's prefix), as AWS decides tag-on-create."""
    if tags:
        call.authorize("TagResource", arn, context=request_tag_context(tags))


__all__ = ["authorize_tagging_on_create", "request_tag_context", "tag_list"]
