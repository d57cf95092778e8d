"""Reading policy test files: each rule that policy-test-format.md fixes, as a user would write it."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import codeconn.policytest as policytest
from codeconn.policytest import CaseFileError, load_cases, load_file, run_cases

ROLE = "arn:aws:iam::111122223333:role/PipelineRole"
CONNECTION = "arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b"
USE = "codestar-connections:UseConnection"

ALLOW_USE: dict[str, Any] = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AllowUse", "Effect": "Allow", "Action": USE, "Resource": "*"}]}
ALLOW_ALL: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
ALLOW_PULL: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{
    "Sid": "AllowPull", "Effect": "Allow", "Action": USE, "Resource": "*",
    "Condition": {"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}}}]}


def one_case(**case: Any) -> dict[str, Any]:
    """A file with one case calling UseConnection as PipelineRole; `case` fields override."""
    base: dict[str, Any] = {"name": "the case", "request": {"principal": ROLE, "action": USE, "resource": CONNECTION},
                            "identityPolicies": ["allow-use"], "expect": "allowed"}
    base.update(case)
    return {"policies": {"allow-use": ALLOW_USE, "allow-all": ALLOW_ALL, "allow-pull": ALLOW_PULL}, "cases": [base]}


def decide(data: dict[str, Any]) -> list[str]:
    return [r.decision.decision for r in run_cases(load_cases(data, "t.json")).results]


def problems(data: Any) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        load_cases(data, "t.json")
    return [str(p) for p in caught.value.problems]


# -- fields the format does not name are ignored --------------------------------------------

def test_unknown_fields_are_ignored_at_every_level_of_the_file() -> None:
    data = one_case(note="case-level comment", request={
        "principal": ROLE, "action": USE, "resource": CONNECTION, "description": "request-level comment"})
    data["description"] = "file-level comment"
    data["defaults"] = {"note": "defaults-level comment", "request": {"comment": "in defaults.request"}}
    assert decide(data) == ["allowed"]


def test_unknown_fields_inside_policy_documents_are_ignored_too() -> None:
    data = one_case()
    data["policies"]["allow-use"] = {**ALLOW_USE, "note": "why this policy exists",
                                     "Statement": [{**ALLOW_USE["Statement"][0], "description": "the grant"}]}
    assert decide(data) == ["allowed"]


# -- a string policy is a name in "policies" ------------------------------------------------

@pytest.mark.parametrize("field, value, where", [
    pytest.param("identityPolicies", ["nope"], "identityPolicies[0]", id="identity policy"),
    pytest.param("resourcePolicy", "nope", "resourcePolicy", id="resource policy"),
    pytest.param("permissionBoundaries", ["allow-use", "nope"], "permissionBoundaries[1]", id="boundary"),
    pytest.param("sessionPolicy", "nope", "sessionPolicy", id="session policy"),
    pytest.param("serviceControlPolicies", [["allow-all"], ["nope"]], "serviceControlPolicies[1][0]", id="scp level"),
    pytest.param("resourceControlPolicies", [["nope"]], "resourceControlPolicies[0][0]", id="rcp level"),
])
def test_an_unknown_policy_name_is_a_fault_naming_file_case_and_field(field: str, value: Any, where: str) -> None:
    assert problems(one_case(**{field: value})) == [
        f"t.json: cases[0] ('the case'): {where}: unknown policy 'nope' (not in \"policies\")"]


def test_policies_may_be_names_or_inline_documents_and_inline_ones_are_named_by_their_field() -> None:
    data = one_case(identityPolicies=["allow-pull", ALLOW_USE])
    [result] = run_cases(load_cases(data, "t.json")).results
    assert [m.policy for m in result.decision.matched] == ["identityPolicies[1]"]


# -- context values --------------------------------------------------------------------------

@pytest.mark.parametrize("context, expect", [
    pytest.param({"aws:TagKeys": ["team", "env"]}, "allowed", id="a list is a multivalued key"),
    pytest.param({"aws:TagKeys": ["team", "owner"]}, "implicitDeny", id="every value of the list is compared"),
    pytest.param({"aws:TagKeys": "team"}, "allowed", id="a string is a single value"),
])
def test_a_list_is_a_multivalued_key_and_a_scalar_a_single_value(context: dict[str, Any], expect: str) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": USE, "Resource": "*", "Condition": {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}}]}
    data = one_case(request={"principal": ROLE, "action": USE, "resource": CONNECTION, "context": context},
                    identityPolicies=[policy])
    assert decide(data) == [expect]


@pytest.mark.parametrize("key, value", [
    pytest.param("aws:SecureTransport", True, id="a boolean is true or false"),
    pytest.param("aws:MultiFactorAuthAge", 300, id="a number is its decimal text"),
])
def test_numbers_and_booleans_are_single_values(key: str, value: Any) -> None:
    operator = "Bool" if isinstance(value, bool) else "NumericEquals"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": USE, "Resource": "*",
                                                      "Condition": {operator: {key: value}}}]}
    data = one_case(request={"principal": ROLE, "action": USE, "resource": CONNECTION, "context": {key: value}},
                    identityPolicies=[policy])
    assert decide(data) == ["allowed"]


def test_context_keys_are_matched_case_insensitively() -> None:
    data = one_case(identityPolicies=["allow-pull"], request={
        "principal": ROLE, "action": USE, "resource": CONNECTION,
        "context": {"CODESTAR-CONNECTIONS:provideraction": "GitPull"}})
    assert decide(data) == ["allowed"]


def test_a_case_context_key_replaces_the_default_whatever_its_case() -> None:
    data = one_case(identityPolicies=["allow-pull"], request={
        "principal": ROLE, "action": USE, "resource": CONNECTION,
        "context": {"codestar-connections:provideraction": "GitPull"}})
    data["defaults"] = {"request": {"context": {"codestar-connections:ProviderAction": "GitPush"}}}
    assert decide(data) == ["allowed"]


@pytest.mark.parametrize("context, field, message", [
    pytest.param({"aws:CurrentTime": "yesterday"}, "request.context.aws:CurrentTime", "'yesterday' is not a valid value",
                 id="a Date key holds a date"),
    pytest.param({"aws:SecureTransport": "yes"}, "request.context.aws:SecureTransport", "'yes' is not a valid value",
                 id="a Bool key holds true or false"),
    pytest.param({"aws:SourceIp": "10.0.0.300"}, "request.context.aws:SourceIp", "is not a valid value",
                 id="an IPAddress key holds an address"),
    pytest.param({"aws:SourceIp": ["10.0.0.1", "10.0.0.2"]}, "request.context.aws:SourceIp", "is single-valued",
                 id="a single-valued key holds one value"),
    pytest.param({"codestar-connections:ProviderAction": None}, "request.context.codestar-connections:ProviderAction",
                 "not null", id="null is not a value"),
    pytest.param({"codestar-connections:ProviderAction": {"a": 1}},
                 "request.context.codestar-connections:ProviderAction", "not dict", id="an object is not a value"),
    pytest.param({"aws:TagKeys": ["a"], "AWS:TAGKEYS": ["b"]}, "request.context.AWS:TAGKEYS", "same key as 'aws:TagKeys'",
                 id="two spellings of one key"),
])
def test_a_context_value_that_does_not_fit_its_key_is_a_fault(context: dict[str, Any], field: str, message: str) -> None:
    data = one_case(request={"principal": ROLE, "action": USE, "resource": CONNECTION, "context": context})
    [problem] = problems(data)
    assert problem.startswith(f"t.json: cases[0] ('the case'): {field}: ")
    assert message in problem


# -- absent policies, empty levels, levels that allow nothing ----------------------------------

@pytest.mark.parametrize("scps, expect", [
    pytest.param(None, "allowed", id="absent: not in an organization"),
    pytest.param([], "allowed", id="an empty list of levels: not in an organization"),
    pytest.param([["allow-all"], ["allow-all"]], "allowed", id="every level allows"),
    pytest.param([["allow-all"], []], "implicitDeny", id="a level with no policies denies everything"),
    pytest.param([["allow-all"], ["allow-pull"]], "implicitDeny", id="a level that does not allow this denies"),
])
def test_service_control_policy_levels(scps: Any, expect: str) -> None:
    data = one_case(serviceControlPolicies=scps)
    if scps is None:
        del data["cases"][0]["serviceControlPolicies"]
    assert decide(data) == [expect]


def test_a_denying_level_is_reported_as_the_kind_of_policy_that_denied() -> None:
    [result] = run_cases(load_cases(one_case(resourceControlPolicies=[[]]), "t.json")).results
    assert result.decision.reason() == "because no resource control policy allows the action"


@pytest.mark.parametrize("value, where", [
    pytest.param(["allow-all"], "serviceControlPolicies[0]", id="a level must be a list"),
    pytest.param("allow-all", "serviceControlPolicies", id="levels must be a list"),
])
def test_levels_have_one_shape(value: Any, where: str) -> None:
    [problem] = problems(one_case(serviceControlPolicies=value))
    assert problem.startswith(f"t.json: cases[0] ('the case'): {where}: ")


# -- principals ------------------------------------------------------------------------------

def test_a_service_principal_is_written_as_its_service_name() -> None:
    resource_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": USE, "Resource": "*"}]}
    data = one_case(request={"principal": "codepipeline.amazonaws.com", "action": USE, "resource": CONNECTION},
                    identityPolicies=None, resourcePolicy=resource_policy)
    assert decide(data) == ["allowed"]


def test_the_resource_account_is_taken_from_the_arn_unless_given() -> None:
    other = CONNECTION.replace("111122223333", "444455556666")
    data = one_case(request={"principal": ROLE, "action": USE, "resource": other})
    data["cases"].append({**data["cases"][0], "request": {**data["cases"][0]["request"], "resourceAccount": "111122223333"}})
    cases = load_cases(data, "t.json")
    assert [c.request.resource_account for c in cases] == ["444455556666", "111122223333"]
    assert [r.decision.decision for r in run_cases(cases).results] == ["implicitDeny", "allowed"]


# -- defaults --------------------------------------------------------------------------------

def test_defaults_merge_under_each_case_request_field_by_field_and_context_key_by_key() -> None:
    data = {
        "policies": {"allow-pull": ALLOW_PULL},
        "defaults": {"request": {"principal": ROLE, "action": USE, "resource": CONNECTION,
                                 "context": {"codestar-connections:ProviderAction": "GitPull",
                                             "codestar-connections:BranchName": "main"}},
                     "identityPolicies": ["allow-pull"], "expect": "allowed"},
        "cases": [
            {"name": "all from defaults"},
            {"name": "the case wins", "request": {"context": {"codestar-connections:ProviderAction": "GitPush"}},
             "expect": "implicitDeny"},
        ],
    }
    cases = load_cases(data, "t.json")
    assert cases[1].request.context["codestar-connections:branchname"] == ("main",)
    assert decide(data) == ["allowed", "implicitDeny"]


# -- malformed files -------------------------------------------------------------------------

@pytest.mark.parametrize("data, expected", [
    pytest.param([], "t.json: a test file is an object with \"cases\"", id="not an object"),
    pytest.param({"policies": {}}, "t.json: cases: missing, or not a list", id="no cases"),
    pytest.param({"cases": [], "policies": []}, "t.json: policies: must be an object of named policy documents",
                 id="policies not an object"),
    pytest.param({"cases": ["x"]}, "t.json: cases[0]: a case must be an object", id="a case not an object"),
])
def test_a_malformed_file_names_what_is_wrong(data: Any, expected: str) -> None:
    assert problems(data) == [expected]


@pytest.mark.parametrize("case, field", [
    pytest.param({"expect": "Allowed"}, "expect", id="expect is one of AWS's decisions"),
    pytest.param({"expect": None}, "expect", id="expect is required"),
    pytest.param({"request": None}, "request", id="request is required"),
    pytest.param({"request": {"principal": ROLE, "resource": "*"}}, "request.action", id="action is required"),
    pytest.param({"request": {"principal": ROLE, "action": "UseConnection", "resource": "*"}}, "request.action",
                 id="action is service:action"),
    pytest.param({"request": {"principal": "bob", "action": USE, "resource": "*"}}, "request.principal",
                 id="principal is an ARN, account or service"),
    pytest.param({"request": {"principal": ROLE, "action": USE, "resource": "*", "resourceAccount": 111122223333}},
                 "request.resourceAccount", id="resourceAccount is a string"),
    pytest.param({"identityPolicies": "allow-use"}, "identityPolicies", id="identityPolicies is a list"),
    pytest.param({"identityPolicies": [42]}, "identityPolicies[0]", id="a policy is a name or a document"),
])
def test_a_malformed_case_names_file_case_and_field(case: dict[str, Any], field: str) -> None:
    [problem] = problems(one_case(**case))
    assert problem.startswith(f"t.json: cases[0] ('the case'): {field}: ")


def test_a_malformed_policy_is_reported_with_the_json_path_of_each_fault() -> None:
    broken = copy.deepcopy(ALLOW_USE)
    broken["Statement"][0]["Effect"] = "Alow"
    broken["Statement"].append({"Effect": "Allow", "Action": USE})
    data = one_case(identityPolicies=["broken"])
    data["policies"]["broken"] = broken
    data["cases"].append({**data["cases"][0], "name": "second"})
    assert problems(data) == [
        "t.json: cases[0] ('the case'): policies.broken.Statement[0].Effect: must be \"Allow\" or \"Deny\", not 'Alow'",
        "t.json: cases[0] ('the case'): policies.broken.Statement[1].Resource: "
        "missing required field (Resource or NotResource)",
    ]  # reported once, where first used


def test_every_fault_of_a_file_is_reported_together() -> None:
    data = one_case(expect="maybe")
    data["cases"].append({"name": "second", "request": {"principal": ROLE, "action": USE, "resource": "*",
                                                        "context": {"aws:CurrentTime": "soon"}}, "expect": "allowed"})
    assert [p.split(": ")[1] for p in problems(data)] == ["cases[0] ('the case')", "cases[1] ('second')"]


# -- files -----------------------------------------------------------------------------------

def test_yaml_is_read_as_yaml_1_2_so_iam_values_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("""
policies:
  p:
    Version: 2012-10-17
    Statement:
      - Effect: Allow
        Action: codestar-connections:UseConnection
        Resource: "*"
        Condition:
          StringEquals: {codestar-connections:BranchName: no, aws:PrincipalAccount: 011122223333}
cases:
  - name: unquoted values keep their text
    request:
      principal: arn:aws:iam::011122223333:role/R
      action: codestar-connections:UseConnection
      resource: "*"
      context: {codestar-connections:BranchName: no}
    identityPolicies: [p]
    expect: allowed
""")
    assert [r.decision.decision for r in run_cases(load_file(path)).results] == ["allowed"]


@pytest.mark.parametrize("name, text, message", [
    pytest.param("t.json", "{", "t.json: not valid JSON: Expecting property name enclosed in double quotes at line 1",
                 id="invalid JSON"),
    pytest.param("t.yaml", "cases: [", "t.yaml: not valid YAML: ", id="invalid YAML"),
])
def test_a_file_that_does_not_decode_names_the_file_and_the_place(tmp_path: Path, name: str, text: str,
                                                                  message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(CaseFileError) as caught:
        load_file(tmp_path / name)
    assert str(caught.value).startswith(str(tmp_path / message))


def test_a_missing_file_is_a_case_file_error(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError, match="missing.json: cannot read: No such file or directory"):
        load_file(tmp_path / "missing.json")


# -- sharing ---------------------------------------------------------------------------------

def test_cases_with_the_same_policies_share_one_policy_set_and_different_levels_do_not() -> None:
    data = one_case(serviceControlPolicies=[["allow-all"], ["allow-pull", "allow-use"]])
    first = data["cases"][0]
    data["cases"] += [{**first, "name": "same"},
                      {**first, "name": "levels split elsewhere",
                       "serviceControlPolicies": [["allow-all", "allow-pull"], ["allow-use"]]}]
    a, b, c = load_cases(data, "t.json")
    assert a.policies is b.policies
    assert a.policies is not c.policies


def test_the_public_names_are_all_exported() -> None:
    public = {n for n in dir(policytest) if not n.startswith("_")}
    modules = {"cases", "context", "documents", "errors", "runner"}
    assert set(policytest.__all__) == public - modules
