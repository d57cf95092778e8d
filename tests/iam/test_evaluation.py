"""AWS's policy evaluation logic, step by step.

The tables are policy test files in tests/data/engine/ (the format users keep next
to their policies), one case per AWS rule, named after it. Beyond `expect`, a case
may state `expectDeniedBy` (the kind of policy AWS names in AccessDenied) and
`expectMatched` (the statements that decided, as `policy/Sid`); the format ignores
fields it does not name, so the files still run under `codeconn policy test`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeconn.iam import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Authorizer,
    Decision,
    MatchedStatement,
    PolicyKind,
    PolicySet,
    evaluate,
    make_request,
    parse_policy,
)
from codeconn.policytest import load_cases, load_file, run_cases

DATA = Path(__file__).parent.parent / "data" / "engine"
FILES = sorted(DATA.glob("*.json"))


def _table() -> list:
    params = []
    for path in FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw, case in zip(data["cases"], load_cases(data, path.name), strict=True):
            params.append(pytest.param(raw, case, id=f"{path.stem}: {case.name}"))
    return params


@pytest.mark.parametrize("raw, case", _table())
def test_engine_case(raw, case):
    decision = Authorizer(case.policies).evaluate(case.request)
    assert decision.decision == case.expect
    if "expectDeniedBy" in raw:
        denied_by = None if decision.decision == ALLOWED else decision.denied_by.value
        assert denied_by == raw["expectDeniedBy"]
    if "expectMatched" in raw:
        assert [f"{m.policy}/{m.sid or ''}" for m in decision.matched] == raw["expectMatched"]


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in FILES])
def test_data_files_pass_through_the_policy_test_runner(path):
    """The same files through the front door users run (`codeconn policy test` reads them so)."""
    report = run_cases(load_file(path))
    assert (report.passed, report.failed) == (len(report.results), 0)


def test_case_names_are_unique():
    """A case's name is the rule it checks; two cases with one name would hide one of them."""
    names = [p.id for p in _table()]
    assert len(names) == len(set(names))


# -- the Decision value --------------------------------------------------------------

USER = "arn:aws:iam::111122223333:user/alice"
CONNECTION = "arn:aws:codestar-connections:us-west-2:111122223333:connection/0a1b"
USE = "codestar-connections:UseConnection"


@pytest.mark.parametrize("decision, reason", [
    pytest.param(Decision(ALLOWED), "allowed", id="allowed"),
    pytest.param(Decision(EXPLICIT_DENY, (), PolicyKind.IDENTITY),
                 "with an explicit deny in an identity-based policy", id="explicit deny in an identity-based policy"),
    pytest.param(Decision(EXPLICIT_DENY, (), PolicyKind.SCP),
                 "with an explicit deny in a service control policy", id="explicit deny in an SCP"),
    pytest.param(Decision(EXPLICIT_DENY, (), PolicyKind.RCP),
                 "with an explicit deny in a resource control policy", id="explicit deny in an RCP"),
    pytest.param(Decision(IMPLICIT_DENY, (), PolicyKind.IDENTITY),
                 "because no identity-based policy allows the action", id="implicit deny: no identity-based allow"),
    pytest.param(Decision(IMPLICIT_DENY, (), PolicyKind.BOUNDARY),
                 "because no permissions boundary allows the action", id="implicit deny: the permissions boundary"),
    pytest.param(Decision(IMPLICIT_DENY, (), PolicyKind.SESSION),
                 "because no session policy allows the action", id="implicit deny: the session policy"),
    pytest.param(Decision(IMPLICIT_DENY, (), PolicyKind.RESOURCE),
                 "because no resource-based policy allows the action", id="implicit deny: the resource-based policy"),
])
def test_reason_uses_aws_wording(decision, reason):
    assert decision.reason() == reason


def test_matched_statements_say_where_they_are(make_policy, decide):
    policy = make_policy({"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                         {"Effect": "Allow", "Action": USE, "Resource": "*"}, name="pipeline-role")
    decision = decide([policy])
    assert decision == Decision(ALLOWED, (MatchedStatement("pipeline-role", None, "Allow", PolicyKind.IDENTITY, 1),))
    assert decision.allowed
    assert decision.matched[0].to_json() == {"policy": "pipeline-role", "sid": None, "effect": "Allow",
                                             "kind": "identity"}


def test_an_implicit_deny_reports_no_statements(decide):
    decision = decide([])
    assert decision == Decision(IMPLICIT_DENY, (), PolicyKind.IDENTITY)
    assert not decision.allowed


def test_matched_statements_keep_document_order(make_policy, decide):
    """Statements are reported in the order of the policies and of their statements,
    whether they were found by exact action, by pattern or through NotAction."""
    policy = make_policy(
        {"Sid": "ByPattern", "Effect": "Deny", "Action": "codestar-connections:*", "Resource": "*"},
        {"Sid": "ByNotAction", "Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
        {"Sid": "Exact", "Effect": "Deny", "Action": USE, "Resource": "*"},
        name="p",
    )
    assert [m.sid for m in decide([policy]).matched] == ["ByPattern", "ByNotAction", "Exact"]


def test_an_authorizer_decides_many_requests_consistently(make_policy):
    policy = make_policy({"Effect": "Allow", "Action": "codestar-connections:*", "Resource": "*",
                          "Condition": {"StringEquals": {"codestar-connections:ProviderAction": "GitPull"}}})
    authorizer = Authorizer(PolicySet(identity=[policy]))
    for provider_action, action, expected in [("GitPull", USE, True), ("GitPush", USE, False),
                                              ("GitPull", "s3:GetObject", False), ("GitPull", USE, True)] * 3:
        request = make_request(principal=USER, action=action, resource=CONNECTION,
                               context={"codestar-connections:ProviderAction": provider_action})
        decision = authorizer.evaluate(request)
        assert decision.allowed is expected
        assert decision == evaluate(PolicySet(identity=[policy]), request)


def test_one_request_against_several_policy_sets(make_policy):
    """A request is normalised once and can be decided against any number of policy sets."""
    request = make_request(principal=USER, action=USE, resource=CONNECTION)
    allow = make_policy({"Effect": "Allow", "Action": USE, "Resource": "*"})
    deny = make_policy({"Effect": "Deny", "Action": USE, "Resource": "*"})
    assert evaluate(PolicySet(identity=[allow]), request).decision == ALLOWED
    assert evaluate(PolicySet(identity=[allow, deny]), request).decision == EXPLICIT_DENY
    assert evaluate(PolicySet(), request).decision == IMPLICIT_DENY


def test_the_short_path_and_the_full_path_agree(make_policy):
    """Identity-only policy sets take a shorter path; SCPs that allow everything must not change a decision."""
    identity = [make_policy({"Sid": "A", "Effect": "Allow", "Action": "codestar-connections:*", "Resource": "*"},
                            {"Sid": "D", "Effect": "Deny", "Action": "codestar-connections:Delete*", "Resource": "*"})]
    full_access = make_policy({"Effect": "Allow", "Action": "*", "Resource": "*"}, kind=PolicyKind.SCP, name="scp")
    short = Authorizer(PolicySet(identity=identity))
    full = Authorizer(PolicySet(identity=identity, scps=[[full_access]]))
    for action in (USE, "codestar-connections:DeleteConnection", "s3:GetObject"):
        request = make_request(principal=USER, action=action, resource=CONNECTION)
        assert short.evaluate(request) == full.evaluate(request)


def test_reason_names_the_action_as_aws_does():
    denied = Decision(IMPLICIT_DENY, (), PolicyKind.IDENTITY)
    assert denied.reason("codestar-connections:CreateConnection") == (
        "because no identity-based policy allows the codestar-connections:CreateConnection action")


TRUST_ROLE = "arn:aws:iam::111122223333:role/deployer"


@pytest.mark.parametrize("trusted, identity_allows, expect, denied_by", [
    pytest.param("arn:aws:iam::111122223333:user/alice", False, "allowed", None,
                 id="trust policy naming the caller allows on its own within the account"),
    pytest.param("arn:aws:iam::111122223333:root", True, "allowed", None,
                 id="trust policy naming the account delegates to the identity-based allow"),
    pytest.param("arn:aws:iam::111122223333:root", False, "implicitDeny", PolicyKind.IDENTITY,
                 id="trust policy naming the account, identity silent: denied by the identity side"),
    pytest.param("arn:aws:iam::111122223333:user/bob", True, "implicitDeny", PolicyKind.TRUST,
                 id="within one account an identity-based allow is not enough: the trust policy must grant"),
])
def test_a_role_trust_policy_must_always_grant(trusted: str, identity_allows: bool, expect: str,
                                               denied_by: PolicyKind | None) -> None:
    trust = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": trusted}, "Action": "sts:AssumeRole"}]},
        name="trust", kind=PolicyKind.TRUST)
    identity = [parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": TRUST_ROLE}]}, name="assume")]
    decision = Authorizer(PolicySet(identity=identity if identity_allows else (), resource=trust)).evaluate(
        make_request(principal="arn:aws:iam::111122223333:user/alice", action="sts:AssumeRole",
                     resource=TRUST_ROLE))
    assert (decision.decision, decision.denied_by) == (expect, denied_by)


def test_an_explicit_deny_in_a_trust_policy_is_reported_as_the_trust_policys() -> None:
    trust = parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}]}, name="trust", kind=PolicyKind.TRUST)
    decision = Authorizer(PolicySet(resource=trust)).evaluate(
        make_request(principal="arn:aws:iam::111122223333:user/alice", action="sts:AssumeRole", resource=TRUST_ROLE))
    assert (decision.decision, decision.denied_by) == ("explicitDeny", PolicyKind.TRUST)
    assert decision.reason() == "with an explicit deny in a role trust policy"
