"""Roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, DeleteRole.

A role's trust policy (AssumeRolePolicyDocument) says who may assume it; it is
checked as a role trust policy (a Principal is required) when stored, and read by
sts:AssumeRole as the resource-based policy of the role. MaxSessionDuration (one
to twelve hours, one by default) caps AssumeRole's DurationSeconds. The
condition key iam:PermissionsBoundary carries the role's current boundary, or the
requested one on creation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.domain.ids import unique_id
from codeconn.domain.principals import DEFAULT_MAX_SESSION_DURATION, ROLES, Role
from codeconn.iam import PolicyKind
from codeconn.service.call import Call
from codeconn.service.iam import access, counts, managed
from codeconn.service.iam.documents import check_document, check_trust_size, encoded
from codeconn.service.iam.errors import EntityAlreadyExists
from codeconn.service.iam.model import (
    boundary_out,
    changing,
    find,
    missing,
    presumed_arn,
    refuse_delete_with_policies,
    require,
    under_path,
)
from codeconn.service.iam.pages import page
from codeconn.service.iam.tags import apply_tags, request_tags
from codeconn.service.registry import Registry
from codeconn.service.tagging import tag_list
from codeconn.store import Conflict


def role_out(role: Role, tags: dict[str, str] | None = None, *, full: bool = True) -> dict[str, Any]:
    """A `Role` structure; GetRole's (`full`) adds the boundary, tags and RoleLastUsed, as AWS does."""
    out: dict[str, Any] = {"Path": role.path, "RoleName": role.name, "RoleId": role.id, "Arn": role.arn,
                           "CreateDate": role.created_at, "AssumeRolePolicyDocument": encoded(role.trust_policy),
                           "MaxSessionDuration": role.max_session_duration}
    if role.description:
        out["Description"] = role.description
    if full:
        out.update(boundary_out(role))
        if tags:
            out["Tags"] = tag_list(tags)
        out["RoleLastUsed"] = {}
    return out


def create_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["RoleName"], params.get("Path") or "/"
    document = params["AssumeRolePolicyDocument"]
    boundary = params.get("PermissionsBoundary")
    tags = request_tags(params.get("Tags"))
    role = Role(account_id=call.account_id, id=unique_id(ROLES.id_prefix), name=name, path=path, created_at=call.now,
                updated_at=call.now, inline_policies={}, attached_policies=(), trust_policy=document,
                description=params.get("Description") or "",
                max_session_duration=params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
                permissions_boundary=boundary)
    access.authorize(call, "CreateRole", role.arn, request_tags=tags, boundary=boundary)
    if tags:
        access.authorize(call, "TagRole", role.arn, request_tags=tags)
    check_document(document, PolicyKind.TRUST, name=f"role/{name}/trust")
    check_trust_size(document)
    with changing(call) as tx:
        if boundary:
            managed.require_attachable(tx, boundary)
            counts.adjust(tx, boundary, counts.BOUNDARY_USES, +1)
        try:
            tx.insert(role.to_record())
        except Conflict:  # the name's lookup key is taken: IAM names are unique in any case
            raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
        apply_tags(tx, role.arn, tags)
    return {"Role": role_out(role, tags)}


def _authorize_on_role(call: Call, operation: str, role: Role | None, name: str,
                       tags: dict[str, str]) -> None:
    boundary = role.permissions_boundary if role is not None else None
    access.authorize(call, operation, presumed_arn(ROLES, call.account_id, name, role), resource_tags=tags,
                     boundary=boundary)


def get_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with call.store.read(call.account_id) as reader:
        role = find(reader, ROLES, call.account_id, name)
        tags = reader.tags(role.arn) if role is not None else {}
    _authorize_on_role(call, "GetRole", role, name, tags)
    if role is None:
        raise missing(ROLES, name)
    return {"Role": role_out(role, tags)}


def list_roles(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListRoles", "*")
    with call.store.read(call.account_id) as reader:
        roles = under_path(reader, ROLES, params.get("PathPrefix"))
    items, more = page(roles, params)
    return {"Roles": [role_out(role, full=False) for role in items], **more}


def update_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with changing(call) as tx:
        found = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "UpdateRole", found, name, tx.tags(found.arn) if found else {})
        role = require(tx, ROLES, call.account_id, name)
        if params.get("Description") is not None:
            role = replace(role, description=params["Description"])
        if params.get("MaxSessionDuration") is not None:
            role = replace(role, max_session_duration=params["MaxSessionDuration"])
        tx.update(replace(role, updated_at=call.now).to_record())
    return {}


def update_assume_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, document = params["RoleName"], params["PolicyDocument"]
    with changing(call) as tx:
        found = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "UpdateAssumeRolePolicy", found, name, tx.tags(found.arn) if found else {})
        role = require(tx, ROLES, call.account_id, name)
        check_document(document, PolicyKind.TRUST, name=f"role/{name}/trust")
        check_trust_size(document)
        tx.update(replace(role, trust_policy=document, updated_at=call.now).to_record())
    return {}


def delete_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with changing(call) as tx:
        found = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "DeleteRole", found, name, tx.tags(found.arn) if found else {})
        role = require(tx, ROLES, call.account_id, name)
        refuse_delete_with_policies(role)
        if role.permissions_boundary:
            counts.adjust(tx, role.permissions_boundary, counts.BOUNDARY_USES, -1)
        tx.delete(ROLES.kind, role.id)
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreateRole", create_role), ("GetRole", get_role), ("ListRoles", list_roles),
                          ("UpdateRole", update_role), ("UpdateAssumeRolePolicy", update_assume_role_policy),
                          ("DeleteRole", delete_role)):
        registry.add(("iam",), name, handler)
