"""Groups: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

Membership is kept on the user (`Groups`: group ids), the side that is read on
every call to assemble the user's policies; GetGroup and DeleteGroup find the
members by reading the account's users. A user belongs to at most 10 groups.
"""

from __future__ import annotations

from typing import Any

from codeconn.service.call import Call
from codeconn.service.iam import access
from codeconn.service.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
)
from codeconn.domain.ids import iam_arn, unique_id
from codeconn.service.iam.model import (
    GROUPS,
    USERS,
    all_records,
    changed,
    changing,
    find,
    group_out,
    missing,
    name_key,
    new_record,
    presumed_arn,
    refuse_delete_with_policies,
    require,
    under_path,
    user_out,
)
from codeconn.service.iam.pages import page
from codeconn.service.registry import Registry
from codeconn.store import Conflict, Reader, Record

MAX_GROUPS_PER_USER = 10


def members(reader: Reader, group: Record) -> list[Record]:
    """The users in `group`, by name."""
    found = [user for user in all_records(reader, USERS.kind) if group.id in user.data["Groups"]]
    return sorted(found, key=lambda user: user.name.lower())


def create_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name, path = params["GroupName"], params.get("Path") or "/"
    arn = iam_arn(call.account_id, "group", path, name)
    access.authorize(call, "CreateGroup", arn)
    with changing(call) as tx:
        data = {"GroupName": name, "Path": path, "GroupId": unique_id(GROUPS.id_prefix), "InlinePolicies": {},
                "AttachedPolicies": []}
        record = new_record(call.account_id, GROUPS.kind, data["GroupId"], arn, name, data, call.now,
                            name_key(call.account_id, name))
        try:
            tx.insert(record)
        except Conflict:
            raise EntityAlreadyExists(f"Group with name {name} already exists.") from None
    return {"Group": group_out(record)}


def get_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with call.store.read(call.account_id) as reader:
        record = find(reader, GROUPS, call.account_id, name)
        users = members(reader, record) if record is not None else []
    access.authorize(call, "GetGroup", presumed_arn(GROUPS, call.account_id, name, record))
    if record is None:
        raise missing(GROUPS, name)
    items, more = page(users, params)
    return {"Group": group_out(record), "Users": [user_out(user) for user in items], **more}


def list_groups(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    access.authorize(call, "ListGroups", "*")
    with call.store.read(call.account_id) as reader:
        records = under_path(reader, GROUPS.kind, params.get("PathPrefix"))
    items, more = page(records, params)
    return {"Groups": [group_out(r) for r in items], **more}


def delete_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["GroupName"]
    with changing(call) as tx:
        record = find(tx, GROUPS, call.account_id, name)
        access.authorize(call, "DeleteGroup", presumed_arn(GROUPS, call.account_id, name, record))
        record = require(tx, GROUPS, call.account_id, name)
        if members(tx, record):
            raise DeleteConflict("Cannot delete entity, must remove users from group first.")
        refuse_delete_with_policies(record)
        tx.delete(GROUPS.kind, record.id)
    return {}


def add_user_to_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group_name, user_name = params["GroupName"], params["UserName"]
    with changing(call) as tx:
        group = find(tx, GROUPS, call.account_id, group_name)
        access.authorize(call, "AddUserToGroup", presumed_arn(GROUPS, call.account_id, group_name, group))
        group = require(tx, GROUPS, call.account_id, group_name)
        user = require(tx, USERS, call.account_id, user_name)
        groups = list(user.data["Groups"])
        if group.id not in groups:
            if len(groups) >= MAX_GROUPS_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
            tx.update(changed(user, call.now, Groups=[*groups, group.id]))
    return {}


def remove_user_from_group(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    group_name, user_name = params["GroupName"], params["UserName"]
    with changing(call) as tx:
        group = find(tx, GROUPS, call.account_id, group_name)
        access.authorize(call, "RemoveUserFromGroup", presumed_arn(GROUPS, call.account_id, group_name, group))
        group = require(tx, GROUPS, call.account_id, group_name)
        user = require(tx, USERS, call.account_id, user_name)
        if group.id not in user.data["Groups"]:
            raise NoSuchEntity(f"User {user.name} is not in group {group.name}.")
        tx.update(changed(user, call.now, Groups=[g for g in user.data["Groups"] if g != group.id]))
    return {}


def list_groups_for_user(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    name = params["UserName"]
    with call.store.read(call.account_id) as reader:
        user = find(reader, USERS, call.account_id, name)
        tags = reader.tags(user.arn) if user is not None else {}
        groups = [g for g in (reader.get(GROUPS.kind, gid) for gid in (user.data["Groups"] if user else ())) if g]
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
