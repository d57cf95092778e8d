"""Customer managed policies, their versions, and the AWS managed policies codeconn knows."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from iam_bench import ACCOUNT, Bench, allow, document

from codeconn.service.errors import IamError

DOC = document(allow("codestar-connections:ListConnections"))
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _policy(bench: Bench, name: str = "read", **extra: object) -> str:
    return str(bench.iam("CreatePolicy", PolicyName=name, PolicyDocument=DOC, **extra)["Policy"]["Arn"])


def test_create_and_get_policy(bench: Bench) -> None:
    created = bench.iam("CreatePolicy", PolicyName="read", Path="/team/", PolicyDocument=DOC, Description="d",
                        Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/team/read" and created["PolicyId"].startswith("ANPA")
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    got = bench.iam("GetPolicy", PolicyArn=created["Arn"])["Policy"]
    assert got["Description"] == "d" and got["Tags"] == [{"Key": "k", "Value": "v"}]


def test_duplicate_policy_name(bench: Bench) -> None:
    _policy(bench)
    with pytest.raises(IamError) as raised:
        _policy(bench, "READ")
    assert (raised.value.code, raised.value.message) == (
        "EntityAlreadyExists", "A policy called READ already exists. Duplicate names are not allowed.")


@pytest.mark.parametrize("arn, code, message", [
    pytest.param(f"arn:aws:iam::{ACCOUNT}:policy/nope", "NoSuchEntity",
                 f"Policy arn:aws:iam::{ACCOUNT}:policy/nope was not found.", id="unknown"),
    pytest.param("arn:aws:iam::aws:policy/NoSuchAwsPolicy", "NoSuchEntity",
                 "Policy arn:aws:iam::aws:policy/NoSuchAwsPolicy was not found.", id="unknown AWS managed"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:role/not-a-policy", "InvalidInput",
                 f"ARN arn:aws:iam::{ACCOUNT}:role/not-a-policy is not valid.", id="not a policy ARN"),
])
def test_get_policy_errors(bench: Bench, arn: str, code: str, message: str) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("GetPolicy", PolicyArn=arn)
    assert (raised.value.code, raised.value.message) == (code, message)


def test_versions_up_to_five_and_the_default(bench: Bench) -> None:
    arn = _policy(bench)
    for n in range(2, 6):
        version = bench.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=document(allow(f"s3:Get{n}")),
                            SetAsDefault=n == 3)["PolicyVersion"]
        assert version["VersionId"] == f"v{n}" and version["IsDefaultVersion"] is (n == 3)
    with pytest.raises(IamError) as raised:
        bench.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=DOC)
    assert (raised.value.code, raised.value.message) == (
        "LimitExceeded", ("A managed policy can have up to 5 versions. Before you create a new version, you must "
                          "delete an existing version."))
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = bench.iam("ListPolicyVersions", PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [
        ("v5", False), ("v4", False), ("v3", True), ("v2", False), ("v1", False)]
    assert unquote(bench.iam("GetPolicyVersion", PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"]) == DOC
    with pytest.raises(IamError) as raised:
        bench.iam("DeletePolicyVersion", PolicyArn=arn, VersionId="v3")
    assert (raised.value.code, raised.value.message) == ("DeleteConflict",
                                                         "Cannot delete the default version of a policy.")
    bench.iam("DeletePolicyVersion", PolicyArn=arn, VersionId="v5")
    assert bench.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=DOC)["PolicyVersion"]["VersionId"] == "v6"
    bench.iam("SetDefaultPolicyVersion", PolicyArn=arn, VersionId="v6")
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v6"


@pytest.mark.parametrize("operation", ["GetPolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion"])
def test_missing_version(bench: Bench, operation: str) -> None:
    arn = _policy(bench)
    with pytest.raises(IamError) as raised:
        bench.iam(operation, PolicyArn=arn, VersionId="v9")
    assert (raised.value.code, raised.value.message) == (
        "NoSuchEntity", f"Policy {arn} version v9 does not exist or is not attachable.")


def test_delete_policy_refuses_while_attached_or_versioned(bench: Bench) -> None:
    arn = _policy(bench)
    bench.iam("CreateUser", UserName="alice")
    bench.iam("AttachUserPolicy", UserName="alice", PolicyArn=arn)
    assert bench.iam("GetPolicy", PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    with pytest.raises(IamError) as raised:
        bench.iam("DeletePolicy", PolicyArn=arn)
    assert (raised.value.code, raised.value.message) == ("DeleteConflict", "Cannot delete a policy attached to entities.")
    bench.iam("DetachUserPolicy", UserName="alice", PolicyArn=arn)
    bench.iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=DOC)
    with pytest.raises(IamError, match="must delete the policy's versions"):
        bench.iam("DeletePolicy", PolicyArn=arn)
    bench.iam("DeletePolicyVersion", PolicyArn=arn, VersionId="v2")
    bench.iam("DeletePolicy", PolicyArn=arn)
    with pytest.raises(IamError, match="was not found"):
        bench.iam("GetPolicy", PolicyArn=arn)


def test_aws_managed_policies_can_be_read_not_changed(bench: Bench) -> None:
    policy = bench.iam("GetPolicy", PolicyArn=ADMIN)["Policy"]
    assert policy["PolicyName"] == "AdministratorAccess"
    version = bench.iam("GetPolicyVersion", PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]
    assert '"Action": "*"' in unquote(version["Document"])
    for operation, extra in (("CreatePolicyVersion", {"PolicyDocument": DOC}), ("DeletePolicy", {})):
        with pytest.raises(IamError) as raised:
            bench.iam(operation, PolicyArn=ADMIN, **extra)
        assert raised.value.code == "InvalidInput"


def test_list_policies_by_scope_usage_and_path(bench: Bench) -> None:
    used, unused = _policy(bench, "used"), _policy(bench, "unused", Path="/x/")
    bench.iam("CreateUser", UserName="alice", PermissionsBoundary=used)
    names = lambda **p: [x["PolicyName"] for x in bench.iam("ListPolicies", **p)["Policies"]]
    assert names(Scope="Local") == ["unused", "used"]
    assert "AdministratorAccess" in names() and "AdministratorAccess" not in names(Scope="Local")
    assert names(Scope="AWS") == ["AdministratorAccess", "IAMFullAccess", "IAMReadOnlyAccess"]
    assert names(Scope="Local", PathPrefix="/x/") == ["unused"]
    assert names(OnlyAttached=True) == ["used"]
    assert names(PolicyUsageFilter="PermissionsBoundary") == ["used"]
    assert names(PolicyUsageFilter="PermissionsPolicy") == []
    assert unused.endswith("/x/unused")


def test_managed_policy_size_limit(bench: Bench) -> None:
    big = document(allow([f"s3:GetObjectVersionNumber{i:04d}" for i in range(250)]))
    with pytest.raises(IamError) as raised:
        bench.iam("CreatePolicy", PolicyName="big", PolicyDocument=big)
    assert (raised.value.code, raised.value.message) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144")
