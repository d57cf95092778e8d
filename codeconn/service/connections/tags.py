"""Tags: the rules every tagged resource shares, and TagResource / UntagResource / ListTagsForResource.

Connections, hosts and repository links take tags, at creation or later. The
model lets a request carry up to 200; AWS allows 50 user tags per resource, and
reserves keys starting with `aws:` for itself. A tagging request is decided with
the tags it brings (aws:RequestTag/<key>, aws:TagKeys) and those the resource
already has (aws:ResourceTag/<key>); a create that brings tags is also a
TagResource on the new ARN, as AWS's reference lists it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from codeconn.domain.arns import TAGGABLE, ResourceKind, parse_arn
from codeconn.service.call import Call
from codeconn.service.connections.resources import Found, authorize_on, lookup, recheck
from codeconn.service.errors import LimitExceededException, ValidationException
from codeconn.service.tagging import request_tag_context, tag_list

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"

_ANY_RESOURCE = ResourceKind("", "", "Resource")


def tags_from_request(tags_given: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """A request's `Tags` as a dict, refusing duplicate keys, reserved keys and more than MAX_TAGS."""
    tags: dict[str, str] = {}
    problems: list[str] = []
    for tag in tags_given or ():
        tag_key, value = tag["Key"], tag["Value"]
        if tag_key.lower().startswith(RESERVED_PREFIX):
            problems.append(f"Tag key '{tag_key}' is not allowed: keys starting with 'aws:' are reserved for AWS use")
        elif tag_key in tags:
            problems.append(f"Tag key '{tag_key}' is given more than once")
        tags[tag_key] = value
    if problems:
        raise ValidationException("; ".join(problems))
    check_tag_count(len(tags))
    return tags


def check_tag_count(count: int) -> None:
    """LimitExceededException when a resource would carry more than MAX_TAGS tags."""
    if count > MAX_TAGS:
        raise LimitExceededException(
            f"The resource would have {count} tags, which exceeds the maximum of {MAX_TAGS} tags per resource.")


def lookup_taggable(call: Call, arn: str) -> Found:
    """The connection, host or repository link `arn` names (record None if it names nothing)."""
    parsed = parse_arn(arn)
    kind = TAGGABLE.get(parsed.resource_type) if parsed is not None else None
    if kind is None:
        return Found(_ANY_RESOURCE, arn, None)
    return lookup(call, kind, arn)


# --- operations -----------------------------------------------------------------------


def tag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """TagResource: add or overwrite tags; the total may not pass MAX_TAGS."""
    tags = tags_from_request(params["Tags"])
    found = lookup_taggable(call, params["ResourceArn"])
    authorize_on(call, found, context=request_tag_context(tags))
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        check_tag_count(len({**found.tags, **tags}))
        tx.set_tags(record.arn, tags)
    return {}


def untag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UntagResource: remove the keys given; keys the resource does not have are ignored."""
    keys = list(dict.fromkeys(params["TagKeys"]))
    found = lookup_taggable(call, params["ResourceArn"])
    authorize_on(call, found, context={"aws:TagKeys": keys} if keys else None)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        tx.remove_tags(record.arn, keys)
    return {}


def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListTagsForResource: the resource's tags, sorted by key."""
    found = lookup_taggable(call, params["ResourceArn"])
    authorize_on(call, found)
    found.require()
    return {"Tags": tag_list(found.tags)}


__all__ = [
    "MAX_TAGS",
    "RESERVED_PREFIX",
    "check_tag_count",
    "list_tags_for_resource",
    "lookup_taggable",
    "tag_resource",
    "tags_from_request",
    "untag_resource",
]
