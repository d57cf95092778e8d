"""Every IAM operation asks for iam:<Operation> on its entity, with the condition keys the reference lists."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from iam_bench import ACCOUNT, MODELS, Bench, allow, document, trust

from codeconn.service.call import IamMode
from codeconn.service.errors import AccessDenied, ServiceError
from codeconn.store import SecretBox
from codeconn.store.sql import open_store

ROLE_TRUST = trust({"AWS": ACCOUNT})
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/u"
GROUP_ARN = f"arn:aws:iam::{ACCOUNT}:group/g"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/r"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/p"

# operation -> (parameters, the resource it is authorized on)
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "CreateUser": ({"UserName": "new"}, f"arn:aws:iam::{ACCOUNT}:user/new"),
    "GetUser": ({"UserName": "u"}, USER_ARN),
    "ListUsers": ({}, "*"),
    "UpdateUser": ({"UserName": "u", "NewPath": "/x/"}, USER_ARN),
    "DeleteUser": ({"UserName": "u"}, USER_ARN),
    "CreateGroup": ({"GroupName": "new"}, f"arn:aws:iam::{ACCOUNT}:group/new"),
    "GetGroup": ({"GroupName": "g"}, GROUP_ARN),
    "ListGroups": ({}, "*"),
    "DeleteGroup": ({"GroupName": "g"}, GROUP_ARN),
    "AddUserToGroup": ({"GroupName": "g", "UserName": "u"}, GROUP_ARN),
    "RemoveUserFromGroup": ({"GroupName": "g", "UserName": "u"}, GROUP_ARN),
    "ListGroupsForUser": ({"UserName": "u"}, USER_ARN),
    "CreateRole": ({"RoleName": "new", "AssumeRolePolicyDocument": ROLE_TRUST}, f"arn:aws:iam::{ACCOUNT}:role/new"),
    "GetRole": ({"RoleName": "r"}, ROLE_ARN),
    "ListRoles": ({}, "*"),
    "UpdateRole": ({"RoleName": "r", "Description": "d"}, ROLE_ARN),
    "UpdateAssumeRolePolicy": ({"RoleName": "r", "PolicyDocument": ROLE_TRUST}, ROLE_ARN),
    "DeleteRole": ({"RoleName": "r"}, ROLE_ARN),
    "PutUserPolicy": ({"UserName": "u", "PolicyName": "i", "PolicyDocument": document(allow("s3:*"))}, USER_ARN),
    "GetUserPolicy": ({"UserName": "u", "PolicyName": "i"}, USER_ARN),
    "DeleteUserPolicy": ({"UserName": "u", "PolicyName": "i"}, USER_ARN),
    "ListUserPolicies": ({"UserName": "u"}, USER_ARN),
    "PutGroupPolicy": ({"GroupName": "g", "PolicyName": "i", "PolicyDocument": document(allow("s3:*"))}, GROUP_ARN),
    "GetGroupPolicy": ({"GroupName": "g", "PolicyName": "i"}, GROUP_ARN),
    "DeleteGroupPolicy": ({"GroupName": "g", "PolicyName": "i"}, GROUP_ARN),
    "ListGroupPolicies": ({"GroupName": "g"}, GROUP_ARN),
    "PutRolePolicy": ({"RoleName": "r", "PolicyName": "i", "PolicyDocument": document(allow("s3:*"))}, ROLE_ARN),
    "GetRolePolicy": ({"RoleName": "r", "PolicyName": "i"}, ROLE_ARN),
    "DeleteRolePolicy": ({"RoleName": "r", "PolicyName": "i"}, ROLE_ARN),
    "ListRolePolicies": ({"RoleName": "r"}, ROLE_ARN),
    "CreatePolicy": ({"PolicyName": "new", "PolicyDocument": document(allow("s3:*"))},
                     f"arn:aws:iam::{ACCOUNT}:policy/new"),
    "GetPolicy": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "ListPolicies": ({}, "*"),
    "DeletePolicy": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "CreatePolicyVersion": ({"PolicyArn": POLICY_ARN, "PolicyDocument": document(allow("s3:*"))}, POLICY_ARN),
    "GetPolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v1"}, POLICY_ARN),
    "ListPolicyVersions": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "DeletePolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v1"}, POLICY_ARN),
    "SetDefaultPolicyVersion": ({"PolicyArn": POLICY_ARN, "VersionId": "v1"}, POLICY_ARN),
    "AttachUserPolicy": ({"UserName": "u", "PolicyArn": POLICY_ARN}, USER_ARN),
    "DetachUserPolicy": ({"UserName": "u", "PolicyArn": POLICY_ARN}, USER_ARN),
    "ListAttachedUserPolicies": ({"UserName": "u"}, USER_ARN),
    "AttachGroupPolicy": ({"GroupName": "g", "PolicyArn": POLICY_ARN}, GROUP_ARN),
    "DetachGroupPolicy": ({"GroupName": "g", "PolicyArn": POLICY_ARN}, GROUP_ARN),
    "ListAttachedGroupPolicies": ({"GroupName": "g"}, GROUP_ARN),
    "AttachRolePolicy": ({"RoleName": "r", "PolicyArn": POLICY_ARN}, ROLE_ARN),
    "DetachRolePolicy": ({"RoleName": "r", "PolicyArn": POLICY_ARN}, ROLE_ARN),
    "ListAttachedRolePolicies": ({"RoleName": "r"}, ROLE_ARN),
    "PutUserPermissionsBoundary": ({"UserName": "u", "PermissionsBoundary": POLICY_ARN}, USER_ARN),
    "DeleteUserPermissionsBoundary": ({"UserName": "u"}, USER_ARN),
    "PutRolePermissionsBoundary": ({"RoleName": "r", "PermissionsBoundary": POLICY_ARN}, ROLE_ARN),
    "DeleteRolePermissionsBoundary": ({"RoleName": "r"}, ROLE_ARN),
    "TagUser": ({"UserName": "u", "Tags": [{"Key": "a", "Value": "b"}]}, USER_ARN),
    "UntagUser": ({"UserName": "u", "TagKeys": ["a"]}, USER_ARN),
    "ListUserTags": ({"UserName": "u"}, USER_ARN),
    "TagRole": ({"RoleName": "r", "Tags": [{"Key": "a", "Value": "b"}]}, ROLE_ARN),
    "UntagRole": ({"RoleName": "r", "TagKeys": ["a"]}, ROLE_ARN),
    "ListRoleTags": ({"RoleName": "r"}, ROLE_ARN),
    "TagPolicy": ({"PolicyArn": POLICY_ARN, "Tags": [{"Key": "a", "Value": "b"}]}, POLICY_ARN),
    "UntagPolicy": ({"PolicyArn": POLICY_ARN, "TagKeys": ["a"]}, POLICY_ARN),
    "ListPolicyTags": ({"PolicyArn": POLICY_ARN}, POLICY_ARN),
    "CreateAccessKey": ({"UserName": "u"}, USER_ARN),
    "ListAccessKeys": ({"UserName": "u"}, USER_ARN),
    "UpdateAccessKey": ({"UserName": "u", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA", "Status": "Inactive"}, USER_ARN),
    "DeleteAccessKey": ({"UserName": "u", "AccessKeyId": "AKIAAAAAAAAAAAAAAAAA"}, USER_ARN),
    "SimulatePrincipalPolicy": ({"PolicySourceArn": USER_ARN, "ActionNames": ["s3:GetObject"]}, USER_ARN),
    "SimulateCustomPolicy": ({"PolicyInputList": [document(allow("s3:*"))], "ActionNames": ["s3:GetObject"]}, "*"),
}


def _world(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="u")
    bench.iam("CreateGroup", GroupName="g")
    bench.iam("CreateRole", RoleName="r", AssumeRolePolicyDocument=ROLE_TRUST)
    bench.iam("CreatePolicy", PolicyName="p", PolicyDocument=document(allow("s3:*")))


def test_the_table_covers_every_registered_iam_operation(bench: Bench) -> None:
    assert sorted(CASES) == bench.registry.names("iam")
    assert set(CASES) <= set(MODELS["iam"].operation_names)


@pytest.mark.parametrize("operation", sorted(CASES))
def test_a_caller_without_permission_is_denied_on_the_entity(bench: Bench, operation: str) -> None:
    _world(bench)
    nobody = bench.user("nobody")
    params, resource = CASES[operation]
    with pytest.raises(AccessDenied) as raised:
        bench.iam(operation, as_=nobody, **params)
    assert raised.value.message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: iam:{operation} on resource: "
        f"{resource} because no identity-based policy allows the iam:{operation} action")
    assert bench.last.decisions[-1].action == f"iam:{operation}"


@pytest.mark.parametrize("operation", sorted(CASES))
def test_the_root_is_allowed_and_the_decision_is_recorded(bench: Bench, operation: str) -> None:
    _world(bench)
    params, resource = CASES[operation]
    with contextlib.suppress(ServiceError):  # the operation may fail on its own terms; the decision came first
        bench.iam(operation, **params)
    first = bench.last.decisions[0]
    assert (first.action, first.resource, first.decision.allowed) == (f"iam:{operation}", resource, True)


Setup = Callable[[Bench], None]


def _tagged_users(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="ci-bot", Tags=[{"Key": "team", "Value": "ci"}])
    bench.iam("CreateUser", UserName="other", Tags=[{"Key": "team", "Value": "web"}])


@pytest.mark.parametrize("statement, allowed, denied", [
    pytest.param(allow("iam:GetUser", Condition={"StringEquals": {"aws:ResourceTag/team": "ci"}}),
                 ("GetUser", {"UserName": "ci-bot"}), ("GetUser", {"UserName": "other"}), id="aws:ResourceTag"),
    pytest.param(allow("iam:GetUser", Condition={"StringEquals": {"iam:ResourceTag/team": "ci"}}),
                 ("GetUser", {"UserName": "ci-bot"}), ("GetUser", {"UserName": "other"}), id="iam:ResourceTag"),
    pytest.param(allow("iam:CreateUser", Condition={"StringEquals": {"aws:RequestTag/team": "ci"}}),
                 ("CreateUser", {"UserName": "n1", "Tags": [{"Key": "team", "Value": "ci"}]}),
                 ("CreateUser", {"UserName": "n2", "Tags": [{"Key": "team", "Value": "web"}]}), id="aws:RequestTag"),
    pytest.param(allow(["iam:UntagUser"], Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
                 ("UntagUser", {"UserName": "ci-bot", "TagKeys": ["team"]}),
                 ("UntagUser", {"UserName": "ci-bot", "TagKeys": ["owner"]}), id="aws:TagKeys"),
    pytest.param(allow("iam:ListUsers", Condition={"Null": {"aws:ResourceTag/team": "true"}}),
                 ("ListUsers", {}), None, id="a List operation carries no resource tags"),
])
def test_condition_keys_reach_the_engine(bench: Bench, statement: dict[str, Any],
                                         allowed: tuple[str, dict[str, Any]],
                                         denied: tuple[str, dict[str, Any]] | None) -> None:
    _tagged_users(bench)
    caller = bench.user("admin", statement, allow("iam:TagUser"))
    bench.iam(allowed[0], as_=caller, **allowed[1])
    if denied is not None:
        with pytest.raises(AccessDenied):
            bench.iam(denied[0], as_=caller, **denied[1])


def test_permissions_boundary_key_lets_an_admin_create_only_bounded_users(bench: Bench) -> None:
    boundary = bench.iam("CreatePolicy", PolicyName="boundary", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    admin = bench.user("admin", allow(["iam:CreateUser", "iam:AttachUserPolicy"],
                                      Condition={"StringEquals": {"iam:PermissionsBoundary": boundary}}))
    with pytest.raises(AccessDenied):
        bench.iam("CreateUser", as_=admin, UserName="free")
    bench.iam("CreateUser", as_=admin, UserName="bounded", PermissionsBoundary=boundary)
    bench.iam("AttachUserPolicy", as_=admin, UserName="bounded", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    bench.iam("CreateUser", UserName="unbounded")
    with pytest.raises(AccessDenied):
        bench.iam("AttachUserPolicy", as_=admin, UserName="unbounded",
                  PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")


def test_policy_arn_key_limits_which_policies_may_be_attached(bench: Bench) -> None:
    readonly = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    admin = bench.user("admin", allow("iam:AttachUserPolicy", Condition={"ArnEquals": {"iam:PolicyARN": readonly}}))
    bench.iam("CreateUser", UserName="u")
    bench.iam("AttachUserPolicy", as_=admin, UserName="u", PolicyArn=readonly)
    with pytest.raises(AccessDenied):
        bench.iam("AttachUserPolicy", as_=admin, UserName="u", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def test_creating_with_tags_also_needs_the_tag_action(bench: Bench) -> None:
    admin = bench.user("admin", allow(["iam:CreateUser", "iam:CreateRole", "iam:CreatePolicy"]))
    tags = [{"Key": "a", "Value": "b"}]
    for operation, params, tag_action in (
            ("CreateUser", {"UserName": "n"}, "iam:TagUser"),
            ("CreateRole", {"RoleName": "n", "AssumeRolePolicyDocument": ROLE_TRUST}, "iam:TagRole"),
            ("CreatePolicy", {"PolicyName": "n", "PolicyDocument": document(allow("s3:*"))}, "iam:TagPolicy")):
        with pytest.raises(AccessDenied) as raised:
            bench.iam(operation, as_=admin, Tags=tags, **params)
        assert raised.value.action == tag_action
        bench.iam(operation, as_=admin, **params)


def test_aws_managed_policies_are_readable_in_every_account(bench: Bench) -> None:
    reader = bench.user("reader", allow("iam:GetPolicy*"))
    bench.iam("GetPolicy", as_=reader, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


@pytest.mark.parametrize("mode, decision, enforced", [
    pytest.param(IamMode.AUDIT, "implicitDeny", False, id="audit lets it through and records the denial"),
    pytest.param(IamMode.OFF, "allowed", False, id="off evaluates nothing"),
])
def test_audit_and_off_let_a_denied_call_through(mode: IamMode, decision: str, enforced: bool) -> None:
    store = open_store("sqlite://")
    try:
        bench = Bench(store, SecretBox(SecretBox.generate_key()), mode)
        nobody = bench.user("nobody")
        assert bench.iam("ListUsers", as_=nobody)["Users"][0]["UserName"] == "nobody"
        record = bench.last.decisions[0]
        assert (record.action, record.decision.decision, record.enforced) == ("iam:ListUsers", decision, enforced)
    finally:
        store.close()
