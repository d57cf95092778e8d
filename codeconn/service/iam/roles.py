"""Roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateAssumeRolePolicy, DeleteRole.

A role's trust policy (AssumeRolePolicyDocument) says who may assume it; it is
checked as a role trust policy (a Principal is required) when stored, and read by
sts:AssumeRole as the resource-based policy of the role. MaxSessionDuration (one
to twelve hours, one by default) caps AssumeRole's DurationSeconds. The
condition key iam:PermissionsBoundary carries the role's current boundary, or the
requested one on creation.
"""

from __future__ import annotations

from typing import Any

from codeconn.iam import PolicyKind
from codeconn.service.call import Call
from codeconn.service.iam import access, counts, managed
from codeconn.service.iam.documents import check_document, check_trust_size, encoded
from codeconn.service.iam.errors import EntityAlreadyExists
from codeconn.domain.ids import iam_arn, unique_id
from codeconn.service.iam.model import (
    ROLES,
    boundary_out,
    changed,
    changing,
    find,
    missing,
    name_key,
    new_record,
    presumed_arn,
    refuse_delete_with_policies,
    require,
    tag_list,
    under_path,
)
from codeconn.service.iam.pages import page
from codeconn.service.iam.tags import apply_tags, request_tags
from codeconn.service.registry import Registry
from codeconn.store import Conflict, Record

DEFAULT_MAX_SESSION_DURATION = 3600


def role_out(record: Record, tags: dict[str, str] | None = None, *, full: bool = True) -> dict[str, Any]:
    """A `Role` structure; GetRole's (`full`) adds the boundary, tags and RoleLastUsed, as AWS does."""
    data = record.data
    out: dict[str, Any] = {"Path": data["Path"], "RoleName": record.name, "RoleId": record.id, "Arn": record.arn,
                           "CreateDate": record.created_at,
                           "AssumeRolePolicyDocument": encoded(data["AssumeRolePolicyDocument"]),
                           "MaxSessionDuration": data["MaxSessionDuration"]}
    if data.get("Description"):
        out["Description"] = data["Description"]
    if full:
        out.update(boundary_out(record))
        if tags:
            out["Tags"] = tag_list(tags)
        out["RoleLastUsed"] = {}
    return out


def create_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["RoleName"], params.get("Path") or "/"
    document = params["AssumeRolePolicyDocument"]
    boundary = params.get("PermissionsBoundary")
    tags = request_tags(params.get("Tags"))
    arn = iam_arn(call.account_id, "role", path, name)
    access.authorize(call, "CreateRole", arn, request_tags=tags, boundary=boundary)
    if tags:
        access.authorize(call, "TagRole", arn, request_tags=tags)
    check_document(document, PolicyKind.TRUST, name=f"role/{name}/trust")
    check_trust_size(document)
    with changing(call) as tx:
        if boundary:
            managed.require_attachable(tx, boundary)
            counts.adjust(tx, boundary, counts.BOUNDARY_USES, +1)
        data = {"RoleName": name, "Path": path, "RoleId": unique_id(ROLES.id_prefix),
                "AssumeRolePolicyDocument": document, "Description": params.get("Description") or "",
                "MaxSessionDuration": params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
                "PermissionsBoundary": boundary, "InlinePolicies": {}, "AttachedPolicies": []}
        record = new_record(call.account_id, ROLES.kind, data["RoleId"], arn, name, data, call.now,
                            name_key(call.account_id, name))
        try:
            tx.insert(record)
        except Conflict:
            raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
        apply_tags(tx, arn, tags)
    return {"Role": role_out(record, tags)}


def _authorize_on_role(call: Call, operation: str, record: Record | None, name: str,
                       tags: dict[str, str]) -> None:
    boundary = record.data.get("PermissionsBoundary") if record is not None else None
    access.authorize(call, operation, presumed_arn(ROLES, call.account_id, name, record), resource_tags=tags,
                     boundary=boundary)


def get_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with call.store.read(call.account_id) as reader:
        record = find(reader, ROLES, call.account_id, name)
        tags = reader.tags(record.arn) if record is not None else {}
    _authorize_on_role(call, "GetRole", record, name, tags)
    if record is None:
        raise missing(ROLES, name)
    return {"Role": role_out(record, tags)}


def list_roles(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListRoles", "*")
    with call.store.read(call.account_id) as reader:
        records = under_path(reader, ROLES.kind, params.get("PathPrefix"))
    items, more = page(records, params)
    return {"Roles": [role_out(r, full=False) for r in items], **more}


def update_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with changing(call) as tx:
        record = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "UpdateRole", record, name, tx.tags(record.arn) if record else {})
        record = require(tx, ROLES, call.account_id, name)
        updates: dict[str, Any] = {}
        if params.get("Description") is not None:
            updates["Description"] = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            updates["MaxSessionDuration"] = params["MaxSessionDuration"]
        tx.update(changed(record, call.now, **updates))
    return {}


def update_assume_role_policy(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, document = params["RoleName"], params["PolicyDocument"]
    with changing(call) as tx:
        record = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "UpdateAssumeRolePolicy", record, name, tx.tags(record.arn) if record else {})
        record = require(tx, ROLES, call.account_id, name)
        check_document(document, PolicyKind.TRUST, name=f"role/{name}/trust")
        check_trust_size(document)
        tx.update(changed(record, call.now, AssumeRolePolicyDocument=document))
    return {}


def delete_role(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["RoleName"]
    with changing(call) as tx:
        record = find(tx, ROLES, call.account_id, name)
        _authorize_on_role(call, "DeleteRole", record, name, tx.tags(record.arn) if record else {})
        record = require(tx, ROLES, call.account_id, name)
        refuse_delete_with_policies(record)
        if record.data.get("PermissionsBoundary"):
            counts.adjust(tx, record.data["PermissionsBoundary"], counts.BOUNDARY_USES, -1)
        tx.delete(ROLES.kind, record.id)
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreateRole", create_role), ("GetRole", get_role), ("ListRoles", list_roles),
                          ("UpdateRole", update_role), ("UpdateAssumeRolePolicy", update_assume_role_policy),
                          ("DeleteRole", delete_role)):
        registry.add(("iam",), name, handler)
