"""Groups: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

Membership is kept on the user (`Groups`: group ids), the side that is read on
every call to assemble the user's policies; GetGroup and DeleteGroup find the
members by reading the account's users. A user belongs to at most 10 groups.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.domain.ids import unique_id
from codeconn.domain.principals import GROUPS, MAX_GROUPS_PER_USER, USERS, Group, User
from codeconn.service.call import Call
from codeconn.service.iam import access
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from codeconn.service.iam.model import (
    all_of,
    changing,
    find,
    group_out,
    missing,
    presumed_arn,
    refuse_delete_with_policies,
    require,
    under_path,
    user_out,
)
from codeconn.service.iam.pages import page
from codeconn.service.registry import Registry
from codeconn.store import Conflict, Reader


def members(reader: Reader, group: Group) -> list[User]:
    """The users in `group`, by name."""
    found = [user for user in all_of(reader, USERS) if group.id in user.groups]
    return sorted(found, key=lambda user: user.name.lower())


def create_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["GroupName"], params.get("Path") or "/"
    group = Group(account_id=call.account_id, id=unique_id(GROUPS.id_prefix), name=name, path=path,
                  created_at=call.now, updated_at=call.now, inline_policies={}, attached_policies=())
    access.authorize(call, "CreateGroup", group.arn)
    with changing(call) as tx:
        try:
            tx.insert(group.to_record())
        except Conflict:  # the name's lookup key is taken: IAM names are unique in any case
            raise EntityAlreadyExists(f"Group with name {name} already exists.") from None
    return {"Group": group_out(group)}


def get_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with call.store.read(call.account_id) as reader:
        group = find(reader, GROUPS, call.account_id, name)
        users = members(reader, group) if group is not None else []
    access.authorize(call, "GetGroup", presumed_arn(GROUPS, call.account_id, name, group))
    if group is None:
        raise missing(GROUPS, name)
    items, more = page(users, params)
    return {"Group": group_out(group), "Users": [user_out(user) for user in items], **more}


def list_groups(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListGroups", "*")
    with call.store.read(call.account_id) as reader:
        groups = under_path(reader, GROUPS, params.get("PathPrefix"))
    items, more = page(groups, params)
    return {"Groups": [group_out(group) for group in items], **more}


def delete_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with changing(call) as tx:
        found = find(tx, GROUPS, call.account_id, name)
        access.authorize(call, "DeleteGroup", presumed_arn(GROUPS, call.account_id, name, found))
        group = require(tx, GROUPS, call.account_id, name)
        if members(tx, group):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        refuse_delete_with_policies(group)
        tx.delete(GROUPS.kind, group.id)
    return {}


def add_user_to_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group_name, user_name = params["GroupName"], params["UserName"]
    with changing(call) as tx:
        group = find(tx, GROUPS, call.account_id, group_name)
        access.authorize(call, "AddUserToGroup", presumed_arn(GROUPS, call.account_id, group_name, group))
        group = require(tx, GROUPS, call.account_id, group_name)
        user = require(tx, USERS, call.account_id, user_name)
        if group.id not in user.groups:
            if len(user.groups) >= MAX_GROUPS_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
            tx.update(replace(user, groups=(*user.groups, group.id), updated_at=call.now).to_record())
    return {}


def remove_user_from_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group_name, user_name = params["GroupName"], params["UserName"]
    with changing(call) as tx:
        group = find(tx, GROUPS, call.account_id, group_name)
        access.authorize(call, "RemoveUserFromGroup", presumed_arn(GROUPS, call.account_id, group_name, group))
        group = require(tx, GROUPS, call.account_id, group_name)
        user = require(tx, USERS, call.account_id, user_name)
        if group.id not in user.groups:
            raise NoSuchEntity(f"User {user.name} is not in group {group.name}.")
        remaining = tuple(g for g in user.groups if g != group.id)
        tx.update(replace(user, groups=remaining, updated_at=call.now).to_record())
    return {}


def list_groups_for_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with call.store.read(call.account_id) as reader:
        user = find(reader, USERS, call.account_id, name)
        tags = reader.tags(user.arn) if user is not None else {}
        records = [reader.get(GROUPS.kind, group_id) for group_id in (user.groups if user else ())]
        groups = [GROUPS.from_record(record) for record in records if record is not None]
    access.authorize(call, "ListGroupsForUser", presumed_arn(USERS, call.account_id, name, user), resource_tags=tags)
    if user is None:
        raise missing(USERS, name)
    groups.sort(key=lambda g: g.name.lower())
    items, more = page(groups, params)
    return {"Groups": [group_out(g) for g in items], **more}


def register(registry: Registry) -> None:
    for name, handler in (("CreateGroup", create_group), ("GetGroup", get_group), ("ListGroups", list_groups),
                          ("DeleteGroup", delete_group), ("AddUserToGroup", add_user_to_group),
                          ("RemoveUserFromGroup", remove_user_from_group),
                          ("ListGroupsForUser", list_groups_for_user)):
        registry.add(("iam",), name, handler)
