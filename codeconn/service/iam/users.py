"""Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

A user is created at a path, optionally with tags (which also needs iam:TagUser,
as AWS asks) and a permissions boundary (iam:PermissionsBoundary is the
boundary's ARN). Deleting a user that still has access keys, policies or group
memberships is a DeleteConflict, as in AWS: nothing is removed behind the
caller's back. GetUser without a name describes the caller itself.
"""

from __future__ import annotations

from typing import Any

from codeconn.iam import PrincipalType
from codeconn.service.call import Call
from codeconn.service.iam import access, counts, managed
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    ValidationError,
)
from codeconn.domain.ids import iam_arn, unique_id
from codeconn.service.iam.model import (
    ACCESS_KEY,
    USERS,
    changing,
    find,
    missing,
    moved,
    name_key,
    new_record,
    presumed_arn,
    refuse_delete_with_policies,
    require,
    under_path,
    user_out,
)
from codeconn.service.iam.pages import page
from codeconn.service.iam.tags import apply_tags, request_tags
from codeconn.service.registry import Registry
from codeconn.store import Conflict


def create_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["UserName"], params.get("Path") or "/"
    boundary = params.get("PermissionsBoundary")
    tags = request_tags(params.get("Tags"))
    arn = iam_arn(call.account_id, "user", path, name)
    access.authorize(call, "CreateUser", arn, request_tags=tags, boundary=boundary)
    if tags:
        access.authorize(call, "TagUser", arn, request_tags=tags)
    with changing(call) as tx:
        if boundary:
            managed.require_attachable(tx, boundary)
            counts.adjust(tx, boundary, counts.BOUNDARY_USES, +1)
        data = {"UserName": name, "Path": path, "UserId": unique_id(USERS.id_prefix), "PermissionsBoundary": boundary,
                "InlinePolicies": {}, "AttachedPolicies": [], "Groups": []}
        record = new_record(call.account_id, USERS.kind, data["UserId"], arn, name, data, call.now,
                            name_key(call.account_id, name))
        try:
            tx.insert(record)
        except Conflict:
            raise EntityAlreadyExists(f"User with name {name} already exists.") from None
        apply_tags(tx, arn, tags)
    return {"User": user_out(record, tags)}


def get_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName")
    if name is None:
        return _get_self(call)
    with call.store.read(call.account_id) as reader:
        record = find(reader, USERS, call.account_id, name)
        tags = reader.tags(record.arn) if record is not None else {}
    access.authorize(call, "GetUser", presumed_arn(USERS, call.account_id, name, record), resource_tags=tags)
    if record is None:
        raise missing(USERS, name)
    return {"User": user_out(record, tags)}


def _get_self(call: Call) -> dict[str, Any]:
    principal = call.caller.principal
    if principal.type is PrincipalType.ROOT:
        access.authorize(call, "GetUser", principal.arn)
        return {"User": {"UserId": call.account_id, "Arn": principal.arn, "CreateDate": call.now}}
    if principal.type is not PrincipalType.USER or principal.name is None:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    return get_user(call, {"UserName": principal.name})


def list_users(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListUsers", "*")
    with call.store.read(call.account_id) as reader:
        records = under_path(reader, USERS.kind, params.get("PathPrefix"))
    items, more = page(records, params)
    return {"Users": [user_out(r) for r in items], **more}


def update_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with changing(call) as tx:
        record = find(tx, USERS, call.account_id, name)
        tags = tx.tags(record.arn) if record is not None else {}
        arn = presumed_arn(USERS, call.account_id, name, record)
        access.authorize(call, "UpdateUser", arn, resource_tags=tags)
        record = require(tx, USERS, call.account_id, name)
        new_name = params.get("NewUserName") or record.name
        new_path = params.get("NewPath") or record.data["Path"]
        new_arn = iam_arn(call.account_id, "user", new_path, new_name)
        if new_arn != record.arn:
            access.authorize(call, "UpdateUser", new_arn, resource_tags=tags)
        try:
            tx.update(moved(record, call.now, call.account_id, USERS, new_path, new_name))
        except Conflict:
            raise EntityAlreadyExists(f"User with name {new_name} already exists.") from None
    return {}


def delete_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with changing(call) as tx:
        record = find(tx, USERS, call.account_id, name)
        tags = tx.tags(record.arn) if record is not None else {}
        access.authorize(call, "DeleteUser", presumed_arn(USERS, call.account_id, name, record), resource_tags=tags)
        record = require(tx, USERS, call.account_id, name)
        if tx.count(ACCESS_KEY, where={"UserId": record.id}):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        refuse_delete_with_policies(record)
        if record.data["Groups"]:
            raise DeleteConflict("Cannot delete entity, must remove user from all groups first.")
        if record.data.get("PermissionsBoundary"):
            counts.adjust(tx, record.data["PermissionsBoundary"], counts.BOUNDARY_USES, -1)
        tx.delete(USERS.kind, record.id)
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreateUser", create_user), ("GetUser", get_user), ("ListUsers", list_users),
                          ("UpdateUser", update_user), ("DeleteUser", delete_user)):
        registry.add(("iam",), name, handler)


__all__ = ["create_user", "delete_user", "get_user", "list_users", "register", "update_user"]

