"""Requests: who is calling (every form of principal), the action, and the context."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from codeconn.iam import Principal, PrincipalType, RequestError, make_request, parse_principal, request_base
from codeconn.iam.catalog import IamCatalog

ACCOUNT = "111122223333"


@pytest.mark.parametrize("value, expected", [
    pytest.param(ACCOUNT, Principal(PrincipalType.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT),
                 id="an account ID is that account's root user"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:root", Principal(PrincipalType.ROOT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT),
                 id="the account root ARN"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:user/alice",
                 Principal(PrincipalType.USER, f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, name="alice"),
                 id="an IAM user"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:user/eng/alice",
                 Principal(PrincipalType.USER, f"arn:aws:iam::{ACCOUNT}:user/eng/alice", ACCOUNT, name="alice"),
                 id="an IAM user with a path: the name is the last part"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:role/PipelineRole",
                 Principal(PrincipalType.ROLE_SESSION, f"arn:aws:iam::{ACCOUNT}:role/PipelineRole", ACCOUNT,
                           role_arn=f"arn:aws:iam::{ACCOUNT}:role/PipelineRole", name="PipelineRole"),
                 id="a role as the caller stands for a session of it"),
    pytest.param(f"arn:aws:sts::{ACCOUNT}:assumed-role/PipelineRole/build-42",
                 Principal(PrincipalType.ROLE_SESSION, f"arn:aws:iam::{ACCOUNT}:role/PipelineRole", ACCOUNT,
                           session_arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/PipelineRole/build-42",
                           role_arn=f"arn:aws:iam::{ACCOUNT}:role/PipelineRole", name="build-42"),
                 id="an assumed-role session: aws:PrincipalArn is the role, the session ARN is kept"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/codepipeline.amazonaws.com/AWSServiceRoleForCodePipeline",
                 Principal(PrincipalType.ROLE_SESSION,
                           f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/codepipeline.amazonaws.com/AWSServiceRoleForCodePipeline",
                           ACCOUNT,
                           role_arn=f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/codepipeline.amazonaws.com/AWSServiceRoleForCodePipeline",
                           name="AWSServiceRoleForCodePipeline", service_linked=True),
                 id="a role under aws-service-role/ is service-linked"),
    pytest.param(f"arn:aws:sts::{ACCOUNT}:federated-user/carol",
                 Principal(PrincipalType.FEDERATED_USER, f"arn:aws:sts::{ACCOUNT}:federated-user/carol", ACCOUNT,
                           session_arn=f"arn:aws:sts::{ACCOUNT}:federated-user/carol", name="carol"),
                 id="a federated user session"),
    pytest.param("codepipeline.amazonaws.com",
                 Principal(PrincipalType.SERVICE, "codepipeline.amazonaws.com", None, name="codepipeline.amazonaws.com"),
                 id="an AWS service principal"),
    pytest.param("accounts.google.com", Principal(PrincipalType.WEB_IDENTITY, "accounts.google.com", None),
                 id="a web identity provider"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta",
                 Principal(PrincipalType.WEB_IDENTITY, f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta", ACCOUNT),
                 id="a SAML provider"),
    pytest.param("79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be",
                 Principal(PrincipalType.CANONICAL_USER,
                           "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", None),
                 id="a canonical user ID"),
    pytest.param("*", Principal(PrincipalType.ANONYMOUS, "*", None), id="* is the anonymous caller"),
    pytest.param("arn:aws-cn:iam::111122223333:user/alice",
                 Principal(PrincipalType.USER, "arn:aws-cn:iam::111122223333:user/alice", ACCOUNT, name="alice"),
                 id="another partition"),
])
def test_parse_principal(value, expected):
    assert parse_principal(value) == expected


@pytest.mark.parametrize("value", [
    pytest.param("alice", id="a bare name is not a principal"),
    pytest.param(f"arn:aws:sts::{ACCOUNT}:assumed-role/PipelineRole", id="an assumed-role ARN needs a session name"),
    pytest.param(f"arn:aws:iam::{ACCOUNT}:user/", id="a user ARN needs a name"),
    pytest.param("arn:aws:s3:::bucket", id="a bucket is not a principal"),
    pytest.param("arn:aws:iam::1234:user/alice", id="an account ID has 12 digits"),
])
def test_parse_principal_rejects(value):
    with pytest.raises(RequestError):
        parse_principal(value)


def test_principal_names():
    session = parse_principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s")
    assert session.root_arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert session.chain == (f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/R",
                             f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s")
    user = parse_principal(f"arn:aws:iam::{ACCOUNT}:user/alice")
    assert user.chain == (f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:user/alice")
    assert parse_principal("codepipeline.amazonaws.com").chain == ("codepipeline.amazonaws.com",)
    assert parse_principal("arn:aws-us-gov:iam::111122223333:root").root_arn == "arn:aws-us-gov:iam::111122223333:root"


# -- make_request ---------------------------------------------------------------------

def test_action_is_split_and_lower_cased_once():
    request = make_request(principal=ACCOUNT, action="CodeStar-Connections:UseConnection")
    assert (request.action, request.action_key, request.service) == \
        ("CodeStar-Connections:UseConnection", "codestar-connections:useconnection", "codestar-connections")
    assert request.resource == "*" and request.resource_account is None


@pytest.mark.parametrize("action", [
    pytest.param("UseConnection", id="an action needs a service prefix"),
    pytest.param("codestar-connections:", id="an action needs a name"),
    pytest.param(":UseConnection", id="an action needs a service"),
])
def test_bad_actions(action):
    with pytest.raises(RequestError, match="service:action"):
        make_request(principal=ACCOUNT, action=action)


@pytest.mark.parametrize("resource, given, expected", [
    pytest.param("arn:aws:codestar-connections:us-west-2:444455556666:connection/x", None, "444455556666",
                 id="the resource account comes from the ARN"),
    pytest.param("arn:aws:s3:::bucket/key", None, None, id="an ARN without an account gives none"),
    pytest.param("arn:aws:s3:::bucket/key", "444455556666", "444455556666", id="an explicit resource account"),
    pytest.param("*", None, None, id="* has no account"),
])
def test_resource_account(resource, given, expected):
    request = make_request(principal=ACCOUNT, action="s3:GetObject", resource=resource, resource_account=given)
    assert request.resource_account == expected
    assert request.cross_account is (expected is not None and expected != ACCOUNT)


@pytest.mark.parametrize("value, expected", [
    pytest.param("GitPull", ("GitPull",), id="a string is one value"),
    pytest.param(["a", "b"], ("a", "b"), id="a list is a multivalued key"),
    pytest.param([], (), id="an empty list is a key with no values"),
    pytest.param(True, ("true",), id="booleans as IAM writes them"),
    pytest.param(False, ("false",), id="false"),
    pytest.param(3600, ("3600",), id="integers as text"),
    pytest.param(1.5, ("1.5",), id="floats as text"),
    pytest.param(datetime(2020, 1, 1, tzinfo=timezone.utc), ("2020-01-01T00:00:00Z",), id="datetimes as ISO 8601"),
    pytest.param(date(2020, 1, 1), ("2020-01-01",), id="dates as ISO 8601"),
])
def test_context_values(value, expected):
    request = make_request(principal=ACCOUNT, action="s3:GetObject", context={"Some:Key": value})
    assert request.context["some:key"] == expected


def test_context_rejects_unreadable_values():
    with pytest.raises(RequestError, match="'k:k'"):
        make_request(principal=ACCOUNT, action="s3:GetObject", context={"k:k": {"nested": 1}})


@pytest.mark.parametrize("principal, expected", [
    pytest.param(f"arn:aws:iam::{ACCOUNT}:user/alice", {
        "aws:principalisawsservice": ("false",), "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:user/alice",),
        "aws:principalaccount": (ACCOUNT,), "aws:principaltype": ("User",), "aws:username": ("alice",),
    }, id="an IAM user: aws:username is set"),
    pytest.param(f"arn:aws:sts::{ACCOUNT}:assumed-role/R/s", {
        "aws:principalisawsservice": ("false",), "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:role/R",),
        "aws:principalaccount": (ACCOUNT,), "aws:principaltype": ("AssumedRole",),
    }, id="a role session: aws:PrincipalArn is the role ARN, no aws:username"),
    pytest.param(ACCOUNT, {
        "aws:principalisawsservice": ("false",), "aws:principalarn": (f"arn:aws:iam::{ACCOUNT}:root",),
        "aws:principalaccount": (ACCOUNT,), "aws:principaltype": ("Account",),
    }, id="the root user: aws:PrincipalType is Account"),
    pytest.param("codepipeline.amazonaws.com", {
        "aws:principalisawsservice": ("true",), "aws:principalservicename": ("codepipeline.amazonaws.com",),
    }, id="a service principal: aws:PrincipalIsAWSService and aws:PrincipalServiceName"),
    pytest.param("*", {"aws:principalisawsservice": ("false",)}, id="an anonymous caller has no principal keys"),
])
def test_keys_derived_from_the_principal(principal, expected):
    assert dict(make_request(principal=principal, action="s3:GetObject").context) == expected


def test_derived_keys_include_the_resource_account():
    request = make_request(principal=ACCOUNT, action="s3:GetObject",
                           resource="arn:aws:codestar-connections:us-west-2:444455556666:connection/x")
    assert request.context["aws:resourceaccount"] == ("444455556666",)


def test_given_keys_win_over_derived_ones():
    request = make_request(principal=f"arn:aws:iam::{ACCOUNT}:user/alice", action="s3:GetObject",
                           context={"AWS:UserName": "someone-else"})
    assert request.context["aws:username"] == ("someone-else",)


def test_a_principal_value_is_accepted_as_is():
    principal = parse_principal(ACCOUNT)
    assert make_request(principal=principal, action="s3:GetObject").principal is principal


# -- typed context values, checked against a catalog ------------------------------------

@pytest.fixture(scope="module")
def catalog() -> IamCatalog:
    """The global aws: keys only (they are built in); no service data is read."""
    return IamCatalog(service_names={}, _load=lambda kind, prefix: {})


@pytest.mark.parametrize("key, value", [
    pytest.param("aws:SecureTransport", "maybe", id="a Bool key holds true or false"),
    pytest.param("aws:CurrentTime", "noon", id="a Date key holds a date"),
    pytest.param("aws:MultiFactorAuthAge", "an hour", id="a Numeric key holds a number"),
    pytest.param("aws:SourceIp", "10.0.0.300", id="an IPAddress key holds an address"),
    pytest.param("aws:SourceIp", ["10.0.0.1", "10.0.0.2"], id="a single-valued key holds one value"),
    pytest.param("aws:SourceArn", "bucket", id="an ARN key holds an ARN"),
])
def test_catalog_rejects_values_of_the_wrong_type(catalog, key, value):
    with pytest.raises(RequestError, match=key):
        make_request(principal=ACCOUNT, action="s3:GetObject", context={key: value}, catalog=catalog)


@pytest.mark.parametrize("key, value", [
    pytest.param("aws:SecureTransport", True, id="a boolean for a Bool key"),
    pytest.param("aws:CurrentTime", "2020-01-01T00:00:00Z", id="an ISO 8601 date for a Date key"),
    pytest.param("aws:SourceIp", "2001:db8::1", id="an IPv6 address"),
    pytest.param("aws:TagKeys", ["a", "b"], id="several values for a multivalued key"),
    pytest.param("aws:PrincipalTag/team", "eng", id="a templated key"),
    pytest.param("unknown:Key", ["x", "y"], id="keys the catalog does not know are not checked"),
])
def test_catalog_accepts_values_of_the_right_type(catalog, key, value):
    make_request(principal=ACCOUNT, action="s3:GetObject", context={key: value}, catalog=catalog)


def test_a_request_from_a_base_is_the_request_make_request_builds() -> None:
    """One call's shared keys normalised once, then each decision's added: the same request as in one go."""
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    shared = {"aws:SourceIp": "203.0.113.7", "aws:PrincipalTag/team": "ci", "aws:EpochTime": 1741064766}
    own = {"codeconnections:ProviderType": "GitHub", "aws:SourceIp": "198.51.100.1", "aws:TagKeys": ["a", "b"]}
    resource = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/1"
    base = request_base(principal=user, context=shared)
    assert base.request("codeconnections:GetConnection", resource, context=own) == make_request(
        principal=user, action="codeconnections:GetConnection", resource=resource, context={**shared, **own})
    assert base.context["aws:username"] == ("alice",)
    assert "aws:resourceaccount" not in base.context


def test_a_base_extended_is_the_base_built_with_both_contexts() -> None:
    """A caller's keys normalised once, then each call's put over them: the base one call would build."""
    user = f"arn:aws:iam::{ACCOUNT}:user/alice"
    callers = {"aws:userid": "AIDAEXAMPLE", "aws:PrincipalTag/team": "ci", "aws:SourceIp": "192.0.2.1"}
    calls = {"aws:SourceIp": "203.0.113.7", "aws:EpochTime": 1741064766, "aws:SecureTransport": True}
    extended = request_base(principal=user, context=callers).extended(calls)
    assert extended == request_base(principal=user, context={**callers, **calls})
    assert extended.context["aws:sourceip"] == ("203.0.113.7",)
    assert extended.context["aws:principalarn"] == (user,)
