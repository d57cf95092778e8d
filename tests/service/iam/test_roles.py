"""Roles and their trust policies."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from iam_bench import ACCOUNT, Bench, allow, document, trust

from codeconn.service.errors import IamError

TRUST = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})


def test_create_role_stores_the_trust_policy_and_returns_it_url_encoded(bench: Bench) -> None:
    role = bench.iam("CreateRole", RoleName="ci", Path="/svc/", AssumeRolePolicyDocument=TRUST, Description="CI",
                     Tags=[{"Key": "team", "Value": "ci"}])["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/ci" and role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] != TRUST and unquote(role["AssumeRolePolicyDocument"]) == TRUST
    assert role["MaxSessionDuration"] == 3600 and role["Description"] == "CI"
    got = bench.iam("GetRole", RoleName="CI")["Role"]
    assert json.loads(unquote(got["AssumeRolePolicyDocument"])) == json.loads(TRUST)
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}] and got["RoleLastUsed"] == {}


def test_duplicate_role_is_entity_already_exists(bench: Bench) -> None:
    bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(IamError) as raised:
        bench.iam("CreateRole", RoleName="CI", AssumeRolePolicyDocument=TRUST)
    assert (raised.value.code, raised.value.message) == ("EntityAlreadyExists", "Role with name CI already exists.")


@pytest.mark.parametrize("document_text, fragment", [
    pytest.param(document(allow("sts:AssumeRole")), "Statement[0].Principal: missing required field",
                 id="a trust policy needs a Principal"),
    pytest.param("{not json", "not valid JSON", id="not JSON"),
    pytest.param(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*",
                                                                     "Action": "sts:AssumeRole"}]}),
                 "Statement[0].Effect", id="bad Effect, with its JSON path"),
])
def test_malformed_trust_policy(bench: Bench, document_text: str, fragment: str) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=document_text)
    assert raised.value.code == "MalformedPolicyDocument" and fragment in raised.value.message
    with pytest.raises(IamError, match="cannot be found"):
        bench.iam("GetRole", RoleName="ci")


def test_update_assume_role_policy_and_update_role(bench: Bench) -> None:
    bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=TRUST)
    other = trust({"Service": "codepipeline.amazonaws.com"})
    bench.iam("UpdateAssumeRolePolicy", RoleName="ci", PolicyDocument=other)
    bench.iam("UpdateRole", RoleName="ci", Description="pipelines", MaxSessionDuration=7200)
    role = bench.iam("GetRole", RoleName="ci")["Role"]
    assert unquote(role["AssumeRolePolicyDocument"]) == other
    assert (role["Description"], role["MaxSessionDuration"]) == ("pipelines", 7200)
    with pytest.raises(IamError) as raised:
        bench.iam("UpdateAssumeRolePolicy", RoleName="ci", PolicyDocument=document(allow("s3:*")))
    assert raised.value.code == "MalformedPolicyDocument"


def test_a_trust_policy_over_2048_characters_is_limit_exceeded(bench: Bench) -> None:
    big = trust({"AWS": [f"arn:aws:iam::{ACCOUNT}:user/user-with-a-long-name-{i:04d}" for i in range(50)]})
    with pytest.raises(IamError) as raised:
        bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=big)
    assert (raised.value.code, raised.value.message) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")


def test_list_roles(bench: Bench) -> None:
    bench.iam("CreateRole", RoleName="b", AssumeRolePolicyDocument=TRUST, Path="/x/")
    bench.iam("CreateRole", RoleName="a", AssumeRolePolicyDocument=TRUST)
    assert [r["RoleName"] for r in bench.iam("ListRoles")["Roles"]] == ["a", "b"]
    assert [r["RoleName"] for r in bench.iam("ListRoles", PathPrefix="/x/")["Roles"]] == ["b"]


def test_delete_role_refuses_while_policies_remain(bench: Bench) -> None:
    bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=TRUST)
    bench.iam("PutRolePolicy", RoleName="ci", PolicyName="p", PolicyDocument=document(allow("s3:*")))
    with pytest.raises(IamError) as raised:
        bench.iam("DeleteRole", RoleName="ci")
    assert (raised.value.code, raised.value.message) == ("DeleteConflict",
                                                         "Cannot delete entity, must delete policies first.")
    bench.iam("DeleteRolePolicy", RoleName="ci", PolicyName="p")
    bench.iam("AttachRolePolicy", RoleName="ci", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    with pytest.raises(IamError, match="must detach all policies first"):
        bench.iam("DeleteRole", RoleName="ci")
    bench.iam("DetachRolePolicy", RoleName="ci", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    bench.iam("DeleteRole", RoleName="ci")
    with pytest.raises(IamError) as raised:
        bench.iam("DeleteRole", RoleName="ci")
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity", "The role with name ci cannot be found.")
