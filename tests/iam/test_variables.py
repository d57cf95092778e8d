"""Policy variables (IAM User Guide, "IAM policy elements: Variables and tags")."""

from __future__ import annotations

import pytest

from codeconn.iam import PolicyKind, PolicySyntaxError
from codeconn.iam.variables import Variable, parse_template

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/PipelineRole/build-42"
GET = "s3:GetObject"


def home(user: str, key: str = "notes.txt") -> str:
    return f"arn:aws:s3:::acme-home/{user}/{key}"


@pytest.mark.parametrize("resource_pattern, principal, resource, context, expected", [
    pytest.param("arn:aws:s3:::acme-home/${aws:username}/*", ALICE, home("alice"), {}, True,
                 id="${aws:username} is the IAM user's name"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username}/*", ALICE, home("bob"), {}, False,
                 id="${aws:username} does not match another user's prefix"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username}/*", SESSION, home("build-42"), {}, False,
                 id="a role session has no aws:username: a missing variable matches nothing"),
    pytest.param("arn:aws:s3:::acme-home/${AWS:UserName}/*", ALICE, home("alice"), {}, True,
                 id="variable names are case-insensitive"),
    pytest.param("arn:aws:s3:::acme-home/${aws:PrincipalTag/team}/*", SESSION, home("eng"),
                 {"aws:PrincipalTag/team": "eng"}, True,
                 id="${aws:PrincipalTag/team} is the caller's tag"),
    pytest.param("arn:aws:s3:::acme-home/${aws:PrincipalTag/team}/*", SESSION, home("eng"), {}, False,
                 id="an untagged caller: the variable has no value and the Resource matches nothing"),
    pytest.param("arn:aws:s3:::acme-home/${aws:PrincipalTag/team}/*", SESSION, home("eng"),
                 {"aws:PrincipalTag/team": ["eng", "ops"]}, False,
                 id="a multivalued key is not substituted"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username, 'anon'}/*", SESSION, home("anon"), {}, True,
                 id="a default value stands in for a missing key"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username, 'anon'}/*", ALICE, home("alice"), {}, True,
                 id="a default value is not used when the key is present"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username,'anon'}/*", SESSION, home("anon"), {}, True,
                 id="a default value without spaces"),
    pytest.param("arn:aws:s3:::acme-home/${aws:PrincipalTag/team, 'shared'}/*", SESSION, home("shared"),
                 {"aws:PrincipalTag/team": ["eng", "ops"]}, True,
                 id="a multivalued key falls back to the default"),
    pytest.param("arn:aws:s3:::acme-home/${*}", ALICE, "arn:aws:s3:::acme-home/*", {}, True,
                 id="${*} is a literal asterisk in Resource (matches *)"),
    pytest.param("arn:aws:s3:::acme-home/${*}", ALICE, "arn:aws:s3:::acme-home/anything", {}, False,
                 id="${*} is a literal asterisk in Resource, not a wildcard"),
    pytest.param("arn:aws:s3:::acme-home/${*}/*", ALICE, "arn:aws:s3:::acme-home/*/notes", {}, True,
                 id="an escaped * beside a real wildcard: the escape is literal, the wildcard still works"),
    pytest.param("arn:aws:s3:::acme-home/${*}/*", ALICE, "arn:aws:s3:::acme-home/x/notes", {}, False,
                 id="an escaped * beside a real wildcard does not match other text"),
    pytest.param("arn:aws:s3:::acme-home/what${?}", ALICE, "arn:aws:s3:::acme-home/what?", {}, True,
                 id="${?} is a literal question mark in Resource"),
    pytest.param("arn:aws:s3:::acme-home/what${?}", ALICE, "arn:aws:s3:::acme-home/whatX", {}, False,
                 id="${?} is not a single-character wildcard"),
    pytest.param("arn:aws:s3:::acme-home/${$}HOME", ALICE, "arn:aws:s3:::acme-home/$HOME", {}, True,
                 id="${$} is a literal dollar sign"),
    pytest.param("arn:aws:s3:::acme-home/${aws:username}-${aws:PrincipalTag/team}/*", ALICE,
                 home("alice-eng"), {"aws:PrincipalTag/team": "eng"}, True,
                 id="several variables in one value"),
])
def test_variables_in_resource(make_policy, decide, resource_pattern, principal, resource, context, expected):
    policy = make_policy({"Effect": "Allow", "Action": GET, "Resource": resource_pattern})
    decision = decide([policy], principal=principal, action=GET, resource=resource, context=context)
    assert decision.allowed is expected


def test_variables_in_not_resource(make_policy, decide):
    policy = make_policy({"Effect": "Deny", "Action": GET, "NotResource": "arn:aws:s3:::acme-home/${aws:username}/*"},
                         {"Effect": "Allow", "Action": GET, "Resource": "*"})
    assert decide([policy], action=GET, resource=home("alice")).decision == "allowed"
    assert decide([policy], action=GET, resource=home("bob")).decision == "explicitDeny"


@pytest.mark.parametrize("condition, principal, context, expected", [
    pytest.param({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}, SESSION,
                 {"aws:ResourceTag/team": "eng", "aws:PrincipalTag/team": "eng"}, True,
                 id="a variable in a StringEquals value: the tags agree"),
    pytest.param({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}, SESSION,
                 {"aws:ResourceTag/team": "eng", "aws:PrincipalTag/team": "ops"}, False,
                 id="a variable in a StringEquals value: the tags differ"),
    pytest.param({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}, SESSION,
                 {"aws:ResourceTag/team": "eng"}, False,
                 id="a variable with no value in a condition value matches nothing"),
    pytest.param({"StringNotEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}, SESSION,
                 {"aws:ResourceTag/team": "eng"}, True,
                 id="negated operator whose only value has no variable value: nothing matches, so true"),
    pytest.param({"StringLike": {"codestar-connections:FullRepositoryId": "${aws:username}/*"}}, ALICE,
                 {"codestar-connections:FullRepositoryId": "alice/dotfiles"}, True,
                 id="a variable in a StringLike pattern keeps the wildcard after it"),
    pytest.param({"StringLike": {"codestar-connections:FullRepositoryId": "acme/${*}"}}, ALICE,
                 {"codestar-connections:FullRepositoryId": "acme/api"}, False,
                 id="${*} is a literal asterisk even in StringLike"),
    pytest.param({"StringLike": {"codestar-connections:FullRepositoryId": "acme/${*}"}}, ALICE,
                 {"codestar-connections:FullRepositoryId": "acme/*"}, True,
                 id="${*} in StringLike matches a literal asterisk"),
    pytest.param({"StringLike": {"codestar-connections:FullRepositoryId": "acme/${?}*"}}, ALICE,
                 {"codestar-connections:FullRepositoryId": "acme/?-anything"}, True,
                 id="${?} is literal in StringLike while * stays a wildcard"),
    pytest.param({"StringEquals": {"codestar-connections:FullRepositoryId": "${aws:username, 'anon'}/x"}}, SESSION,
                 {"codestar-connections:FullRepositoryId": "anon/x"}, True,
                 id="a default value in a condition value"),
    pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:iam::*:user/${aws:username}"}}, ALICE,
                 {"aws:SourceArn": "arn:aws:iam::444455556666:user/alice"}, True,
                 id="a variable in an ArnLike value"),
    pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme/${*}/*"}}, ALICE,
                 {"aws:SourceArn": "arn:aws:s3:::acme/*/x"}, True,
                 id="ArnLike: an escaped * is literal while the other * is a wildcard"),
    pytest.param({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme/${*}/*"}}, ALICE,
                 {"aws:SourceArn": "arn:aws:s3:::acme/y/x"}, False,
                 id="ArnLike: an escaped * does not match other text"),
])
def test_variables_in_conditions(condition_holds, condition, principal, context, expected):
    assert condition_holds(condition, context, principal=principal) is expected


@pytest.mark.parametrize("version", [
    pytest.param("2008-10-17", id="Version 2008-10-17: ${...} is literal text"),
    pytest.param(None, id="no Version (2008-10-17): ${...} is literal text"),
])
def test_variables_need_version_2012(make_policy, decide, version):
    resource = make_policy({"Effect": "Allow", "Action": GET, "Resource": "arn:aws:s3:::acme-home/${aws:username}/*"},
                           version=version)
    assert not decide([resource], action=GET, resource=home("alice")).allowed
    assert decide([resource], action=GET, resource="arn:aws:s3:::acme-home/${aws:username}/x").allowed
    condition = make_policy({"Effect": "Allow", "Action": GET, "Resource": "*",
                             "Condition": {"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}},
                            version=version)
    assert not decide([condition], action=GET, context={"aws:PrincipalTag/team": "alice"}).allowed
    assert decide([condition], action=GET, context={"aws:PrincipalTag/team": "${aws:username}"}).allowed


@pytest.mark.parametrize("operator, value", [
    pytest.param("NumericEquals", "${aws:MultiFactorAuthAge}", id="Numeric operators take no variables"),
    pytest.param("DateLessThan", "${aws:CurrentTime}", id="Date operators take no variables"),
    pytest.param("IpAddress", "${aws:SourceIp}", id="IpAddress takes no variables"),
])
def test_operators_without_variables_reject_them(make_policy, operator, value):
    with pytest.raises(PolicySyntaxError):
        make_policy({"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {operator: {"k:k": value}}})


@pytest.mark.parametrize("value", [
    pytest.param("arn:aws:s3:::b/${aws:user name}", id="a variable name with a space"),
    pytest.param("arn:aws:s3:::b/${}", id="an empty variable"),
    pytest.param("arn:aws:s3:::b/${aws:username, anon}", id="a default must be quoted"),
])
def test_malformed_variables_are_parse_errors(make_policy, value):
    with pytest.raises(PolicySyntaxError) as raised:
        make_policy({"Effect": "Allow", "Action": "*", "Resource": value})
    assert [p.path for p in raised.value.problems] == ["Statement[0].Resource"]


def test_variables_in_resource_policies(make_policy, decide):
    bucket = make_policy({"Effect": "Allow", "Principal": {"AWS": ALICE}, "Action": GET,
                          "Resource": "arn:aws:s3:::acme-home/${aws:username}/*"}, kind=PolicyKind.RESOURCE)
    assert decide(resource_policy=bucket, action=GET, resource=home("alice"), resource_account=ACCOUNT).allowed
    assert not decide(resource_policy=bucket, action=GET, resource=home("bob"), resource_account=ACCOUNT).allowed


# -- the Template value itself ---------------------------------------------------------

def test_a_value_without_variables_is_no_template():
    assert parse_template("arn:aws:s3:::bucket/*") is None
    assert parse_template("cost is $5 {not a variable}") is None


def test_template_parts_and_keys():
    template = parse_template("home/${aws:username}/${aws:PrincipalTag/team, 'none'}/x")
    assert template is not None
    assert template.parts == ("home/", Variable("aws:username", None), "/",
                              Variable("aws:principaltag/team", "none"), "/x")
    assert template.keys == ("aws:username", "aws:principaltag/team")


@pytest.mark.parametrize("context, expected", [
    pytest.param({"aws:username": ("alice",)}, ("u/alice", frozenset()), id="resolves a single value"),
    pytest.param({}, None, id="a missing variable without default resolves to nothing"),
    pytest.param({"aws:username": ("a", "b")}, None, id="a multivalued key resolves to nothing"),
    pytest.param({"aws:username": ()}, None, id="an empty multivalued key resolves to nothing"),
])
def test_template_resolve(context, expected):
    template = parse_template("u/${aws:username}")
    assert template is not None
    assert template.resolve(context) == expected


def test_escape_positions_are_reported():
    template = parse_template("a${*}b${?}c${$}")
    assert template is not None
    assert template.resolve({}) == ("a*b?c$", frozenset({1, 3, 5}))


@pytest.mark.parametrize("value", [
    pytest.param("${aws:user name}", id="space inside a name"),
    pytest.param("${}", id="empty"),
    pytest.param("${aws:username, anon}", id="unquoted default"),
    pytest.param("${aws:username, 'a', 'b'}", id="two defaults"),
])
def test_invalid_variables_raise(value):
    with pytest.raises(ValueError):
        parse_template(value)
