"""The simulation operations against AWS's API reference (botocore's iam model, and AWS's IAM API docs).

Each test is one documented rule of SimulateCustomPolicy / SimulatePrincipalPolicy:
ResourceOwner is an account's ARN and says who owns resources whose ARN names no
account (and the resource policy); its default is the CallerArn's account;
CallerArn is an IAM user; ResourceHandlingOption takes AWS's scenario names;
MissingContextValues sits where AWS puts it; the two decision details come from
the boundary and the SCPs themselves; the server's own SCPs apply.
"""

from __future__ import annotations

from typing import Any

import pytest
from iam_bench import ACCOUNT, CATALOG, OTHER_ACCOUNT, Bench, allow, deny, document, trust

from codeconn.auth import OrgPolicies, PolicyAuthorizer
from codeconn.iam import PolicyKind, parse_policy
from codeconn.service.call import IamMode
from codeconn.service.errors import IamError

USE = "codestar-connections:UseConnection"
CONNECTION = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/abc"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BUCKET = "arn:aws:s3:::my-bucket"


def _one(out: dict[str, Any]) -> dict[str, Any]:
    results: list[dict[str, Any]] = out["EvaluationResults"]
    assert len(results) == 1
    return results[0]


def _invalid(bench: Bench, operation: str, **params: Any) -> str:
    with pytest.raises(IamError) as raised:
        bench.iam(operation, **params)
    assert raised.value.code == "InvalidInput"
    return raised.value.message


# -- ResourceOwner ------------------------------------------------------------------------------

TAGGED = document(allow("s3:ListBucket", Condition={"StringEquals": {"aws:ResourceTag/Environment": "production"}}))
PRODUCTION = [{"ContextKeyName": "aws:ResourceTag/Environment", "ContextKeyValues": ["production"],
               "ContextKeyType": "string"}]


def test_the_issue_example_is_allowed_with_the_owner_given_as_an_account_arn(bench: Bench) -> None:
    out = bench.iam("SimulateCustomPolicy", PolicyInputList=[TAGGED], ActionNames=["s3:ListBucket"],
                    ResourceArns=[BUCKET], CallerArn="arn:aws:iam::123456789012:user/test-user",
                    ResourceOwner="arn:aws:iam::123456789012:root", ContextEntries=PRODUCTION)
    assert _one(out)["EvalDecision"] == "allowed"


OWNED = document(allow("s3:ListBucket", Condition={"StringEquals": {"aws:ResourceAccount": OTHER_ACCOUNT}}))


@pytest.mark.parametrize("resource, owner, caller_account, decision", [
    pytest.param(BUCKET, None, OTHER_ACCOUNT, "allowed", id="no owner: the CallerArn's account owns the resource"),
    pytest.param(BUCKET, f"arn:aws:iam::{OTHER_ACCOUNT}:root", OTHER_ACCOUNT, "allowed",
                 id="an ARN without an account: ResourceOwner's account"),
    pytest.param(BUCKET, f"arn:aws:iam::{ACCOUNT}:root", OTHER_ACCOUNT, "implicitDeny",
                 id="an owner other than the caller's account"),
    pytest.param(f"arn:aws:s3:us-east-1:{ACCOUNT}:thing/x", f"arn:aws:iam::{OTHER_ACCOUNT}:root", OTHER_ACCOUNT,
                 "implicitDeny", id="an ARN with an account: its own, whatever ResourceOwner says"),
    pytest.param("*", f"arn:aws:iam::{OTHER_ACCOUNT}:root", OTHER_ACCOUNT, "allowed",
                 id="all resources: ResourceOwner"),
])
def test_the_resources_account(bench: Bench, resource: str, owner: str | None, caller_account: str,
                               decision: str) -> None:
    params: dict[str, Any] = {"PolicyInputList": [OWNED], "ActionNames": ["s3:ListBucket"], "ResourceArns": [resource],
                              "CallerArn": f"arn:aws:iam::{caller_account}:user/bob"}
    if owner:
        params["ResourceOwner"] = owner
    assert _one(bench.iam("SimulateCustomPolicy", **params))["EvalDecision"] == decision


def test_the_resource_policys_owner_is_the_resource_owner(bench: Bench) -> None:
    """Same account, a resource policy naming the user allows alone; across accounts the identity must too."""
    params: dict[str, Any] = {
        "PolicyInputList": [document(allow("s3:GetObject"))], "ActionNames": ["s3:ListBucket"],
        "ResourceArns": [BUCKET], "CallerArn": ALICE,
        "ResourcePolicy": document({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": "s3:ListBucket",
                                    "Resource": BUCKET})}
    assert _one(bench.iam("SimulateCustomPolicy", **params))["EvalDecision"] == "allowed"
    assert _one(bench.iam("SimulateCustomPolicy", **params, ResourceOwner=f"arn:aws:iam::{ACCOUNT}:root")
                )["EvalDecision"] == "allowed"
    assert _one(bench.iam("SimulateCustomPolicy", **params, ResourceOwner=f"arn:aws:iam::{OTHER_ACCOUNT}:root")
                )["EvalDecision"] == "implicitDeny"


@pytest.mark.parametrize("owner", [
    pytest.param(ACCOUNT, id="an account ID (SimulateCustomPolicy takes the account's ARN)"),
    pytest.param(ALICE, id="a user's ARN"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:root/x", id="more after root"),
    pytest.param("arn:aws:iam::1234:root", id="not a 12-digit account"),
    pytest.param("owner", id="not an ARN"),
])
def test_a_resource_owner_that_is_no_accounts_arn_is_refused(bench: Bench, owner: str) -> None:
    message = _invalid(bench, "SimulateCustomPolicy", PolicyInputList=[OWNED], ActionNames=["s3:ListBucket"],
                       ResourceOwner=owner)
    assert message == f"'{owner}' is not a valid as a Resource Owner."


def test_simulate_principal_policy_takes_the_owner_as_an_account_id_or_arn(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    bench.iam("PutUserPolicy", UserName="alice", PolicyName="p", PolicyDocument=document(
        allow("s3:ListBucket", Condition={"StringEquals": {"aws:ResourceAccount": ACCOUNT}})))

    def decision(owner: str) -> str:
        return str(_one(bench.iam("SimulatePrincipalPolicy", PolicySourceArn=ALICE, ActionNames=["s3:ListBucket"],
                                  ResourceArns=[BUCKET], ResourceOwner=owner))["EvalDecision"])

    assert [decision(owner) for owner in (ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", OTHER_ACCOUNT)] == [
        "allowed", "allowed", "implicitDeny"]
    _invalid(bench, "SimulatePrincipalPolicy", PolicySourceArn=ALICE, ActionNames=["s3:ListBucket"],
             ResourceOwner="someone")


# -- CallerArn ----------------------------------------------------------------------------------

@pytest.mark.parametrize("caller", [
    pytest.param(f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", id="an assumed role"),
    pytest.param(f"arn:aws:sts::{ACCOUNT}:federated-user/f", id="a federated user"),
    pytest.param("codepipeline.amazonaws.com", id="a service principal"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:root", id="an account"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:role/r", id="a role"),
    pytest.param("alice", id="not an ARN"),
])
@pytest.mark.parametrize("operation", ["SimulateCustomPolicy", "SimulatePrincipalPolicy"])
def test_the_caller_is_only_an_iam_user(bench: Bench, caller: str, operation: str) -> None:
    bench.iam("CreateUser", UserName="alice")
    params: dict[str, Any] = {"ActionNames": [USE], "CallerArn": caller}
    if operation == "SimulateCustomPolicy":
        params["PolicyInputList"] = [document(allow(USE))]
    else:
        params["PolicySourceArn"] = ALICE
    message = _invalid(bench, operation, **params)
    assert message == f"Invalid CallerArn: {caller}. You can specify only the ARN of an IAM user."


def test_a_resource_policy_needs_a_caller_unless_the_source_is_a_user(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    bench.role("ci", trust({"AWS": ACCOUNT}), allow(USE))
    policy = document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": USE, "Resource": "*"})
    role = f"arn:aws:iam::{ACCOUNT}:role/ci"
    message = _invalid(bench, "SimulatePrincipalPolicy", PolicySourceArn=role, ActionNames=[USE],
                       ResourcePolicy=policy)
    assert "CallerArn" in message
    out = bench.iam("SimulatePrincipalPolicy", PolicySourceArn=role, ActionNames=[USE], ResourcePolicy=policy,
                    CallerArn=ALICE)
    assert _one(out)["EvalDecision"] == "allowed"
    out = bench.iam("SimulatePrincipalPolicy", PolicySourceArn=ALICE, ActionNames=[USE], ResourcePolicy=policy)
    assert _one(out)["EvalDecision"] == "implicitDeny"


# -- ResourceHandlingOption ---------------------------------------------------------------------

EC2 = f"arn:aws:ec2:us-east-1:{ACCOUNT}"
EC2_EBS = [f"{EC2}:instance/i-1", f"{EC2}:image/ami-1", f"{EC2}:security-group/sg-1",
           f"{EC2}:network-interface/eni-1", f"{EC2}:volume/vol-1"]


def test_resource_handling_options_are_awss_scenarios(bench: Bench) -> None:
    params: dict[str, Any] = {"PolicyInputList": [document(allow("ec2:*"))], "ActionNames": ["ec2:RunInstances"]}
    out = bench.iam("SimulateCustomPolicy", **params, ResourceArns=EC2_EBS, ResourceHandlingOption="EC2-VPC-EBS")
    assert {r["EvalDecision"] for r in out["EvaluationResults"]} == {"allowed"}
    message = _invalid(bench, "SimulateCustomPolicy", **params, ResourceArns=EC2_EBS[:-1],
                       ResourceHandlingOption="EC2-VPC-EBS")
    assert message == "ResourceHandlingOption EC2-VPC-EBS requires a volume in ResourceArns."
    message = _invalid(bench, "SimulateCustomPolicy", **params, ResourceHandlingOption="EC2-Classic-EBS")
    assert message.startswith("Invalid ResourceHandlingOption: EC2-Classic-EBS.")


# -- MissingContextValues -----------------------------------------------------------------------

PULL = {"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}}


def test_missing_context_values_are_per_resource_when_resources_are_named(bench: Bench) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE], ResourceArns=[CONNECTION],
                    PolicyInputList=[document(allow(USE, Condition=PULL))])
    result = _one(out)
    assert result["MissingContextValues"] == []
    assert [(r["EvalResourceName"], r["EvalResourceDecision"], r["MissingContextValues"])
            for r in result["ResourceSpecificResults"]] == [
        (CONNECTION, "implicitDeny", ["codestar-connections:ProviderAction"])]


def test_missing_context_values_leave_out_the_scps_keys(bench: Bench) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(allow(USE, Condition=PULL))],
                    OrderedOrganizationPolicyInputList=[{"ServiceControlPolicyInputList": [document(
                        allow("*", Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))]}])
    assert _one(out)["MissingContextValues"] == ["codestar-connections:ProviderAction"]


# -- the decision details -----------------------------------------------------------------------

@pytest.mark.parametrize("identity, boundary, allowed_by_boundary", [
    pytest.param([deny(USE)], [allow(USE)], True, id="identity denies, the boundary allows"),
    pytest.param([deny(USE)], [allow("s3:*")], False, id="identity denies first, the boundary does not allow"),
    pytest.param([allow("s3:*")], [allow("s3:*")], False, id="nothing allows, the boundary neither"),
    pytest.param([allow("s3:*")], [allow(USE)], True, id="nothing allows, but the boundary does"),
    pytest.param([allow(USE)], [allow("*"), deny(USE)], False, id="the boundary denies"),
])
def test_allowed_by_the_boundary_is_the_boundarys_own_answer(bench: Bench, identity: list[dict[str, Any]],
                                                             boundary: list[dict[str, Any]],
                                                             allowed_by_boundary: bool) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(*identity)],
                    PermissionsBoundaryPolicyInputList=[document(*boundary)])
    assert _one(out)["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": allowed_by_boundary}


@pytest.mark.parametrize("identity, levels, allowed_by_organizations", [
    pytest.param([deny(USE)], [[allow("s3:*")]], False, id="identity denies first, the SCPs do not allow"),
    pytest.param([deny(USE)], [[allow("*")], [allow(USE)]], True, id="identity denies, every level allows"),
    pytest.param([allow(USE)], [[allow("*")], [allow("s3:*")]], False, id="a lower level does not allow"),
    pytest.param([allow("s3:*")], [[allow("*"), deny(USE)]], False, id="a level denies"),
])
def test_allowed_by_organizations_is_the_scps_own_answer(bench: Bench, identity: list[dict[str, Any]],
                                                         levels: list[list[dict[str, Any]]],
                                                         allowed_by_organizations: bool) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(*identity)],
                    OrderedOrganizationPolicyInputList=[{"ServiceControlPolicyInputList": [document(*level)]}
                                                        for level in levels])
    assert _one(out)["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": allowed_by_organizations}


# -- the server's organization ------------------------------------------------------------------

def test_simulate_principal_policy_applies_the_servers_scps_and_rcps(bench: Bench) -> None:
    scps = ((parse_policy(document(allow("*")), name="0-root/scp/all", kind=PolicyKind.SCP),),
            (parse_policy(document(allow("s3:*")), name="1-ou/scp/s3", kind=PolicyKind.SCP),))
    rcps = ((parse_policy(document({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                                   {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
                                    "Resource": "*"}), name="0-root/rcp/r", kind=PolicyKind.RCP),),)
    bench.iam("CreateUser", UserName="alice")
    bench.iam("PutUserPolicy", UserName="alice", PolicyName="all", PolicyDocument=document(allow("*")))
    bench.authorizer = PolicyAuthorizer(mode=IamMode.OFF, org=OrgPolicies(scps, rcps, ("0-root", "1-ou")),
                                        catalog=CATALOG)  # off: the root's own calls are not what is tested
    out = bench.iam("SimulatePrincipalPolicy", PolicySourceArn=ALICE,
                    ActionNames=[USE, "s3:GetObject", "s3:DeleteBucket"])["EvaluationResults"]
    assert [(r["EvalDecision"], r["OrganizationsDecisionDetail"]["AllowedByOrganizations"]) for r in out] == [
        ("implicitDeny", False), ("allowed", True), ("explicitDeny", True)]


# -- pagination ---------------------------------------------------------------------------------

def test_pages_put_together_are_the_whole_answer(bench: Bench) -> None:
    params: dict[str, Any] = {"PolicyInputList": [document(allow("s3:Get*"), deny("s3:GetObject", "arn:aws:s3:::b/*"))],
                              "ActionNames": ["s3:GetObject", "s3:PutObject", "s3:GetBucketTagging"],
                              "ResourceArns": [f"arn:aws:s3:::b/{n}" for n in range(5)] + ["arn:aws:s3:::c/1"]}
    whole = bench.iam("SimulateCustomPolicy", **params)
    assert whole["IsTruncated"] is False and len(whole["EvaluationResults"]) == 18
    pages: list[dict[str, Any]] = []
    marker: dict[str, Any] = {}
    while True:
        out = bench.iam("SimulateCustomPolicy", **params, MaxItems=4, **marker)
        pages.extend(out["EvaluationResults"])
        if not out["IsTruncated"]:
            break
        assert len(out["EvaluationResults"]) == 4
        marker = {"Marker": out["Marker"]}
    assert pages == whole["EvaluationResults"]
