"""Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

A user is created at a path, optionally with tags (which also needs iam:TagUser,
as AWS asks) and a permissions boundary (iam:PermissionsBoundary is the
boundary's ARN). Deleting a user that still has access keys, policies or group
memberships is a DeleteConflict, as in AWS: nothing is removed behind the
caller's back. GetUser without a name describes the caller itself.
"""

from __future__ import annotations

from typing import Any

from codeconn.domain.ids import iam_arn, unique_id
from codeconn.domain.principals import ACCESS_KEY, USERS, User
from codeconn.iam import PrincipalType
from codeconn.service.call import Call
from codeconn.service.iam import access, counts, managed
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    ValidationError,
)
from codeconn.service.iam.model import (
    changing,
    find,
    missing,
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
        user = User(account_id=call.account_id, id=unique_id(USERS.id_prefix), name=name, path=path,
                    created_at=call.now, updated_at=call.now, inline_policies={}, attached_policies=(),
                    permissions_boundary=boundary)
        try:
            tx.insert(user.to_record())
        except Conflict:  # the name's lookup key is taken: IAM names are unique in any case
            raise EntityAlreadyExists(f"User with name {name} already exists.") from None
        apply_tags(tx, arn, tags)
    return {"User": user_out(user, tags)}


def get_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("UserName")
    if name is None:
        return _get_self(call)
    with call.store.read(call.account_id) as reader:
        user = find(reader, USERS, call.account_id, name)
        tags = reader.tags(user.arn) if user is not None else {}
    access.authorize(call, "GetUser", presumed_arn(USERS, call.account_id, name, user), resource_tags=tags)
    if user is None:
        raise missing(USERS, name)
    return {"User": user_out(user, tags)}


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
        users = under_path(reader, USERS, params.get("PathPrefix"))
    items, more = page(users, params)
    return {"Users": [user_out(user) for user in items], **more}


def update_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with changing(call) as tx:
        found = find(tx, USERS, call.account_id, name)
        tags = tx.tags(found.arn) if found is not None else {}
        arn = presumed_arn(USERS, call.account_id, name, found)
        access.authorize(call, "UpdateUser", arn, resource_tags=tags)
        user = require(tx, USERS, call.account_id, name)
        renamed = user.moved(params.get("NewPath") or user.path, params.get("NewUserName") or user.name, call.now)
        if renamed.arn != user.arn:
            access.authorize(call, "UpdateUser", renamed.arn, resource_tags=tags)
        try:
            tx.update(renamed.to_record())
        except Conflict:
            raise EntityAlreadyExists(f"User with name {renamed.name} already exists.") from None
    return {}


def delete_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with changing(call) as tx:
        found = find(tx, USERS, call.account_id, name)
        tags = tx.tags(found.arn) if found is not None else {}
        access.authorize(call, "DeleteUser", presumed_arn(USERS, call.account_id, name, found), resource_tags=tags)
        user = require(tx, USERS, call.account_id, name)
        if tx.count(ACCESS_KEY, where={"UserId": user.id}):
            raise DeleteConflict("Cannot delete entity, must delete access keys first.")
        refuse_delete_with_policies(user)
        if user.groups:
            raise DeleteConflict("Cannot delete entity, must remove user from all groups first.")
        if user.permissions_boundary:
            counts.adjust(tx, user.permissions_boundary, counts.BOUNDARY_USES, -1)
        tx.delete(USERS.kind, user.id)
    return {}


def register(registry: Registry) -> None:
    for name, handler in (("CreateUser", create_user), ("GetUser", get_user), ("ListUsers", list_users),
                          ("UpdateUser", update_user), ("DeleteUser", delete_user)):
        registry.add(("iam",), name, handler)


__all__ = ["create_user", "delete_user", "get_user", "list_users", "register", "update_user"]

