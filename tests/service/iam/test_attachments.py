"""Managed policies attached to users, groups and roles; permissions boundaries."""

from __future__ import annotations

import pytest
from iam_bench import ACCOUNT, Bench, allow, document, trust

from codeconn.service.errors import AccessDenied, IamError

KINDS = [pytest.param("User", id="user"), pytest.param("Group", id="group"), pytest.param("Role", id="role")]
QUOTAS = {"User": "PoliciesPerUser", "Group": "PoliciesPerGroup", "Role": "PoliciesPerRole"}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _create(bench: Bench, kind: str, name: str = "e") -> dict[str, str]:
    extra = {"AssumeRolePolicyDocument": trust({"AWS": ACCOUNT})} if kind == "Role" else {}
    bench.iam(f"Create{kind}", **{f"{kind}Name": name}, **extra)
    return {f"{kind}Name": name}


@pytest.mark.parametrize("kind", KINDS)
def test_attach_list_detach(bench: Bench, kind: str) -> None:
    entity = _create(bench, kind)
    arn = bench.iam("CreatePolicy", PolicyName="p", Path="/team/", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=arn)
    bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=arn)  # again: still once
    bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=ADMIN)
    attached = bench.iam(f"ListAttached{kind}Policies", **entity)["AttachedPolicies"]
    assert attached == [{"PolicyName": "p", "PolicyArn": arn}, {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN}]
    assert bench.iam(f"ListAttached{kind}Policies", **entity, PathPrefix="/team/")["AttachedPolicies"] == attached[:1]
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    bench.iam(f"Detach{kind}Policy", **entity, PolicyArn=arn)
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    with pytest.raises(IamError) as raised:
        bench.iam(f"Detach{kind}Policy", **entity, PolicyArn=arn)
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity", f"Policy {arn} was not found.")


@pytest.mark.parametrize("kind", KINDS)
def test_at_most_ten_managed_policies(bench: Bench, kind: str) -> None:
    entity = _create(bench, kind)
    for i in range(10):
        arn = bench.iam("CreatePolicy", PolicyName=f"p{i}", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
        bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=arn)
    with pytest.raises(IamError) as raised:
        bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=ADMIN)
    assert (raised.value.code, raised.value.message) == ("LimitExceeded", f"Cannot exceed quota for {QUOTAS[kind]}: 10")


@pytest.mark.parametrize("kind", KINDS)
def test_attaching_an_unknown_policy(bench: Bench, kind: str) -> None:
    entity = _create(bench, kind)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    with pytest.raises(IamError) as raised:
        bench.iam(f"Attach{kind}Policy", **entity, PolicyArn=arn)
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity",
                                                         f"Policy {arn} does not exist or is not attachable.")


def test_attached_policies_apply_with_their_default_version(bench: Bench) -> None:
    arn = bench.iam("CreatePolicy", PolicyName="p", PolicyDocument=document(allow("iam:ListUsers")))["Policy"]["Arn"]
    alice = bench.user("alice")
    bench.iam("AttachUserPolicy", UserName="alice", PolicyArn=arn)
    alice = bench.caller_of(alice.access_key_id or "")
    bench.iam("ListUsers", as_=alice)
    bench.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=document(allow("iam:ListRoles")), SetAsDefault=True)
    alice = bench.caller_of(alice.access_key_id or "")
    with pytest.raises(AccessDenied):
        bench.iam("ListUsers", as_=alice)
    bench.iam("ListRoles", as_=alice)


@pytest.mark.parametrize("kind", [pytest.param("User", id="user"), pytest.param("Role", id="role")])
def test_permissions_boundary_put_and_delete(bench: Bench, kind: str) -> None:
    entity = _create(bench, kind)
    first = bench.iam("CreatePolicy", PolicyName="b1", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    second = bench.iam("CreatePolicy", PolicyName="b2", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    bench.iam(f"Put{kind}PermissionsBoundary", **entity, PermissionsBoundary=first)
    bench.iam(f"Put{kind}PermissionsBoundary", **entity, PermissionsBoundary=second)
    got = bench.iam(f"Get{kind}", **entity)[kind]
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == second
    usage = lambda arn: bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"]
    assert (usage(first), usage(second)) == (0, 1)
    bench.iam(f"Delete{kind}PermissionsBoundary", **entity)
    assert "PermissionsBoundary" not in bench.iam(f"Get{kind}", **entity)[kind]
    assert usage(second) == 0


def test_a_boundary_limits_what_the_identity_policies_allow(bench: Bench) -> None:
    boundary = bench.iam("CreatePolicy", PolicyName="only-list-users",
                         PolicyDocument=document(allow("iam:ListUsers")))["Policy"]["Arn"]
    alice = bench.user("alice", allow("iam:*"), PermissionsBoundary=boundary)
    bench.iam("ListUsers", as_=alice)
    with pytest.raises(AccessDenied) as raised:
        bench.iam("ListRoles", as_=alice)
    assert raised.value.message == (f"User: arn:aws:iam::{ACCOUNT}:user/alice is not authorized to perform: "
                                    "iam:ListRoles on resource: * because no permissions boundary allows the "
                                    "iam:ListRoles action")
