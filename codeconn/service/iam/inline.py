"""Inline policies: Put / Get / Delete / List {User, Group, Role}Policy, one table for the three kinds.

An inline policy lives in its entity's record (`InlinePolicies`, keyed by the
lower-cased name: IAM names are not distinguished by case) and goes with it. The
document is checked as an identity-based policy when it is put, and the entity's
inline policies together must stay within its size quota.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codeconn.domain.principals import ENTITY_KINDS, EntityKind, InlinePolicy
from codeconn.service.call import Call
from codeconn.service.errors import IamError
from codeconn.service.iam import access
from codeconn.service.iam.documents import check_document, check_inline_size, encoded
from codeconn.service.iam.errors import NoSuchEntity
from codeconn.service.iam.model import changing, find, presumed_arn, require
from codeconn.service.iam.pages import page
from codeconn.service.registry import Handler, Registry


def _no_policy(kind: EntityKind[Any], policy_name: str) -> IamError:
    return NoSuchEntity(f"The {kind.noun} policy with name {policy_name} cannot be found.")


def _put(kind: EntityKind[Any]) -> Handler:
    def put(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_name, document = params[kind.name_field], params["PolicyName"], params["PolicyDocument"]
        with changing(call) as tx:
            found = find(tx, kind, call.account_id, name)
            access.authorize(call, f"Put{kind.title}Policy", presumed_arn(kind, call.account_id, name, found),
                             **access.entity_keys(found, tx))
            check_document(document, name=f"{kind.noun}/{name}/{policy_name}")
            entity = require(tx, kind, call.account_id, name)
            policies = {**entity.inline_policies, policy_name.lower(): InlinePolicy(policy_name, document)}
            check_inline_size((p.document for p in policies.values()), kind.inline_size_limit, kind.noun,
                              entity.name)
            tx.update(entity.with_inline(policies, call.now).to_record())
        return {}
    return put


def _get(kind: EntityKind[Any]) -> Handler:
    def get(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_name = params[kind.name_field], params["PolicyName"]
        entity = access.read_entity(call, kind, name, f"Get{kind.title}Policy")
        policy = entity.inline_policies.get(policy_name.lower())
        if policy is None:
            raise _no_policy(kind, policy_name)
        return {kind.name_field: entity.name, "PolicyName": policy.name, "PolicyDocument": encoded(policy.document)}
    return get


def _delete(kind: EntityKind[Any]) -> Handler:
    def delete(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name, policy_name = params[kind.name_field], params["PolicyName"]
        with changing(call) as tx:
            entity = access.entity_to_change(tx, call, kind, name, f"Delete{kind.title}Policy")
            policies = dict(entity.inline_policies)
            if policies.pop(policy_name.lower(), None) is None:
                raise _no_policy(kind, policy_name)
            tx.update(entity.with_inline(policies, call.now).to_record())
        return {}
    return delete


def _list(kind: EntityKind[Any]) -> Handler:
    def list_policies(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = params[kind.name_field]
        entity = access.read_entity(call, kind, name, f"List{kind.title}Policies")
        names = sorted((p.name for p in entity.inline_policies.values()), key=str.lower)
        items, more = page(names, params)
        return {"PolicyNames": items, **more}
    return list_policies


_MAKERS: dict[str, Callable[[EntityKind[Any]], Handler]] = {
    "Put{}Policy": _put, "Get{}Policy": _get, "Delete{}Policy": _delete, "List{}Policies": _list,
}


def register(registry: Registry) -> None:
    for kind in ENTITY_KINDS.values():
        for pattern, make in _MAKERS.items():
            registry.add(("iam",), pattern.format(kind.title), make(kind))
