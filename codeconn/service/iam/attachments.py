"""Managed policies attached to users, groups and roles, and permissions boundaries.

Attach / Detach / ListAttached {User, Group, Role} Policies, and
Put / Delete {User, Role} PermissionsBoundary. An entity holds at most 10
managed policies (AWS's default quota). Attaching carries iam:PolicyARN, and for
users and roles iam:PermissionsBoundary (their current boundary; the new one for
PutPermissionsBoundary), so a delegated administrator can be limited to
attaching some policies only to entities that keep a given boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from codeconn.domain.ids import split_iam_arn
from codeconn.domain.principals import ENTITY_KINDS, MAX_ATTACHED, ROLES, USERS, EntityKind
from codeconn.service.call import Call
from codeconn.service.iam import access, counts, managed
from codeconn.service.iam.errors import LimitExceeded, NoSuchEntity
from codeconn.service.iam.model import changing, find, presumed_arn, require
from codeconn.service.iam.pages import page
from codeconn.service.registry import Handler, Registry


def _attach(kind: EntityKind[Any]) -> Handler:
    def attach(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_arn = params[kind.name_field], params["PolicyArn"]
        with changing(call) as tx:
            entity = access.entity_to_change(tx, call, kind, name, f"Attach{kind.title}Policy", policy_arn=policy_arn)
            policy = managed.require_attachable(tx, policy_arn)
            attached = entity.attached_policies
            if policy.arn in attached:
                return {}
            if len(attached) >= MAX_ATTACHED:
                raise LimitExceeded(f"Cannot exceed quota for {kind.managed_quota}: {MAX_ATTACHED}")
            tx.update(entity.with_attached((*attached, policy.arn), call.now).to_record())
            counts.adjust(tx, policy.arn, counts.ATTACHMENTS, +1)
        return {}
    return attach


def _detach(kind: EntityKind[Any]) -> Handler:
    def detach(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_arn = params[kind.name_field], params["PolicyArn"]
        with changing(call) as tx:
            entity = access.entity_to_change(tx, call, kind, name, f"Detach{kind.title}Policy", policy_arn=policy_arn)
            managed.check_policy_arn(policy_arn)
            attached = list(entity.attached_policies)
            if policy_arn not in attached:
                raise NoSuchEntity(f"Policy {policy_arn} was not found.")
            attached.remove(policy_arn)
            tx.update(entity.with_attached(tuple(attached), call.now).to_record())
            counts.adjust(tx, policy_arn, counts.ATTACHMENTS, -1)
        return {}
    return detach


def _list_attached(kind: EntityKind[Any]) -> Handler:
    def list_attached(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, prefix = params[kind.name_field], params.get("PathPrefix") or "/"
        entity = access.read_entity(call, kind, name, f"ListAttached{kind.title}Policies")
        attached = []
        for arn in entity.attached_policies:
            parts = split_iam_arn(arn, "policy")
            if parts is not None and parts[1].startswith(prefix):
                attached.append({"PolicyName": parts[2], "PolicyArn": arn})
        items, more = page(attached, params)
        return {"AttachedPolicies": items, **more}
    return list_attached


def _put_boundary(kind: EntityKind[Any]) -> Handler:
    def put_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, boundary = params[kind.name_field], params["PermissionsBoundary"]
        with changing(call) as tx:
            found = find(tx, kind, call.account_id, name)
            tags = tx.tags(found.arn) if found is not None else {}
            access.authorize(call, f"Put{kind.title}PermissionsBoundary",
                             presumed_arn(kind, call.account_id, name, found), resource_tags=tags, boundary=boundary)
            entity = require(tx, kind, call.account_id, name)
            policy = managed.require_attachable(tx, boundary)
            previous = entity.permissions_boundary
            if previous != policy.arn:
                if previous:
                    counts.adjust(tx, previous, counts.BOUNDARY_USES, -1)
                counts.adjust(tx, policy.arn, counts.BOUNDARY_USES, +1)
                tx.update(replace(entity, permissions_boundary=policy.arn, updated_at=call.now).to_record())
        return {}
    return put_boundary


def _delete_boundary(kind: EntityKind[Any]) -> Handler:
    def delete_boundary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params[kind.name_field]
        with changing(call) as tx:
            entity = access.entity_to_change(tx, call, kind, name, f"Delete{kind.title}PermissionsBoundary")
            previous = entity.permissions_boundary
            if previous:
                counts.adjust(tx, previous, counts.BOUNDARY_USES, -1)
                tx.update(replace(entity, permissions_boundary=None, updated_at=call.now).to_record())
        return {}
    return delete_boundary


_PER_KIND: dict[str, Callable[[EntityKind[Any]], Handler]] = {
    "Attach{}Policy": _attach, "Detach{}Policy": _detach, "ListAttached{}Policies": _list_attached,
}
_BOUNDARIES: dict[str, Callable[[EntityKind[Any]], Handler]] = {
    "Put{}PermissionsBoundary": _put_boundary, "Delete{}PermissionsBoundary": _delete_boundary,
}


def register(registry: Registry) -> None:
    for kind in ENTITY_KINDS.values():
        for pattern, make in _PER_KIND.items():
            registry.add(("iam",), pattern.format(kind.title), make(kind))
    for kind in (USERS, ROLES):
        for pattern, make in _BOUNDARIES.items():
            registry.add(("iam",), pattern.format(kind.title), make(kind))
