"""TagResource, UntagResource, ListTagsForResource on pipelines, and the tag rules CodePipeline applies.

CodePipeline's tags are `{"key", "value"}` (lower case, unlike the connections
services'); AWS allows 50 per resource (TooManyTagsException beyond) and reserves
keys starting with `aws:` (InvalidTagsException). A tagging request is decided with
the tags it brings (aws:RequestTag/<key>, aws:TagKeys) and those the pipeline has
(aws:ResourceTag/<key>).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from codeconn.domain.pipelines import PIPELINE, parse_pipeline_arn, pipeline_id
from codeconn.service.call import Call
from codeconn.service.codepipeline.errors import InvalidArnException, InvalidTagsException, TooManyTagsException
from codeconn.service.connections.resources import Found, recheck
from codeconn.service.errors import ResourceNotFoundException
from codeconn.service.tagging import request_tag_context
from codeconn.store import Tx

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"


def tags_from_request(given: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """A request's `tags` as a dict; InvalidTagsException for reserved or repeated keys."""
    tags: dict[str, str] = {}
    for tag in given or ():
        tag_key = tag["key"]
        if tag_key.lower().startswith(RESERVED_PREFIX):
            raise InvalidTagsException(f"Tag key '{tag_key}' is invalid: keys starting with 'aws:' are reserved "
                                       "for AWS use")
        if tag_key in tags:
            raise InvalidTagsException(f"Tag key '{tag_key}' is given more than once")
        tags[tag_key] = tag.get("value", "")
    check_tag_count(len(tags))
    return tags


def check_tag_count(count: int) -> None:
    if count > MAX_TAGS:
        raise TooManyTagsException(f"The resource would have {count} tags; a resource can have at most "
                                   f"{MAX_TAGS} tags.")


def wire_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags in CodePipeline's shape, sorted by key."""
    return [{"key": tag_key, "value": tags[tag_key]} for tag_key in sorted(tags)]


def pipeline_tags(call: Call, arn: str) -> Found:
    """The pipeline `arn` names in the caller's account and Region; InvalidArnException if it names none."""
    parsed = parse_pipeline_arn(arn)
    if parsed is None:
        raise InvalidArnException(f"The ARN {arn} is not a valid pipeline ARN.")
    region, account, name = parsed
    if region != call.region or account != call.account_id:
        return Found(PIPELINE, arn, None)
    with call.store.read(call.account_id) as reader:
        record = reader.get(PIPELINE.kind, pipeline_id(region, name))
        found = record if record is not None and record.arn == arn else None
        return Found(PIPELINE, arn, found, reader.tags(arn) if found is not None else {})


def _require(found: Found) -> None:
    if found.record is None:
        raise ResourceNotFoundException(f"The resource with the ARN {found.arn} was not found.")


def _change_tags(call: Call, arn: str, context: Mapping[str, Any] | None,
                 change: Callable[[Tx, str, Mapping[str, str]], None]) -> dict[str, Any]:
    """Authorize on the pipeline (its tags, and `context`), then `change(tx, arn, tags)` in one transaction."""
    found = pipeline_tags(call, arn)
    call.authorize(resource=found.arn, context=context, resource_tags=found.tags)
    _require(found)
    with call.store.transaction(call.account_id) as tx:
        change(tx, recheck(tx, found).arn, found.tags)
    return {}


def tag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """TagResource: add or overwrite tags; the total may not pass MAX_TAGS."""
    tags = tags_from_request(params["tags"])

    def add(tx: Tx, arn: str, present: Mapping[str, str]) -> None:
        check_tag_count(len({**present, **tags}))
        tx.set_tags(arn, tags)

    return _change_tags(call, params["resourceArn"], request_tag_context(tags), add)


def untag_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UntagResource: remove the keys given; keys the pipeline does not have are ignored."""
    keys = list(dict.fromkeys(params["tagKeys"]))
    return _change_tags(call, params["resourceArn"], {"aws:TagKeys": keys} if keys else None,
                        lambda tx, arn, _: tx.remove_tags(arn, keys))


def list_tags_for_resource(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListTagsForResource: the pipeline's tags, sorted by key (one page: at most 50)."""
    found = pipeline_tags(call, params["resourceArn"])
    call.authorize(resource=found.arn, resource_tags=found.tags)
    _require(found)
    return {"tags": wire_tags(found.tags)}


__all__ = [
    "MAX_TAGS",
    "RESERVED_PREFIX",
    "check_tag_count",
    "list_tags_for_resource",
    "pipeline_tags",
    "tag_resource",
    "tags_from_request",
    "untag_resource",
    "wire_tags",
]
