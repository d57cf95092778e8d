"""STS: GetCallerIdentity and AssumeRole, the trust policy decided by the engine with the caller's policies."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "iam"))

from iam_bench import (
    ACCOUNT,
    NOW,
    OTHER_ACCOUNT,
    Bench,
    allow,
    deny,
    document,
    fresh_bench,
    trust,
)

from codeconn.auth import ExpiredCredentials
from codeconn.service.call import IamMode
from codeconn.service.errors import AccessDenied, IamError
from codeconn.service.iam import sessions
from codeconn.service.iam.model import ROLES, SESSION, find
from codeconn.store import SecretBox
from codeconn.store.sql import open_store
from codeconn.wire.errors import WireError

USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ci"
TRUST_ACCOUNT = trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"})
ASSUME = allow("sts:AssumeRole")


@pytest.fixture
def bench() -> Iterator[Bench]:
    with fresh_bench() as bench:
        yield bench


def test_get_caller_identity_for_root_user_and_session(bench: Bench) -> None:
    assert bench.sts("GetCallerIdentity") == {"UserId": ACCOUNT, "Account": ACCOUNT,
                                              "Arn": f"arn:aws:iam::{ACCOUNT}:root"}
    alice = bench.user("alice", ASSUME)
    assert bench.sts("GetCallerIdentity", as_=alice) == {"UserId": alice.userid, "Account": ACCOUNT, "Arn": USER}
    bench.role("ci", TRUST_ACCOUNT)
    session = bench.assume(alice, ROLE, "build-7")
    identity = bench.sts("GetCallerIdentity", as_=session)
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/build-7"
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(":build-7")
    assert bench.last.decisions == []  # never denied, never asked


def test_assume_role_answers_credentials_and_the_assumed_role_user(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    role_id = bench.iam("CreateRole", RoleName="ci", AssumeRolePolicyDocument=TRUST_ACCOUNT)["Role"]["RoleId"]
    out = bench.sts("AssumeRole", as_=alice, RoleArn=ROLE, RoleSessionName="s1")
    credentials = out["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["AccessKeyId"]) == 20
    assert len(credentials["SecretAccessKey"]) == 40 and len(credentials["SessionToken"]) > 100
    assert credentials["Expiration"] == NOW + timedelta(seconds=3600)
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role_id}:s1",
                                      "Arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/s1"}
    found = bench.directory.credentials(credentials["AccessKeyId"])
    assert found is not None and (found.secret_key, found.session_token) == (credentials["SecretAccessKey"],
                                                                             credentials["SessionToken"])
    assert credentials["SecretAccessKey"] not in repr(found) and credentials["SessionToken"] not in repr(found)


@pytest.mark.parametrize("trust_document, identity, allowed, reason", [
    pytest.param(TRUST_ACCOUNT, [ASSUME], True, None, id="trust names the account, identity allows"),
    pytest.param(TRUST_ACCOUNT, [], False, "because no identity-based policy allows the sts:AssumeRole action",
                 id="trust names the account, identity silent"),
    pytest.param(trust({"AWS": USER}), [], True, None, id="trust names the user: no identity policy needed"),
    pytest.param(trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}), [ASSUME], False,
                 "because no role trust policy allows the sts:AssumeRole action",
                 id="trust names someone else: the identity allow is not enough"),
    pytest.param(document({"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole"},
                          {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"}), [ASSUME], False,
                 "with an explicit deny in a role trust policy", id="explicit deny in the trust policy"),
    pytest.param(TRUST_ACCOUNT, [ASSUME, deny("sts:AssumeRole", ROLE)], False,
                 "with an explicit deny in an identity-based policy", id="explicit deny in the identity policy"),
    pytest.param(trust({"AWS": USER}, Condition={"StringEquals": {"sts:ExternalId": "secret-handshake"}}), [], False,
                 "because no role trust policy allows the sts:AssumeRole action", id="external id required"),
])
def test_same_account_trust(bench: Bench, trust_document: str, identity: list[dict[str, str]], allowed: bool,
                            reason: str | None) -> None:
    alice = bench.user("alice", *identity)
    bench.role("ci", trust_document)
    if allowed:
        bench.assume(alice, ROLE)
        return
    with pytest.raises(AccessDenied) as raised:
        bench.assume(alice, ROLE)
    assert raised.value.message == f"User: {USER} is not authorized to perform: sts:AssumeRole on resource: {ROLE} {reason}"


def test_external_id_reaches_the_trust_policy(bench: Bench) -> None:
    alice = bench.user("alice")
    bench.role("ci", trust({"AWS": USER}, Condition={"StringEquals": {"sts:ExternalId": "secret-handshake"}}))
    bench.assume(alice, ROLE, ExternalId="secret-handshake")


@pytest.mark.parametrize("trusted, identity, allowed", [
    pytest.param(ACCOUNT, [ASSUME], True, id="trusted account, identity allows"),
    pytest.param(ACCOUNT, [], False, id="trusted account, identity silent: across accounts both must allow"),
    pytest.param(USER, [], False, id="trust names the user: across accounts identity must still allow"),
    pytest.param("999988887777", [ASSUME], False, id="another account trusted"),
])
def test_cross_account_trust(bench: Bench, trusted: str, identity: list[dict[str, str]], allowed: bool) -> None:
    other_root = bench.root_of(OTHER_ACCOUNT)
    role = bench.role("shared", trust({"AWS": trusted}), allow("iam:ListUsers"), as_=other_root)
    assert role == f"arn:aws:iam::{OTHER_ACCOUNT}:role/shared"
    alice = bench.user("alice", *identity)
    if not allowed:
        with pytest.raises(AccessDenied):
            bench.assume(alice, role)
        return
    session = bench.assume(alice, role)
    assert session.account_id == OTHER_ACCOUNT
    assert session.principal.session_arn == f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/shared/session"
    bench.iam("ListUsers", as_=session)  # acts in the role's account


def test_a_missing_role_is_access_denied_not_no_such_entity(bench: Bench) -> None:
    alice = bench.user("alice", allow("sts:AssumeRole"))
    with pytest.raises(AccessDenied) as raised:
        bench.assume(alice, f"arn:aws:iam::{ACCOUNT}:role/ghost")
    assert raised.value.message.startswith(f"User: {USER} is not authorized to perform: sts:AssumeRole on resource: "
                                           f"arn:aws:iam::{ACCOUNT}:role/ghost")


def test_a_role_arn_with_the_wrong_path_names_no_role(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT, Path="/svc/")
    with pytest.raises(AccessDenied):
        bench.assume(alice, ROLE)
    bench.assume(alice, f"arn:aws:iam::{ACCOUNT}:role/svc/ci")


def test_the_root_may_not_assume_roles_as_in_aws(bench: Bench) -> None:
    bench.role("ci", TRUST_ACCOUNT, allow("iam:ListUsers"))
    with pytest.raises(AccessDenied) as raised:
        bench.assume(bench.root, ROLE)
    assert raised.value.message == "Roles may not be assumed by root accounts."


@pytest.mark.parametrize("duration, max_duration, chained, message", [
    pytest.param(7200, 3600, False, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
                 id="beyond the role's maximum"),
    pytest.param(7200, 43200, True,
                 "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
                 id="role chaining is limited to one hour"),
])
def test_duration_limits(bench: Bench, duration: int, max_duration: int, chained: bool, message: str) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}),
               ASSUME, MaxSessionDuration=max_duration)
    caller = bench.assume(alice, ROLE) if chained else alice
    with pytest.raises(IamError) as raised:
        bench.assume(caller, ROLE, DurationSeconds=duration)
    assert (raised.value.code, raised.value.message) == ("ValidationError", message)


def test_duration_within_limits_sets_the_expiry(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT, MaxSessionDuration=43200)
    out = bench.sts("AssumeRole", as_=alice, RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=43200)
    assert out["Credentials"]["Expiration"] == NOW + timedelta(hours=12)
    with pytest.raises(WireError):  # the model's range, 900 seconds and up
        bench.sts("AssumeRole", as_=alice, RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=899)


def test_session_policies_narrow_the_roles_permissions(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT, allow("iam:List*"))
    managed = bench.iam("CreatePolicy", PolicyName="roles", PolicyDocument=document(allow("iam:ListRoles")))["Policy"]
    inline_only = bench.assume(alice, ROLE, Policy=document(allow("iam:ListUsers")))
    bench.iam("ListUsers", as_=inline_only)
    with pytest.raises(AccessDenied) as raised:
        bench.iam("ListRoles", as_=inline_only)
    assert raised.value.message == (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/ci/session is not authorized to "
                                    "perform: iam:ListRoles on resource: * because no session policy allows the "
                                    "iam:ListRoles action")
    both = bench.assume(alice, ROLE, Policy=document(allow("iam:ListUsers")), PolicyArns=[{"arn": managed["Arn"]}])
    bench.iam("ListRoles", as_=both)
    with pytest.raises(AccessDenied):  # a session policy cannot grant what the role lacks
        bench.iam("GetUser", as_=bench.assume(alice, ROLE, Policy=document(allow("iam:*"))), UserName="alice")


def test_a_malformed_session_policy(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT)
    with pytest.raises(IamError) as raised:
        bench.assume(alice, ROLE, Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    assert raised.value.code == "MalformedPolicyDocument"


def test_session_tags_need_tag_session_and_become_principal_tags(bench: Bench) -> None:
    alice = bench.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    only_assume = trust({"AWS": ACCOUNT})
    bench.role("ci", only_assume, allow("iam:ListUsers", Condition={"StringEquals": {"aws:PrincipalTag/team": "ci"}}),
               Tags=[{"Key": "team", "Value": "web"}])
    with pytest.raises(AccessDenied) as raised:
        bench.assume(alice, ROLE, Tags=[{"Key": "team", "Value": "ci"}])
    assert raised.value.action == "sts:TagSession"
    bench.iam("UpdateAssumeRolePolicy", RoleName="ci", PolicyDocument=document(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))
    tagged = bench.assume(alice, ROLE, Tags=[{"Key": "Team", "Value": "ci"}])
    assert tagged.tags == {"Team": "ci"}  # the session's tag replaces the role's, keys ignore case
    bench.iam("ListUsers", as_=tagged)
    untagged = bench.assume(alice, ROLE)
    assert untagged.tags == {"team": "web"}
    with pytest.raises(AccessDenied):
        bench.iam("ListUsers", as_=untagged)


def test_expired_session_credentials_are_refused(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT)
    out = bench.sts("AssumeRole", as_=alice, RoleArn=ROLE, RoleSessionName="s1", DurationSeconds=900)
    key_id = out["Credentials"]["AccessKeyId"]
    bench.clock.advance(899)
    credentials = bench.directory.credentials(key_id)
    assert credentials is not None and credentials.expires_at == NOW + timedelta(seconds=900)
    bench.directory.caller(credentials)
    bench.clock.advance(1)
    with pytest.raises(ExpiredCredentials) as raised:
        bench.directory.caller(credentials)
    assert raised.value.message == "The security token included in the request is expired"


def test_a_session_of_a_deleted_role_keeps_no_permissions(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT, allow("iam:ListUsers"))
    session = bench.assume(alice, ROLE)
    bench.iam("ListUsers", as_=session)
    bench.iam("DeleteRolePolicy", RoleName="ci", PolicyName="inline")
    bench.iam("DeleteRole", RoleName="ci")
    with pytest.raises(AccessDenied):
        bench.iam("ListUsers", as_=bench.caller_of(session.access_key_id or ""))


def test_role_chaining_within_the_account(bench: Bench) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("first", TRUST_ACCOUNT)
    bench.role("second", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/first"}), allow("iam:ListUsers"))
    first = bench.assume(alice, f"arn:aws:iam::{ACCOUNT}:role/first")
    second = bench.assume(first, f"arn:aws:iam::{ACCOUNT}:role/second")  # the trust names the role: no identity allow
    bench.iam("ListUsers", as_=second)


@pytest.mark.parametrize("name", [pytest.param("x", id="too short"), pytest.param("has space", id="bad character"),
                                  pytest.param("n" * 65, id="too long")])
def test_role_session_name_is_checked_against_the_model(bench: Bench, name: str) -> None:
    alice = bench.user("alice", ASSUME)
    bench.role("ci", TRUST_ACCOUNT)
    with pytest.raises(WireError) as raised:
        bench.sts("AssumeRole", as_=alice, RoleArn=ROLE, RoleSessionName=name)
    assert "roleSessionName" in raised.value.message


def test_session_name_condition_key(bench: Bench) -> None:
    alice = bench.user("alice")
    bench.role("ci", trust({"AWS": USER}, Condition={"StringEquals": {"sts:RoleSessionName": "${aws:username}"}}))
    bench.assume(alice, ROLE, "alice")
    with pytest.raises(AccessDenied):
        bench.assume(alice, ROLE, "mallory")


def test_issued_sessions_and_stored_sessions_never_show_their_secrets(bench: Bench) -> None:
    bench.role("ci", TRUST_ACCOUNT)
    with bench.store.transaction(ACCOUNT) as tx:
        role = find(tx, ROLES, ACCOUNT, "ci")
        assert role is not None
        issued = sessions.issue(tx, bench.secrets, role=role, session_name="s1", duration=900, now=NOW)
    with bench.store.read(ACCOUNT) as reader:
        record = reader.get(SESSION, issued.access_key_id)
    for shown in (repr(issued), str(issued), repr(record), repr(bench.caller_of(issued.access_key_id))):
        assert issued.secret_access_key not in shown and issued.session_token not in shown


@pytest.mark.parametrize("mode", [pytest.param(IamMode.AUDIT, id="audit"), pytest.param(IamMode.OFF, id="off")])
def test_a_missing_role_is_refused_in_every_mode(mode: IamMode) -> None:
    store = open_store("sqlite://")
    try:
        bench = Bench(store, SecretBox(SecretBox.generate_key()), mode)
        alice = bench.user("alice")
        with pytest.raises(AccessDenied):
            bench.assume(alice, f"arn:aws:iam::{ACCOUNT}:role/ghost")
        bench.role("ci", trust({"AWS": "999988887777"}))
        session = bench.assume(alice, ROLE)  # audit and off let a denied AssumeRole through
        assert session.principal.session_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/session"
        assert bench.calls[-1].decisions[0].enforced is False
    finally:
        store.close()
