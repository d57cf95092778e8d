"""IAM tags: the rules, and Tag / Untag / List tags of users, roles and managed policies.

IAM tag keys are case-insensitive: tagging `Team` where `team` exists replaces
it (the new spelling wins), untagging `TEAM` removes it, and one request may not
name a key twice in any case. An entity carries at most 50 tags. Tagging is
decided with the tags the request brings (aws:RequestTag/<key>, aws:TagKeys) and
the tags the entity has (aws:ResourceTag/<key>), as the IAM reference lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from codeconn.domain.principals import ROLES, USERS, EntityKind
from codeconn.service.call import Call
from codeconn.service.iam import access, managed
from codeconn.service.iam.errors import InvalidInput, LimitExceeded, NoSuchEntity
from codeconn.service.iam.model import changing, find, presumed_arn
from codeconn.service.iam.pages import page
from codeconn.service.registry import Registry
from codeconn.service.tagging import tag_list
from codeconn.store import Reader, Tx

MAX_TAGS = 50


def request_tags(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """A request's Tags as a dict; InvalidInput for a key given twice (in any case) or reserved."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    for tag in tags or ():
        key = tag["Key"]
        if key.lower() in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        if key.lower().startswith("aws:"):
            raise InvalidInput(f"Tag key {key} is not valid: keys starting with aws: are reserved for AWS use.")
        seen.add(key.lower())
        out[key] = tag["Value"]
    if len(out) > MAX_TAGS:
        raise LimitExceeded(f"Cannot exceed quota for TagsPerEntity: {MAX_TAGS}")
    return out


def apply_tags(tx: Tx, arn: str, tags: Mapping[str, str]) -> None:
    """Merge `tags` into the entity's, replacing keys equal to a new one in any case."""
    if not tags:
        return
    existing = tx.tags(arn)
    wanted = {key.lower() for key in tags}
    replaced = [key for key in existing if key.lower() in wanted]
    if len({key.lower() for key in existing} | wanted) > MAX_TAGS:
        raise LimitExceeded(f"Cannot exceed quota for TagsPerEntity: {MAX_TAGS}")
    tx.remove_tags(arn, replaced)
    tx.set_tags(arn, tags)


def remove_tags(tx: Tx, arn: str, keys: Iterable[str]) -> None:
    unwanted = {key.lower() for key in keys}
    tx.remove_tags(arn, [key for key in tx.tags(arn) if key.lower() in unwanted])


@dataclass(frozen=True)
class _Target:
    """What a tagging operation acts on: how to find it from the request, and how AWS says it is missing."""

    suffix: str  # "User": TagUser, UntagUser, ListUserTags
    locate: Callable[[Reader, Call, Mapping[str, Any]], tuple[str, bool]]  # (ARN, exists)
    missing: Callable[[Mapping[str, Any]], str]


def _entity(kind: EntityKind[Any]) -> Callable[[Reader, Call, Mapping[str, Any]], tuple[str, bool]]:
    def locate(reader: Reader, call: Call, params: Mapping[str, Any]) -> tuple[str, bool]:
        name = params[kind.name_field]
        record = find(reader, kind, call.account_id, name)
        return presumed_arn(kind, call.account_id, name, record), record is not None
    return locate


def _policy(reader: Reader, call: Call, params: Mapping[str, Any]) -> tuple[str, bool]:
    arn = params["PolicyArn"]
    managed.check_policy_arn(arn)
    found = managed.resolve(reader, arn)
    if found is not None and found.aws_managed:
        raise InvalidInput("AWS managed policies cannot be tagged.")
    return arn, found is not None


_TARGETS = (
    _Target("User", _entity(USERS), lambda p: f"The user with name {p['UserName']} cannot be found."),
    _Target("Role", _entity(ROLES), lambda p: f"The role with name {p['RoleName']} cannot be found."),
    _Target("Policy", _policy, lambda p: f"Policy {p['PolicyArn']} was not found."),
)


def _tag(target: _Target) -> Callable[[Call, dict[str, Any]], dict[str, Any]]:
    def handler(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        tags = request_tags(params["Tags"])
        with changing(call) as tx:
            arn, exists = target.locate(tx, call, params)
            access.authorize(call, f"Tag{target.suffix}", arn, resource_tags=tx.tags(arn) if exists else {},
                             request_tags=tags)
            if not exists:
                raise NoSuchEntity(target.missing(params))
            apply_tags(tx, arn, tags)
        return {}
    return handler


def _untag(target: _Target) -> Callable[[Call, dict[str, Any]], dict[str, Any]]:
    def handler(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        keys = list(params["TagKeys"])
        with changing(call) as tx:
            arn, exists = target.locate(tx, call, params)
            access.authorize(call, f"Untag{target.suffix}", arn, resource_tags=tx.tags(arn) if exists else {},
                             tag_keys=keys)
            if not exists:
                raise NoSuchEntity(target.missing(params))
            remove_tags(tx, arn, keys)
        return {}
    return handler


def _list(target: _Target) -> Callable[[Call, dict[str, Any]], dict[str, Any]]:
    def handler(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        with call.store.read(call.account_id) as reader:
            arn, exists = target.locate(reader, call, params)
            tags = reader.tags(arn) if exists else {}
        access.authorize(call, f"List{target.suffix}Tags", arn, resource_tags=tags)
        if not exists:
            raise NoSuchEntity(target.missing(params))
        items, more = page(tag_list(tags), params)
        return {"Tags": items, **more}
    return handler


def register(registry: Registry) -> None:
    for target in _TARGETS:
        registry.add(("iam",), f"Tag{target.suffix}", _tag(target))
        registry.add(("iam",), f"Untag{target.suffix}", _untag(target))
        registry.add(("iam",), f"List{target.suffix}Tags", _list(target))
