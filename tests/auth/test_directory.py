"""StoreDirectory: keys to credentials, credentials to callers, with their policies, tags and cache."""

from __future__ import annotations

from typing import Any

import pytest
from iam_bench import ACCOUNT, Bench, allow, document

from codeconn.auth import StoreDirectory, UnknownCredentials
from codeconn.iam import PolicyKind, PrincipalType
from codeconn.service.iam.model import ACCESS_KEY
from codeconn.wire.sigv4 import Credentials


def test_the_root_key_is_the_configured_one(bench: Bench) -> None:
    credentials = bench.directory.credentials("test")
    assert credentials is not None and (credentials.access_key_id, credentials.secret_key) == ("test", "test")
    root = bench.directory.caller(credentials)
    assert root.is_root and root.principal.type is PrincipalType.ROOT
    assert (root.account_id, root.userid, root.principal.arn) == (ACCOUNT, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    assert root.policies.identity == () and "test" not in repr(credentials).replace("'test'", "")


def test_without_a_root_key_test_is_unknown(bench: Bench) -> None:
    directory = StoreDirectory(bench.store, bench.secrets, root_credentials=None, default_account=ACCOUNT)
    assert directory.credentials("test") is None
    with pytest.raises(UnknownCredentials):
        directory.caller(Credentials("test", "test"))


def test_unknown_and_inactive_keys(bench: Bench) -> None:
    assert bench.directory.credentials("AKIAUNKNOWNUNKNOWN12") is None
    assert bench.directory.credentials("ASIAUNKNOWNUNKNOWN12") is None
    alice = bench.user("alice")
    key_id = alice.access_key_id or ""
    bench.iam("UpdateAccessKey", UserName="alice", AccessKeyId=key_id, Status="Inactive")
    assert bench.directory.credentials(key_id) is None
    with pytest.raises(UnknownCredentials) as raised:
        bench.directory.caller(Credentials(key_id, "whatever"))
    assert raised.value.message == "The security token included in the request is invalid."


def test_a_users_caller_has_every_policy_that_applies(bench: Bench) -> None:
    managed = bench.iam("CreatePolicy", PolicyName="m", PolicyDocument=document(allow("s3:*")))["Policy"]["Arn"]
    boundary = bench.iam("CreatePolicy", PolicyName="b", PolicyDocument=document(allow("*")))["Policy"]["Arn"]
    bench.iam("CreateGroup", GroupName="g")
    bench.iam("PutGroupPolicy", GroupName="g", PolicyName="gi", PolicyDocument=document(allow("iam:Get*")))
    bench.iam("AttachGroupPolicy", GroupName="g", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    alice = bench.user("alice", allow("sts:*"), PermissionsBoundary=boundary, Tags=[{"Key": "team", "Value": "ci"}])
    bench.iam("AttachUserPolicy", UserName="alice", PolicyArn=managed)
    bench.iam("AddUserToGroup", GroupName="g", UserName="alice")
    alice = bench.caller_of(alice.access_key_id or "")
    assert sorted(p.name for p in alice.policies.identity) == sorted([
        "user/alice/inline", managed, "group/g/gi", "arn:aws:iam::aws:policy/IAMReadOnlyAccess"])
    assert [(p.name, p.kind) for p in alice.policies.boundaries] == [(boundary, PolicyKind.BOUNDARY)]
    assert alice.tags == {"team": "ci"} and alice.userid.startswith("AIDA")
    assert alice.principal.arn == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_callers_are_reused_until_the_account_changes(bench: Bench) -> None:
    alice = bench.user("alice", allow("iam:ListUsers"))
    key_id = alice.access_key_id or ""
    again = bench.caller_of(key_id)
    assert again is alice
    bench.iam("CreateUser", UserName="bob")  # any IAM write moves the account's generation
    changed = bench.caller_of(key_id)
    assert changed is not alice and changed.policy_version != alice.policy_version
    assert changed.policies == alice.policies


def test_a_known_key_costs_one_read_until_the_account_changes(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = bench.user("alice", allow("iam:ListUsers"))
    key_id = alice.access_key_id or ""
    reads: list[tuple[str | None, bool]] = []
    opened = bench.store.read

    def counted(account_id: str | None = None, *, single_statement: bool = False) -> Any:
        reads.append((account_id, single_statement))
        return opened(account_id, single_statement=single_statement)

    monkeypatch.setattr(bench.store, "read", counted)
    assert bench.caller_of(key_id) is alice
    assert reads == [(None, True)]  # known since it signed: its account's generation only, one statement
    bench.iam("CreateUser", UserName="bob")
    reads.clear()
    assert bench.caller_of(key_id) is not alice
    # A new generation: the key is read again with it, then the principal.
    assert reads == [(None, True), (None, False), (ACCOUNT, False)]


def test_a_session_caller(bench: Bench) -> None:
    alice = bench.user("alice", allow(["sts:AssumeRole", "sts:TagSession"]))
    both = document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
    bench.role("ci", both, allow("s3:*"), Path="/svc/", Tags=[{"Key": "team", "Value": "web"}])
    session = bench.assume(alice, f"arn:aws:iam::{ACCOUNT}:role/svc/ci", "build", Policy=document(allow("s3:Get*")),
                           Tags=[{"Key": "run", "Value": "7"}])
    assert session.principal.type is PrincipalType.ROLE_SESSION
    assert session.principal.arn == f"arn:aws:iam::{ACCOUNT}:role/svc/ci"  # aws:PrincipalArn keeps the path
    assert session.principal.session_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/ci/build"
    assert [p.name for p in session.policies.session] == ["session-policy"]
    assert session.tags == {"team": "web", "run": "7"}
    assert session.userid.startswith("AROA") and session.userid.endswith(":build")


def test_secrets_never_show(bench: Bench) -> None:
    bench.iam("CreateUser", UserName="alice")
    key = bench.iam("CreateAccessKey", UserName="alice")["AccessKey"]
    secret = key["SecretAccessKey"]
    credentials = bench.directory.credentials(key["AccessKeyId"])
    assert credentials is not None and credentials.secret_key == secret
    caller = bench.directory.caller(credentials)
    with bench.store.read(ACCOUNT) as reader:
        record = reader.get(ACCESS_KEY, key["AccessKeyId"])
    for shown in (repr(credentials), str(credentials), repr(caller), repr(record), repr(bench.directory)):
        assert secret not in shown


def test_plain_credentials_are_looked_up_too(bench: Bench) -> None:
    """The edge passes back what `credentials` returned; any Credentials with a known key id also works."""
    alice = bench.user("alice")
    plain = bench.directory.caller(Credentials(alice.access_key_id or "", "not checked here"))
    assert plain.principal.arn == alice.principal.arn and plain.policy_version == alice.policy_version
