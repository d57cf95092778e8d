"""An implicit deny names what was missing: the statements that nearly allowed, and what each lacked."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codeconn.iam import Authorizer, Decision, PolicyKind, PolicySet, make_request, parse_policy

ROLE = "arn:aws:iam::111122223333:role/PipelineRole"
USE = "codestar-connections:UseConnection"
CONNECTION = "arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b"
P = "codestar-connections:"
READ_APPROVED = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadApproved", "Effect": "Allow", "Action": USE,
     "Resource": "arn:aws:codestar-connections:us-west-2:111122223333:connection/*",
     "Condition": {"StringEquals": {P + "ProviderPermissionsRequired": "read_only",
                                    P + "FullRepositoryId": ["acme/api", "acme/web"]}}},
    {"Sid": "Unrelated", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
]}


def decide(policies: PolicySet, context: dict[str, Any] | None = None, resource: str = CONNECTION,
           principal: str = ROLE) -> Decision:
    return Authorizer(policies).evaluate(make_request(principal=principal, action=USE, resource=resource,
                                                      context=context or {}), explain=True)


def identity(*documents: dict[str, Any]) -> PolicySet:
    return PolicySet(identity=[parse_policy(d, name=f"p{i}") for i, d in enumerate(documents)])


def test_absent_keys_are_named_for_the_statement_that_tests_them() -> None:
    decision = decide(identity(READ_APPROVED), {P + "ProviderAction": "GitPull"})
    assert decision.decision == "implicitDeny"
    assert decision.missing_context_keys == (P + "ProviderPermissionsRequired", P + "FullRepositoryId")
    (miss,) = decision.near_misses  # the s3 statement's action does not match: not a near miss
    assert (miss.statement.sid, miss.principal_named, miss.resource_matched) == ("ReadApproved", True, True)
    assert [u.absent for u in miss.unmet] == [True, True]
    assert miss.describe() == (f"statement ReadApproved of p0: {P}ProviderPermissionsRequired is absent from the "
                               f"request; {P}FullRepositoryId is absent from the request")


def test_a_present_value_that_does_not_fit_is_told_apart_from_an_absent_key() -> None:
    decision = decide(identity(READ_APPROVED), {P + "ProviderPermissionsRequired": "read_only",
                                                P + "FullRepositoryId": "acme/secret"})
    (miss,) = decision.near_misses
    assert [(u.key, u.absent) for u in miss.unmet] == [(P + "FullRepositoryId", False)]
    assert decision.missing_context_keys == ()
    assert "StringEquals codestar-connections:FullRepositoryId is not met" in miss.describe()


def test_a_resource_that_does_not_match_is_said() -> None:
    other_region = CONNECTION.replace("us-west-2", "eu-west-1")
    (miss,) = decide(identity(READ_APPROVED), {P + "ProviderPermissionsRequired": "read_only",
                                               P + "FullRepositoryId": "acme/api"}, resource=other_region).near_misses
    assert (miss.resource_matched, miss.unmet) == (False, ())
    assert miss.describe().endswith("the resource does not match")


def test_the_near_misses_are_those_of_the_kind_of_policy_that_denied() -> None:
    boundary = {"Version": "2012-10-17", "Statement": [
        {"Sid": "OnlyApi", "Effect": "Allow", "Action": USE, "Resource": "*",
         "Condition": {"StringEquals": {P + "FullRepositoryId": "acme/api"}}}]}
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    policies = PolicySet(identity=[parse_policy(everything, name="admin")],
                         boundaries=[parse_policy(boundary, name="boundary")])
    decision = decide(policies)
    assert decision.reason() == "because no permissions boundary allows the action"
    assert [(m.statement.policy, m.missing_keys) for m in decision.near_misses] == [
        ("boundary", (P + "FullRepositoryId",))]


def test_a_resource_policy_that_does_not_name_the_caller_is_said() -> None:
    resource_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": USE,
         "Resource": "*"}]}
    policies = PolicySet(identity=[parse_policy(READ_APPROVED, name="role")],
                         resource=parse_policy(resource_policy, name="connection", kind=PolicyKind.RESOURCE))
    decision = decide(policies, principal="arn:aws:iam::999999999999:role/Outsider")
    (miss,) = decision.near_misses
    assert (miss.statement.sid, miss.principal_named) == ("Partner", False)


@pytest.mark.parametrize("context", [
    pytest.param({P + "ProviderPermissionsRequired": "read_only", P + "FullRepositoryId": "acme/api"}, id="allowed"),
    pytest.param({P + "ProviderAction": "GitPush"}, id="explicit deny"),
])
def test_only_an_implicit_deny_has_near_misses(context: dict[str, str]) -> None:
    deny_push = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": USE, "Resource": "*",
         "Condition": {"StringEquals": {P + "ProviderAction": "GitPush"}}}]}
    decision = decide(identity(READ_APPROVED, deny_push), context)
    assert decision.decision != "implicitDeny"
    assert decision.near_misses == () and decision.missing_context_keys == ()


@given(repository=st.sampled_from(["acme/api", "acme/web", "acme/other"]),
       permissions=st.sampled_from(["read_only", "read_write"]),
       given_keys=st.sets(st.sampled_from(["repository", "permissions"])))
def test_supplying_the_missing_keys_is_what_the_explanation_says_it_is(repository: str, permissions: str,
                                                                        given_keys: set[str]) -> None:
    """The explanation agrees with the decision: with every absent key given a fitting value, it allows."""
    values = {"repository": (P + "FullRepositoryId", repository),
              "permissions": (P + "ProviderPermissionsRequired", permissions)}
    context = dict(values[name] for name in given_keys)
    policies = identity(READ_APPROVED)
    decision = decide(policies, context)
    fitting = {P + "FullRepositoryId": "acme/api", P + "ProviderPermissionsRequired": "read_only"}
    if decision.allowed:
        return
    (miss,) = decision.near_misses
    assert set(miss.missing_keys) == set(fitting) - set(context)
    if all(u.absent for u in miss.unmet):
        assert decide(policies, {**context, **{k: fitting[k] for k in miss.missing_keys}}).allowed


def test_the_first_scp_level_that_does_not_allow_is_the_one_explained() -> None:
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    github_only = {"Version": "2012-10-17", "Statement": [
        {"Sid": "GitHubRepos", "Effect": "Allow", "Action": USE, "Resource": "*",
         "Condition": {"StringLike": {P + "FullRepositoryId": "github-org/*"}}}]}
    policies = PolicySet(identity=[parse_policy(everything, name="admin")],
                         scps=[[parse_policy(everything, name="root")], [parse_policy(github_only, name="ou")]])
    decision = decide(policies, {P + "FullRepositoryId": "acme/api"})
    assert decision.reason() == "because no service control policy allows the action"
    assert [(m.statement.policy, [u.key for u in m.unmet]) for m in decision.near_misses] == [
        ("ou", [P + "FullRepositoryId"])]


def test_without_explain_a_decision_costs_no_search_and_carries_none() -> None:
    request = make_request(principal=ROLE, action=USE, resource=CONNECTION)
    assert Authorizer(identity(READ_APPROVED)).evaluate(request).near_misses == ()
