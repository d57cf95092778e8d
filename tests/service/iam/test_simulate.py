"""SimulatePrincipalPolicy and SimulateCustomPolicy answer what the engine decides."""

from __future__ import annotations

from typing import Any

import pytest
from iam_bench import ACCOUNT, Bench, allow, deny, document, trust

from codeconn.iam import PolicyKind, PolicySet, evaluate, make_request, parse_policy
from codeconn.service.errors import IamError

CONNECTION = f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/abc"
USE = "codestar-connections:UseConnection"


def _results(out: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in out["EvaluationResults"]]


CUSTOM_CASES = [
    pytest.param([allow(USE)], [], USE, {}, id="allow"),
    pytest.param([allow(USE), deny(USE)], [], USE, {}, id="explicit deny"),
    pytest.param([allow("s3:*")], [], USE, {}, id="implicit deny"),
    pytest.param([allow(USE, Condition={"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}})], [],
                 USE, {"codestar-connections:ProviderAction": ("GitPull", "string")}, id="condition met"),
    pytest.param([allow(USE, Condition={"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}})], [],
                 USE, {"codestar-connections:ProviderAction": ("GitPush", "string")}, id="condition not met"),
    pytest.param([allow("*")], [allow("s3:*")], USE, {}, id="boundary denies"),
]


@pytest.mark.parametrize("identity, boundary, action, context", CUSTOM_CASES)
def test_custom_simulation_equals_the_engine(bench: Bench, identity: list[dict[str, Any]],
                                             boundary: list[dict[str, Any]], action: str,
                                             context: dict[str, tuple[str, str]]) -> None:
    params: dict[str, Any] = {
        "PolicyInputList": [document(s) for s in identity], "ActionNames": [action], "ResourceArns": [CONNECTION],
        "ContextEntries": [{"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": t}
                           for k, (v, t) in context.items()]}
    if boundary:
        params["PermissionsBoundaryPolicyInputList"] = [document(*boundary)]
    out = bench.iam("SimulateCustomPolicy", **params)
    expected = evaluate(
        PolicySet(identity=[parse_policy(document(s)) for s in identity],
                  boundaries=[parse_policy(document(*boundary), kind=PolicyKind.BOUNDARY)] if boundary else ()),
        make_request(principal=f"arn:aws:iam::{ACCOUNT}:user/SimulatedUser", action=action, resource=CONNECTION,
                     context={k: v for k, (v, _) in context.items()}))
    assert _results(out) == [(action, CONNECTION, expected.decision)]


def test_principal_simulation_names_the_matched_policies(bench: Bench) -> None:
    managed = bench.iam("CreatePolicy", PolicyName="Connections", PolicyDocument=document(allow(USE)))["Policy"]["Arn"]
    bench.iam("CreateUser", UserName="alice")
    bench.iam("PutUserPolicy", UserName="alice", PolicyName="NoPush",
              PolicyDocument=document(deny(USE, Condition={"StringEquals": {
                  "codestar-connections:ProviderAction": "GitPush"}})))
    bench.iam("AttachUserPolicy", UserName="alice", PolicyArn=managed)
    bench.iam("CreateGroup", GroupName="g")
    bench.iam("PutGroupPolicy", GroupName="g", PolicyName="GroupRead", PolicyDocument=document(allow("iam:Get*")))
    bench.iam("AddUserToGroup", GroupName="g", UserName="alice")
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/alice"

    def simulate(action: str, provider_action: str) -> dict[str, Any]:
        return bench.iam("SimulatePrincipalPolicy", PolicySourceArn=user_arn, ActionNames=[action],
                         ContextEntries=[{"ContextKeyName": "codestar-connections:ProviderAction",
                                          "ContextKeyValues": [provider_action], "ContextKeyType": "string"}],
                         )["EvaluationResults"][0]

    pull = simulate(USE, "GitPull")
    assert pull["EvalDecision"] == "allowed"
    assert pull["MatchedStatements"] == [{"SourcePolicyId": "Connections", "SourcePolicyType": "user-managed"}]
    push = simulate(USE, "GitPush")
    assert push["EvalDecision"] == "explicitDeny"
    assert push["MatchedStatements"] == [{"SourcePolicyId": "NoPush", "SourcePolicyType": "user"}]
    group = simulate("iam:GetRole", "GitPull")
    assert group["MatchedStatements"] == [{"SourcePolicyId": "GroupRead", "SourcePolicyType": "group"}]


def test_missing_context_values_are_reported(bench: Bench) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(
        allow(USE, Condition={"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}}),
        allow("s3:*", Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}))])
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["codestar-connections:ProviderAction"]


def test_role_simulation_with_boundary_detail(bench: Bench) -> None:
    boundary = bench.iam("CreatePolicy", PolicyName="b", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    bench.role("ci", trust({"AWS": ACCOUNT}), allow("*"), PermissionsBoundary=boundary)
    out = bench.iam("SimulatePrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/ci",
                    ActionNames=["s3:GetObject", USE])["EvaluationResults"]
    assert [(r["EvalDecision"], r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"])
            for r in out] == [("allowed", True), ("implicitDeny", False)]


def test_policy_inputs_add_to_the_principals_policies(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    out = bench.iam("SimulatePrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                    ActionNames=[USE], PolicyInputList=[document(allow(USE))])["EvaluationResults"][0]
    assert out["EvalDecision"] == "allowed"
    assert out["MatchedStatements"] == [{"SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "none"}]


def test_custom_simulation_with_scp_levels_and_a_resource_policy(bench: Bench) -> None:
    out = bench.iam("SimulateCustomPolicy", ActionNames=[USE, "s3:GetObject"], PolicyInputList=[document(allow("*"))],
                    OrderedOrganizationPolicyInputList=[
                        {"ServiceControlPolicyInputList": [document(allow("*"))]},
                        {"ServiceControlPolicyInputList": [document(allow("s3:*"))]}])
    assert [(r["EvalDecision"], r["OrganizationsDecisionDetail"]["AllowedByOrganizations"])
            for r in out["EvaluationResults"]] == [("implicitDeny", False), ("allowed", True)]
    with pytest.raises(IamError) as raised:
        bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(allow("*"))],
                  ResourcePolicy=document({"Effect": "Allow", "Principal": "*", "Action": USE, "Resource": "*"}))
    assert raised.value.code == "InvalidInput"
    cross = bench.iam("SimulateCustomPolicy", ActionNames=[USE], PolicyInputList=[document(allow("*"))],
                      ResourceArns=["arn:aws:codestar-connections:us-east-1:444455556666:connection/x"],
                      CallerArn=f"arn:aws:iam::{ACCOUNT}:user/alice",
                      ResourcePolicy=document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": USE,
                                               "Resource": "*"}))
    assert cross["EvaluationResults"][0]["EvalDecision"] == "allowed"


@pytest.mark.parametrize("params, code", [
    pytest.param({"PolicyInputList": ["{bad"], "ActionNames": [USE]}, "InvalidInput", id="malformed input policy"),
    pytest.param({"PolicyInputList": [document(allow("*"))], "ActionNames": [USE],
                  "ContextEntries": [{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["yesterday"],
                                      "ContextKeyType": "date"}]}, "InvalidInput", id="context value of the wrong type"),
])
def test_bad_simulation_input(bench: Bench, params: dict[str, Any], code: str) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("SimulateCustomPolicy", **params)
    assert raised.value.code == code


def test_simulating_a_missing_principal(bench: Bench) -> None:
    with pytest.raises(IamError) as raised:
        bench.iam("SimulatePrincipalPolicy", PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/ghost", ActionNames=[USE])
    assert (raised.value.code, raised.value.message) == ("NoSuchEntity", "The user with name ghost cannot be found.")


def test_results_page(bench: Bench) -> None:
    params = {"PolicyInputList": [document(allow("*"))], "ActionNames": ["s3:A", "s3:B", "s3:C"], "MaxItems": 2}
    first = bench.iam("SimulateCustomPolicy", **params)
    assert first["IsTruncated"] and len(first["EvaluationResults"]) == 2
    rest = bench.iam("SimulateCustomPolicy", **params, Marker=first["Marker"])
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["s3:C"]
