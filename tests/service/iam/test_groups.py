"""Groups and membership."""

from __future__ import annotations

import pytest
from iam_bench import ACCOUNT, Bench, allow, document

from codeconn.service.errors import AccessDenied, IamError


def test_create_get_list_delete_group(bench: Bench) -> None:
    group = bench.iam("CreateGroup", GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/devs" and group["GroupId"].startswith("AGPA")
    bench.iam("CreateGroup", GroupName="admins")
    assert [g["GroupName"] for g in bench.iam("ListGroups")["Groups"]] == ["admins", "devs"]
    assert [g["GroupName"] for g in bench.iam("ListGroups", PathPrefix="/eng/")["Groups"]] == ["devs"]
    got = bench.iam("GetGroup", GroupName="DEVS")
    assert got["Group"] == group and got["Users"] == []
    bench.iam("DeleteGroup", GroupName="devs")
    assert [g["GroupName"] for g in bench.iam("ListGroups")["Groups"]] == ["admins"]


def test_duplicate_group_is_entity_already_exists(bench: Bench) -> None:
    bench.iam("CreateGroup", GroupName="devs")
    with pytest.raises(IamError) as raised:
        bench.iam("CreateGroup", GroupName="Devs")
    assert (raised.value.code, raised.value.message) == ("EntityAlreadyExists", "Group with name Devs already exists.")


def test_membership_is_seen_from_both_sides(bench: Bench) -> None:
    bench.iam("CreateGroup", GroupName="devs")
    for name in ("bob", "alice"):
        bench.iam("CreateUser", UserName=name)
        bench.iam("AddUserToGroup", GroupName="devs", UserName=name)
    bench.iam("AddUserToGroup", GroupName="devs", UserName="alice")  # twice is once
    assert [u["UserName"] for u in bench.iam("GetGroup", GroupName="devs")["Users"]] == ["alice", "bob"]
    assert [g["GroupName"] for g in bench.iam("ListGroupsForUser", UserName="alice")["Groups"]] == ["devs"]
    bench.iam("RemoveUserFromGroup", GroupName="devs", UserName="alice")
    assert [u["UserName"] for u in bench.iam("GetGroup", GroupName="devs")["Users"]] == ["bob"]
    assert bench.iam("ListGroupsForUser", UserName="alice")["Groups"] == []


def test_removing_a_non_member_is_no_such_entity(bench: Bench) -> None:
    bench.iam("CreateGroup", GroupName="devs")
    bench.iam("CreateUser", UserName="alice")
    with pytest.raises(IamError) as raised:
        bench.iam("RemoveUserFromGroup", GroupName="devs", UserName="alice")
    assert raised.value.code == "NoSuchEntity"


@pytest.mark.parametrize("operation, params, message", [
    pytest.param("GetGroup", {"GroupName": "nope"}, "The group with name nope cannot be found.", id="GetGroup"),
    pytest.param("DeleteGroup", {"GroupName": "nope"}, "The group with name nope cannot be found.", id="DeleteGroup"),
    pytest.param("AddUserToGroup", {"GroupName": "nope", "UserName": "alice"},
                 "The group with name nope cannot be found.", id="AddUserToGroup: group"),
    pytest.param("AddUserToGroup", {"GroupName": "devs", "UserName": "nobody"},
                 "The user with name nobody cannot be found.", id="AddUserToGroup: user"),
])
def test_missing_entities(bench: Bench, operation: str, params: dict[str, str], message: str) -> None:
    bench.iam("CreateGroup", GroupName="devs")
    bench.iam("CreateUser", UserName="alice")
    with pytest.raises(IamError) as raised:
        bench.iam(operation, **params)
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity", message)


def test_a_user_is_in_at_most_ten_groups(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    for i in range(10):
        bench.iam("CreateGroup", GroupName=f"g{i}")
        bench.iam("AddUserToGroup", GroupName=f"g{i}", UserName="alice")
    bench.iam("CreateGroup", GroupName="g10")
    with pytest.raises(IamError) as raised:
        bench.iam("AddUserToGroup", GroupName="g10", UserName="alice")
    assert (raised.value.code, raised.value.message) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")


@pytest.mark.parametrize("attach, message", [
    pytest.param(lambda b: (b.iam("CreateUser", UserName="u"), b.iam("AddUserToGroup", GroupName="devs", UserName="u")),
                 "Cannot delete entity, must remove users from group first.", id="members"),
    pytest.param(lambda b: b.iam("PutGroupPolicy", GroupName="devs", PolicyName="p", PolicyDocument=document(allow("s3:*"))),
                 "Cannot delete entity, must delete policies first.", id="inline policies"),
    pytest.param(lambda b: b.iam("AttachGroupPolicy", GroupName="devs",
                                 PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
                 "Cannot delete entity, must detach all policies first.", id="managed policies"),
])
def test_delete_group_refuses_while_in_use(bench: Bench, attach, message: str) -> None:  # type: ignore[no-untyped-def]
    bench.iam("CreateGroup", GroupName="devs")
    attach(bench)
    with pytest.raises(IamError) as raised:
        bench.iam("DeleteGroup", GroupName="devs")
    assert (raised.value.code, raised.value.message) == ("DeleteConflict", message)


def test_group_policies_apply_to_members(bench: Bench) -> None:
    bench.iam("CreateGroup", GroupName="readers")
    bench.iam("PutGroupPolicy", GroupName="readers", PolicyName="list", PolicyDocument=document(allow("iam:ListUsers")))
    alice = bench.user("alice")
    with pytest.raises(AccessDenied):
        bench.iam("ListUsers", as_=alice)
    bench.iam("AddUserToGroup", GroupName="readers", UserName="alice")
    bench.iam("ListUsers", as_=bench.caller_of(alice.access_key_id or ""))
