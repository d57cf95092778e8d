"""Parsing policy documents: the grammar of "IAM JSON policy elements", faults with JSON paths."""

from __future__ import annotations

import json

import pytest

from codeconn.iam import Effect, PolicyKind, PolicySyntaxError, Principals, Problem, parse_policy

ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def doc(*statements, **top):
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def problems(document, kind=PolicyKind.IDENTITY) -> list[tuple[str, str]]:
    with pytest.raises(PolicySyntaxError) as raised:
        parse_policy(document, name="p", kind=kind)
    return [(p.path, p.message) for p in raised.value.problems]


def paths(document, kind=PolicyKind.IDENTITY) -> list[str]:
    return [path for path, _ in problems(document, kind)]


# -- faults and where they are ---------------------------------------------------------

@pytest.mark.parametrize("document, kind, expected_paths", [
    pytest.param(doc(ALLOW, {"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[1].Effect"], id="Effect must be Allow or Deny"),
    pytest.param(doc({"Action": "s3:GetObject", "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Effect"], id="Effect is required"),
    pytest.param(doc({"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Effect"], id="Effect is case-sensitive"),
    pytest.param({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3", "Resource": "*"}},
                 PolicyKind.IDENTITY, ["Statement.Action"], id="a single statement object is addressed as Statement"),
    pytest.param(doc({"Effect": "Allow", "Action": ["s3:GetObject", "GetObject"], "Resource": "*"}),
                 PolicyKind.IDENTITY, ["Statement[0].Action[1]"], id="an action is service:action"),
    pytest.param(doc({"Effect": "Allow", "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Action"], id="Action or NotAction is required"),
    pytest.param(doc({"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*"}),
                 PolicyKind.IDENTITY, ["Statement[0]"], id="a statement cannot have both Action and NotAction"),
    pytest.param(doc({"Effect": "Allow", "Action": "s3:GetObject"}), PolicyKind.IDENTITY,
                 ["Statement[0].Resource"], id="Resource or NotResource is required in an identity-based policy"),
    pytest.param(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "NotResource": "*"}),
                 PolicyKind.IDENTITY, ["Statement[0]"], id="a statement cannot have both Resource and NotResource"),
    pytest.param(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*", "bucket"]}),
                 PolicyKind.IDENTITY, ["Statement[0].Resource[1]"], id="a Resource is * or an ARN"),
    pytest.param(doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3"}),
                 PolicyKind.IDENTITY, ["Statement[0].Resource"], id="an ARN has six parts"),
    pytest.param(doc({"Effect": "Allow", "Action": [], "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Action"], id="Action must not be an empty list"),
    pytest.param(doc({"Effect": "Allow", "Action": ["s3:GetObject", 5], "Resource": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Action[1]"], id="actions are strings"),
    pytest.param(doc({**ALLOW, "Principal": "*"}), PolicyKind.IDENTITY,
                 ["Statement[0].Principal"], id="Principal is not allowed in an identity-based policy"),
    pytest.param(doc({**ALLOW, "NotPrincipal": {"AWS": "111122223333"}}), PolicyKind.BOUNDARY,
                 ["Statement[0].NotPrincipal"], id="NotPrincipal is not allowed in a permissions boundary"),
    pytest.param(doc({**ALLOW, "Principal": "*"}), PolicyKind.SCP,
                 ["Statement[0].Principal"], id="Principal is not allowed in an SCP"),
    pytest.param(doc({**ALLOW, "Principal": "*"}), PolicyKind.SESSION,
                 ["Statement[0].Principal"], id="Principal is not allowed in a session policy"),
    pytest.param(doc({**ALLOW, "Principal": {"AWS": "111122223333"}}), PolicyKind.RCP,
                 ["Statement[0].Principal"], id="an RCP's Principal can only be *"),
    pytest.param(doc(ALLOW), PolicyKind.RESOURCE,
                 ["Statement[0].Principal"], id="Principal is required in a resource-based policy"),
    pytest.param(doc({**ALLOW, "Principal": "*", "NotPrincipal": {"AWS": "111122223333"}}), PolicyKind.RESOURCE,
                 ["Statement[0]"], id="a statement cannot have both Principal and NotPrincipal"),
    pytest.param(doc({**ALLOW, "Principal": {"AWS": "arn:aws:iam::*:root"}}), PolicyKind.RESOURCE,
                 ["Statement[0].Principal.AWS"], id="no wildcards inside a principal ARN"),
    pytest.param(doc({**ALLOW, "Principal": {"AWS": ["111122223333", "alice"]}}), PolicyKind.RESOURCE,
                 ["Statement[0].Principal.AWS[1]"], id="an AWS principal is an account, an IAM/STS ARN or *"),
    pytest.param(doc({**ALLOW, "Principal": {"Group": "admins"}}), PolicyKind.RESOURCE,
                 ["Statement[0].Principal.Group"], id="unknown principal type"),
    pytest.param(doc({**ALLOW, "Principal": "alice"}), PolicyKind.RESOURCE,
                 ["Statement[0].Principal"], id="a string Principal can only be *"),
    pytest.param(doc({**ALLOW, "Principal": {}}), PolicyKind.RESOURCE,
                 ["Statement[0].Principal"], id="a Principal must name someone"),
    pytest.param(doc({**ALLOW, "Condition": {"StringEqualz": {"aws:username": "alice"}}}), PolicyKind.IDENTITY,
                 ["Statement[0].Condition.StringEqualz"], id="an unknown condition operator is an error"),
    pytest.param(doc({**ALLOW, "Condition": {"ForEveryValue:StringEquals": {"aws:TagKeys": "a"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.ForEveryValue:StringEquals"],
                 id="an unknown set operator is an error"),
    pytest.param(doc({**ALLOW, "Condition": {"NumericEquals": {"aws:MultiFactorAuthAge": "one hour"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.NumericEquals.aws:MultiFactorAuthAge"],
                 id="NumericEquals needs a number"),
    pytest.param(doc({**ALLOW, "Condition": {"DateLessThan": {"aws:CurrentTime": "tomorrow"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.DateLessThan.aws:CurrentTime"],
                 id="DateLessThan needs a date"),
    pytest.param(doc({**ALLOW, "Condition": {"Bool": {"aws:SecureTransport": "yes"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.Bool.aws:SecureTransport"],
                 id="Bool needs true or false"),
    pytest.param(doc({**ALLOW, "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.300/8"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.IpAddress.aws:SourceIp"],
                 id="IpAddress needs an address or CIDR block"),
    pytest.param(doc({**ALLOW, "Condition": {"BinaryEquals": {"k:k": "not base64!"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.BinaryEquals.k:k"], id="BinaryEquals needs base64"),
    pytest.param(doc({**ALLOW, "Condition": {"Null": {"aws:TokenIssueTime": "maybe"}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.Null.aws:TokenIssueTime"], id="Null needs true or false"),
    pytest.param(doc({**ALLOW, "Condition": {"StringEquals": {"aws:username": []}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.StringEquals.aws:username"],
                 id="a condition key needs at least one value"),
    pytest.param(doc({**ALLOW, "Condition": {"StringEquals": {"aws:username": ["a", {"b": 1}]}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.StringEquals.aws:username[1]"],
                 id="condition values are scalars"),
    pytest.param(doc({**ALLOW, "Condition": {"StringEquals": {}}}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition.StringEquals"], id="an operator block names keys"),
    pytest.param(doc({**ALLOW, "Condition": ["StringEquals"]}),
                 PolicyKind.IDENTITY, ["Statement[0].Condition"], id="Condition is an object"),
    pytest.param(doc({**ALLOW, "Sid": "A"}, {**ALLOW, "Sid": "A"}), PolicyKind.IDENTITY,
                 ["Statement[1].Sid"], id="Sids are unique within a policy"),
    pytest.param(doc({**ALLOW, "Sid": "no/slash"}), PolicyKind.IDENTITY, ["Statement[0].Sid"],
                 id="a Sid is letters, digits and a few separators"),
    pytest.param(doc({**ALLOW, "Actions": "s3:GetObject"}), PolicyKind.IDENTITY, ["Statement[0].Actions"],
                 id="unknown statement fields are errors"),
    pytest.param(doc(ALLOW, Statements=[]), PolicyKind.IDENTITY, ["Statements"],
                 id="unknown top-level fields are errors"),
    pytest.param({"Version": "2012-10-18", "Statement": [ALLOW]}, PolicyKind.IDENTITY, ["Version"],
                 id="Version is 2012-10-17 or 2008-10-17"),
    pytest.param({"Version": "2012-10-17", "Id": 7, "Statement": [ALLOW]}, PolicyKind.IDENTITY, ["Id"],
                 id="Id is a string"),
    pytest.param({"Version": "2012-10-17"}, PolicyKind.IDENTITY, ["Statement"], id="Statement is required"),
    pytest.param({"Version": "2012-10-17", "Statement": []}, PolicyKind.IDENTITY, ["Statement"],
                 id="Statement must not be empty"),
    pytest.param({"Version": "2012-10-17", "Statement": "Allow"}, PolicyKind.IDENTITY, ["Statement"],
                 id="Statement is an object or a list"),
    pytest.param(doc(ALLOW, "Allow"), PolicyKind.IDENTITY, ["Statement[1]"], id="each statement is an object"),
])
def test_fault_paths(document, kind, expected_paths):
    assert paths(document, kind) == expected_paths


def test_every_fault_is_collected_at_once():
    document = {
        "Version": "2012-10-17",
        "Extra": True,
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "B", "Effect": "Permit", "Action": "s3:GetObject", "NotAction": "s3:PutObject", "Resource": "*",
             "Principal": "*", "Foo": 1,
             "Condition": {"NumericEquals": {"aws:MultiFactorAuthAge": "x"}, "StringEqualz": {"a:b": "c"}}},
            {"Sid": "A", "Effect": "Deny", "Action": "s3", "Resource": "bucket"},
        ],
    }
    assert paths(document) == [
        "Extra",
        "Statement[1].Foo",
        "Statement[1].Effect",
        "Statement[1]",
        "Statement[1].Principal",
        "Statement[1].Condition.NumericEquals.aws:MultiFactorAuthAge",
        "Statement[1].Condition.StringEqualz",
        "Statement[2].Action",
        "Statement[2].Resource",
    ]


def test_error_names_the_policy_and_every_fault():
    with pytest.raises(PolicySyntaxError) as raised:
        parse_policy(doc({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}), name="pipeline-role")
    error = raised.value
    assert error.policy_name == "pipeline-role"
    assert error.problems == (Problem("Statement[0].Effect", "must be \"Allow\" or \"Deny\", not 'Permit'"),)
    assert str(error) == "policy 'pipeline-role': Statement[0].Effect: must be \"Allow\" or \"Deny\", not 'Permit'"


@pytest.mark.parametrize("document, message", [
    pytest.param(doc({**ALLOW, "Principal": "*"}), "not allowed in an identity-based policy",
                 id="message: Principal in an identity-based policy"),
    pytest.param(doc({**ALLOW, "Condition": {"NumericEquals": {"k:k": "x"}}}),
                 "'x' is not a valid Numeric value for NumericEquals", id="message: non-numeric NumericEquals value"),
    pytest.param(doc({**ALLOW, "Condition": {"StringEqualz": {"k:k": "x"}}}),
                 "unknown condition operator 'StringEqualz'", id="message: unknown operator"),
    pytest.param(doc({**ALLOW, "Foo": 1}), "unknown field", id="message: unknown field"),
])
def test_fault_messages(document, message):
    assert [m for _, m in problems(document)] == [message]


@pytest.mark.parametrize("text", [
    pytest.param("{not json", id="text that is not JSON"),
    pytest.param("[]", id="a JSON array is not a policy"),
    pytest.param("null", id="JSON null is not a policy"),
])
def test_not_a_policy(text):
    with pytest.raises(PolicySyntaxError) as raised:
        parse_policy(text)
    assert [p.path for p in raised.value.problems] == [""]


# -- what a parsed policy holds -------------------------------------------------------

def test_json_text_and_objects_parse_alike():
    document = doc({"Sid": "A", **ALLOW})
    assert parse_policy(json.dumps(document), name="n") == parse_policy(document, name="n")


def test_single_statement_object():
    policy = parse_policy({"Version": "2012-10-17", "Statement": {"Sid": "Only", **ALLOW}}, name="n")
    (statement,) = policy.statements
    assert (statement.index, statement.path, statement.sid) == (0, "Statement", "Only")


def test_statement_fields_are_normalised_to_tuples():
    policy = parse_policy(doc(
        {"Effect": "Deny", "NotAction": "iam:*", "NotResource": ["arn:aws:s3:::a", "arn:aws:s3:::b"]},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
    ), name="n")
    deny, allow = policy.statements
    assert deny.effect is Effect.DENY and deny.actions is None and deny.not_actions == ("iam:*",)
    assert deny.resources is None and deny.not_resources == ("arn:aws:s3:::a", "arn:aws:s3:::b")
    assert allow.effect is Effect.ALLOW and allow.actions == ("s3:GetObject", "s3:PutObject")
    assert (deny.path, allow.path) == ("Statement[0]", "Statement[1]")


def test_version_defaults_to_2008_and_id_is_kept():
    policy = parse_policy({"Id": "my-policy", "Statement": [ALLOW]}, name="n", kind=PolicyKind.SCP)
    assert (policy.version, policy.id, policy.name, policy.kind) == ("2008-10-17", "my-policy", "n", PolicyKind.SCP)


def test_condition_values_are_rendered_as_iam_compares_them():
    policy = parse_policy(doc({**ALLOW, "Condition": {
        "Bool": {"aws:SecureTransport": True},
        "NumericLessThan": {"aws:MultiFactorAuthAge": [3600, 1.5]},
        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "team-*"},
    }}), name="n")
    boolean, numeric, strings = policy.statements[0].conditions
    assert (boolean.base, boolean.values) == ("Bool", ("true",))
    assert (numeric.base, numeric.values) == ("NumericLessThan", ("3600", "1.5"))
    assert (strings.set_operator, strings.base, strings.if_exists, strings.key) == \
        ("ForAnyValue", "StringLike", True, "aws:TagKeys")
    assert strings.path == "Statement[0].Condition.ForAnyValue:StringLikeIfExists.aws:TagKeys"


@pytest.mark.parametrize("principal, expected", [
    pytest.param("*", Principals(wildcard=True), id="Principal * is everyone"),
    pytest.param({"AWS": "*"}, Principals(wildcard=True, aws=("*",)), id="AWS * is everyone"),
    pytest.param({"AWS": "111122223333"}, Principals(wildcard=False, aws=("111122223333",)), id="an account ID"),
    pytest.param({"AWS": "arn:aws:iam::111122223333:root"},
                 Principals(wildcard=False, aws=("arn:aws:iam::111122223333:root",)), id="an account root ARN"),
    pytest.param({"AWS": ["arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:role/R",
                          "arn:aws:sts::111122223333:assumed-role/R/s"]},
                 Principals(wildcard=False, aws=("arn:aws:iam::111122223333:user/alice",
                                                 "arn:aws:iam::111122223333:role/R",
                                                 "arn:aws:sts::111122223333:assumed-role/R/s")),
                 id="user, role and assumed-role session ARNs"),
    pytest.param({"Service": ["codepipeline.amazonaws.com"]},
                 Principals(wildcard=False, service=("codepipeline.amazonaws.com",)), id="a service principal"),
    pytest.param({"Federated": "accounts.google.com"},
                 Principals(wildcard=False, federated=("accounts.google.com",)), id="a federated principal"),
    pytest.param({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
                 Principals(wildcard=False,
                            canonical_user=("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",)),
                 id="a canonical user"),
])
def test_principal_forms(principal, expected):
    policy = parse_policy(doc({**ALLOW, "Principal": principal}), name="n", kind=PolicyKind.RESOURCE)
    assert policy.statements[0].principal == expected
    assert policy.statements[0].not_principal is None


def test_not_principal_is_kept_apart():
    policy = parse_policy(doc({**ALLOW, "Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}}),
                          name="n", kind=PolicyKind.RESOURCE)
    statement = policy.statements[0]
    assert statement.principal is None
    assert statement.not_principal == Principals(wildcard=False, aws=("111122223333",))


@pytest.mark.parametrize("kind", [
    pytest.param(PolicyKind.RESOURCE, id="a resource-based policy may omit Resource"),
    pytest.param(PolicyKind.TRUST, id="a role trust policy has no Resource"),
])
def test_resource_is_optional_where_aws_allows(kind):
    policy = parse_policy(doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}), name="n", kind=kind)
    assert policy.statements[0].resources is None


def test_an_rcp_takes_principal_star():
    """AWS's own RCPFullAWSAccess, attached to every level once RCPs are enabled."""
    full_access = {"Version": "2012-10-17",
                   "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    policy = parse_policy(full_access, name="RCPFullAWSAccess", kind=PolicyKind.RCP)
    assert policy.statements[0].principal == Principals(wildcard=True)


def test_actions_and_resources_keep_their_spelling():
    policy = parse_policy(doc({"Effect": "Allow", "Action": "CodeStar-Connections:UseConnection",
                               "Resource": "arn:aws:s3:::Bucket/Key"}), name="n")
    assert policy.statements[0].actions == ("CodeStar-Connections:UseConnection",)
    assert policy.statements[0].resources == ("arn:aws:s3:::Bucket/Key",)
