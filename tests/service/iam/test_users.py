"""Users: create, read, list, rename, delete, and AWS's errors for each."""

from __future__ import annotations

import pytest
from iam_bench import ACCOUNT, Bench, allow, document

from codeconn.service.errors import IamError


def test_create_user_answers_the_user_with_an_aws_id_and_arn(bench: Bench) -> None:
    user = bench.iam("CreateUser", UserName="alice", Path="/ci/", Tags=[{"Key": "team", "Value": "ci"}])["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/ci/alice"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21 and user["UserId"].isupper()
    assert user["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert user["Path"] == "/ci/"


def test_names_are_unique_without_regard_to_case(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    with pytest.raises(IamError) as raised:
        bench.iam("CreateUser", UserName="ALICE", Path="/other/")
    assert (raised.value.code, raised.value.message) == ("EntityAlreadyExists", "User with name ALICE already exists.")


def test_get_user_finds_the_user_in_any_case(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice", Tags=[{"Key": "a", "Value": "1"}])
    user = bench.iam("GetUser", UserName="Alice")["User"]
    assert user["UserName"] == "alice" and user["Tags"] == [{"Key": "a", "Value": "1"}]


def test_get_user_without_a_name_describes_the_caller(bench: Bench) -> None:
    alice = bench.user("alice", allow("iam:GetUser"))
    assert bench.iam("GetUser", as_=alice)["User"]["UserName"] == "alice"
    root = bench.iam("GetUser")["User"]
    assert root == {"UserId": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:root", "CreateDate": bench.clock.now}


@pytest.mark.parametrize("operation, params", [
    pytest.param("GetUser", {"UserName": "nobody"}, id="GetUser"),
    pytest.param("DeleteUser", {"UserName": "nobody"}, id="DeleteUser"),
    pytest.param("UpdateUser", {"UserName": "nobody", "NewPath": "/x/"}, id="UpdateUser"),
    pytest.param("ListGroupsForUser", {"UserName": "nobody"}, id="ListGroupsForUser"),
    pytest.param("ListUserPolicies", {"UserName": "nobody"}, id="ListUserPolicies"),
    pytest.param("CreateAccessKey", {"UserName": "nobody"}, id="CreateAccessKey"),
])
def test_a_missing_user_is_no_such_entity_in_aws_words(bench: Bench, operation: str, params: dict[str, str]) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam(operation, **params)
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity", "The user with name nobody cannot be found.")


def test_list_users_sorts_by_name_filters_by_path_and_pages(bench: Bench) -> None:
    for name, path in (("carol", "/"), ("alice", "/ci/"), ("bob", "/ci/")):
        bench.iam("CreateUser", UserName=name, Path=path)
    assert [u["UserName"] for u in bench.iam("ListUsers")["Users"]] == ["alice", "bob", "carol"]
    assert [u["UserName"] for u in bench.iam("ListUsers", PathPrefix="/ci/")["Users"]] == ["alice", "bob"]
    first = bench.iam("ListUsers", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    rest = bench.iam("ListUsers", MaxItems=2, Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["carol"] and rest["IsTruncated"] is False


def test_a_marker_not_handed_out_is_invalid_input(bench: Bench) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("ListUsers", Marker="bogus")
    assert raised.value.code == "InvalidInput"


def test_update_user_renames_and_keeps_keys_groups_and_tags(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice", Tags=[{"Key": "team", "Value": "ci"}])
    bench.iam("CreateGroup", GroupName="devs")
    bench.iam("AddUserToGroup", GroupName="devs", UserName="alice")
    key = bench.iam("CreateAccessKey", UserName="alice")["AccessKey"]["AccessKeyId"]
    bench.iam("UpdateUser", UserName="alice", NewUserName="alicia", NewPath="/people/")
    user = bench.iam("GetUser", UserName="alicia")["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/people/alicia" and user["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert [g["GroupName"] for g in bench.iam("ListGroupsForUser", UserName="alicia")["Groups"]] == ["devs"]
    assert [k["AccessKeyId"] for k in bench.iam("ListAccessKeys", UserName="alicia")["AccessKeyMetadata"]] == [key]
    assert bench.caller_of(key).principal.arn == user["Arn"]
    with pytest.raises(IamError, match="The user with name alice cannot be found."):
        bench.iam("GetUser", UserName="alice")


def test_renaming_onto_another_user_is_entity_already_exists(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    bench.iam("CreateUser", UserName="bob")
    with pytest.raises(IamError) as raised:
        bench.iam("UpdateUser", UserName="alice", NewUserName="BOB")
    assert raised.value.code == "EntityAlreadyExists"


@pytest.mark.parametrize("attach, message", [
    pytest.param(lambda b: b.iam("CreateAccessKey", UserName="alice"),
                 "Cannot delete entity, must delete access keys first.", id="access keys"),
    pytest.param(lambda b: b.iam("PutUserPolicy", UserName="alice", PolicyName="p",
                                 PolicyDocument=document(allow("s3:*"))),
                 "Cannot delete entity, must delete policies first.", id="inline policies"),
    pytest.param(lambda b: b.iam("AttachUserPolicy", UserName="alice",
                                 PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"),
                 "Cannot delete entity, must detach all policies first.", id="managed policies"),
    pytest.param(lambda b: (b.iam("CreateGroup", GroupName="g"), b.iam("AddUserToGroup", GroupName="g", UserName="alice")),
                 "Cannot delete entity, must remove user from all groups first.", id="groups"),
])
def test_delete_user_refuses_while_anything_is_attached(bench: Bench, attach, message: str) -> None:  # type: ignore[no-untyped-def]
    bench.iam("CreateUser", UserName="alice")
    attach(bench)
    with pytest.raises(IamError) as raised:
        bench.iam("DeleteUser", UserName="alice")
    assert (raised.value.code, raised.value.message) == ("DeleteConflict", message)


def test_delete_user_removes_it_and_its_tags(bench: Bench) -> None:
    user = bench.iam("CreateUser", UserName="alice", Tags=[{"Key": "a", "Value": "b"}])["User"]
    bench.iam("DeleteUser", UserName="alice")
    assert bench.iam("ListUsers")["Users"] == []
    bench.iam("CreateUser", UserName="alice")
    assert "Tags" not in bench.iam("GetUser", UserName="alice")["User"]
    assert user["UserId"] != bench.iam("GetUser", UserName="alice")["User"]["UserId"]


def test_create_user_with_a_boundary_counts_its_use(bench: Bench) -> None:
    arn = bench.iam("CreatePolicy", PolicyName="edge", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    user = bench.iam("CreateUser", UserName="alice", PermissionsBoundary=arn)["User"]
    assert user["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                           "PermissionsBoundaryArn": arn}
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    bench.iam("DeleteUser", UserName="alice")
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 0


def test_create_user_with_an_unknown_boundary_is_no_such_entity(bench: Bench) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/nope"
    with pytest.raises(IamError) as raised:
        bench.iam("CreateUser", UserName="alice", PermissionsBoundary=arn)
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity",
                                                         f"Policy {arn} does not exist or is not attachable.")
    assert bench.iam("ListUsers")["Users"] == []
