"""PolicyAuthorizer: AWS's AccessDenied words, the three modes, the global keys, the org's policies."""

from __future__ import annotations

from typing import Any

import pytest
from auth_helpers import MakeCall, caller, policy
from iam_bench import ACCOUNT, CATALOG

from codeconn.auth import NOT_EVALUATED, OrgPolicies, PolicyAuthorizer
from codeconn.iam import PolicyKind, RequestError
from codeconn.service.call import IamMode
from codeconn.service.errors import AccessDenied

ACTION = "codeconnections:ListConnections"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _allow(action: str = ACTION, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": "*", **extra}


def _deny(action: str = ACTION, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": "*", **extra}


def _org(scps: list[list[dict[str, Any]]] = (), rcps: list[list[dict[str, Any]]] = ()) -> OrgPolicies:  # type: ignore[assignment]
    return OrgPolicies(scps=tuple((policy(*level, kind=PolicyKind.SCP, name=f"scp{i}"),) for i, level in enumerate(scps)),
                       rcps=tuple((policy(*level, kind=PolicyKind.RCP, name=f"rcp{i}"),) for i, level in enumerate(rcps)))


@pytest.mark.parametrize("identity, boundary, org, reason", [
    pytest.param([], [], None, "because no identity-based policy allows the codeconnections:ListConnections action",
                 id="no identity-based policy allows"),
    pytest.param([_allow(), _deny()], [], None, "with an explicit deny in an identity-based policy",
                 id="explicit deny in an identity-based policy"),
    pytest.param([_allow()], [_allow("s3:*")], None,
                 "because no permissions boundary allows the codeconnections:ListConnections action",
                 id="permissions boundary"),
    pytest.param([_allow()], [], _org(scps=[[ALLOW_ALL], [_allow("s3:*")]]),
                 "because no service control policy allows the codeconnections:ListConnections action",
                 id="service control policy"),
    pytest.param([_allow()], [], _org(scps=[[ALLOW_ALL, _deny()]]),
                 "with an explicit deny in a service control policy", id="explicit deny in a service control policy"),
    pytest.param([_allow()], [], _org(rcps=[[{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]]),
                 "because no resource control policy allows the codeconnections:ListConnections action",
                 id="resource control policy"),
])
def test_access_denied_in_aws_words(make_call: MakeCall, identity: list[dict[str, Any]],
                                    boundary: list[dict[str, Any]], org: OrgPolicies | None, reason: str) -> None:
    who = caller(identity=[policy(*identity)] if identity else (),
                 boundaries=[policy(*boundary, kind=PolicyKind.BOUNDARY)] if boundary else ())
    call = make_call(who, PolicyAuthorizer(mode=IamMode.ENFORCE, org=org))
    with pytest.raises(AccessDenied) as raised:
        call.authorize()
    assert raised.value.message == f"User: {USER} is not authorized to perform: {ACTION} on resource: * {reason}"
    assert raised.value.code == "AccessDeniedException"
    assert [(d.action, d.resource, d.decision.allowed, d.enforced) for d in call.decisions] == [(ACTION, "*", False, True)]


def test_audit_lets_a_denial_through_and_records_it(make_call: MakeCall) -> None:
    call = make_call(caller(identity=[policy(_allow("codeconnections:GetConnection"))]),
                     PolicyAuthorizer(mode=IamMode.AUDIT))
    denied = call.authorize()
    allowed = call.authorize("GetConnection")
    assert (denied.allowed, allowed.allowed) == (False, True)
    assert [(d.action, d.decision.decision, d.enforced) for d in call.decisions] == [
        (ACTION, "implicitDeny", False), ("codeconnections:GetConnection", "allowed", True)]


def test_off_evaluates_nothing_and_records_every_action(make_call: MakeCall) -> None:
    authorizer = PolicyAuthorizer(mode=IamMode.OFF, org=_org(scps=[[_deny("*")]]))
    call = make_call(caller(), authorizer)
    assert call.authorize() is NOT_EVALUATED
    assert [(d.action, d.decision, d.enforced) for d in call.decisions] == [(ACTION, NOT_EVALUATED, False)]


def test_the_root_needs_no_policy_but_meets_the_scps(make_call: MakeCall) -> None:
    root = caller(f"arn:aws:iam::{ACCOUNT}:root")
    assert make_call(root, PolicyAuthorizer(mode=IamMode.ENFORCE)).authorize().allowed
    with pytest.raises(AccessDenied) as raised:
        make_call(root, PolicyAuthorizer(mode=IamMode.ENFORCE, org=_org(scps=[[_deny()]]))).authorize()
    assert raised.value.message.startswith(f"User: arn:aws:iam::{ACCOUNT}:root is not authorized")
    assert raised.value.message.endswith("with an explicit deny in a service control policy")


GLOBAL_KEYS = [
    pytest.param({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, id="aws:SourceIp"),
    pytest.param({"Bool": {"aws:SecureTransport": "true"}}, id="aws:SecureTransport"),
    pytest.param({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, id="aws:RequestedRegion"),
    pytest.param({"DateGreaterThan": {"aws:CurrentTime": "2025-03-04T00:00:00Z"}}, id="aws:CurrentTime"),
    pytest.param({"DateLessThan": {"aws:CurrentTime": "2025-03-05T00:00:00Z"}}, id="aws:CurrentTime upper"),
    pytest.param({"NumericGreaterThan": {"aws:EpochTime": "1741064766"}}, id="aws:EpochTime"),
    pytest.param({"StringEquals": {"aws:PrincipalArn": USER}}, id="aws:PrincipalArn"),
    pytest.param({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}, id="aws:PrincipalAccount"),
    pytest.param({"StringEquals": {"aws:PrincipalType": "User"}}, id="aws:PrincipalType"),
    pytest.param({"StringEquals": {"aws:PrincipalTag/team": "ci"}}, id="aws:PrincipalTag"),
    pytest.param({"StringEquals": {"aws:userid": "AIDATESTTESTTESTTEST1"}}, id="aws:userid"),
    pytest.param({"StringEquals": {"aws:username": "alice"}}, id="aws:username"),
    pytest.param({"Bool": {"aws:PrincipalIsAWSService": "false"}}, id="aws:PrincipalIsAWSService"),
    pytest.param({"Bool": {"aws:ViaAWSService": "false"}}, id="aws:ViaAWSService"),
    pytest.param({"StringLike": {"aws:UserAgent": "aws-cli/*"}}, id="aws:UserAgent"),
    pytest.param({"StringEquals": {"aws:ResourceTag/stage": "prod"}}, id="aws:ResourceTag from resource_tags"),
    pytest.param({"StringEquals": {"codeconnections:ProviderType": "GitHub"}}, id="the handler's service keys"),
]


@pytest.mark.parametrize("condition", GLOBAL_KEYS)
def test_every_request_carries_the_global_keys(make_call: MakeCall, condition: dict[str, Any]) -> None:
    who = caller(identity=[policy(_allow(Condition=condition))], tags={"team": "ci"})
    call = make_call(who, PolicyAuthorizer(mode=IamMode.ENFORCE, catalog=CATALOG))
    call.authorize(context={"codeconnections:ProviderType": "GitHub"}, resource_tags={"stage": "prod"})


def test_a_handler_cannot_override_who_is_calling(make_call: MakeCall) -> None:
    who = caller(identity=[policy(_allow(Condition={"StringEquals": {"aws:username": "admin"}}))])
    call = make_call(who, PolicyAuthorizer(mode=IamMode.ENFORCE))
    with pytest.raises(AccessDenied):
        call.authorize(context={"aws:username": "admin", "aws:PrincipalArn": "arn:aws:iam::1:user/admin"})


def test_with_a_catalog_a_value_of_the_wrong_type_is_a_request_error(make_call: MakeCall) -> None:
    call = make_call(caller(identity=[policy(_allow())]), PolicyAuthorizer(mode=IamMode.ENFORCE, catalog=CATALOG))
    with pytest.raises(RequestError):
        call.authorize(context={"aws:MultiFactorAuthAge": "yesterday"})


def test_compiled_policies_are_kept_per_policy_version(make_call: MakeCall) -> None:
    authorizer = PolicyAuthorizer(mode=IamMode.AUDIT)
    allowed = caller(identity=[policy(_allow())], version="acct:AIDA:1")
    assert make_call(allowed, authorizer).authorize().allowed
    same_version = caller(identity=[], version="acct:AIDA:1")  # a version names one policy set: the cache answers
    assert make_call(same_version, authorizer).authorize().allowed
    next_version = caller(identity=[], version="acct:AIDA:2")
    assert not make_call(next_version, authorizer).authorize().allowed


def test_a_trust_policy_must_grant_even_within_the_account(make_call: MakeCall) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/r"
    call = make_call(caller(identity=[policy(_allow("sts:AssumeRole"))]), PolicyAuthorizer(mode=IamMode.AUDIT))
    nobody = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                     "Action": "sts:AssumeRole"}, kind=PolicyKind.TRUST)
    decision = call.authorize("sts:AssumeRole", role, resource_policy=nobody)
    assert (decision.decision, decision.denied_by) == ("implicitDeny", PolicyKind.TRUST)
    account = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"},
                     kind=PolicyKind.TRUST)
    assert call.authorize("sts:AssumeRole", role, resource_policy=account).allowed


def test_repr_shows_mode_and_levels() -> None:
    assert repr(PolicyAuthorizer(mode=IamMode.AUDIT)) == "PolicyAuthorizer(mode='audit', org_levels=[])"
