"""User, Group, Role, ManagedPolicy and AccessKey read the records the store holds and write them back unchanged.

The records are in the layouts the IAM service wrote before the domain types existed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from stored_records import ACCOUNT, CREATED, UPDATED, record

from codeconn.domain.ids import iam_arn
from codeconn.domain.policies import AWS_ACCOUNT, AWS_PUBLISHED, ManagedPolicy, aws_managed, aws_managed_policies
from codeconn.domain.principals import (
    ENTITY_KINDS,
    GROUPS,
    ROLES,
    USERS,
    AccessKey,
    Group,
    InlinePolicy,
    Role,
    User,
    access_key_arn,
    name_key,
)
from codeconn.store import Record

DOCUMENT = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/boundary"


USER = record("iam_user", "AIDAEXAMPLE0000000001", f"arn:aws:iam::{ACCOUNT}:user/ops/Alice", "Alice", {
    "UserName": "Alice", "Path": "/ops/", "UserId": "AIDAEXAMPLE0000000001", "PermissionsBoundary": BOUNDARY,
    "InlinePolicies": {"readall": {"PolicyName": "ReadAll", "PolicyDocument": DOCUMENT}},
    "AttachedPolicies": ["arn:aws:iam::aws:policy/AdministratorAccess"], "Groups": ["AGPAEXAMPLE0000000001"]},
    f"{ACCOUNT}/alice")
GROUP = record("iam_group", "AGPAEXAMPLE0000000001", f"arn:aws:iam::{ACCOUNT}:group/devs", "devs", {
    "GroupName": "devs", "Path": "/", "GroupId": "AGPAEXAMPLE0000000001", "InlinePolicies": {},
    "AttachedPolicies": []}, f"{ACCOUNT}/devs")
ROLE = record("iam_role", "AROAEXAMPLE0000000001", f"arn:aws:iam::{ACCOUNT}:role/ci", "ci", {
    "RoleName": "ci", "Path": "/", "RoleId": "AROAEXAMPLE0000000001", "AssumeRolePolicyDocument": DOCUMENT,
    "Description": "", "MaxSessionDuration": 3600, "PermissionsBoundary": None, "InlinePolicies": {},
    "AttachedPolicies": []}, f"{ACCOUNT}/ci")
POLICY = record("iam_policy", "ANPAEXAMPLE0000000001", f"arn:aws:iam::{ACCOUNT}:policy/team/Deploy", "Deploy", {
    "PolicyName": "Deploy", "Path": "/team/", "PolicyId": "ANPAEXAMPLE0000000001", "Description": "deploys",
    "DefaultVersionId": "v2", "NextVersion": 3,
    "Versions": {"v1": {"Document": DOCUMENT, "CreateDate": CREATED.isoformat()},
                 "v2": {"Document": DOCUMENT.replace("*", "s3:*", 1), "CreateDate": UPDATED.isoformat()}},
    "AttachmentCount": 2, "PermissionsBoundaryUsageCount": 1}, f"{ACCOUNT}/deploy")
KEY = record("access_key", "AKIAEXAMPLE000000001", f"arn:aws:iam::{ACCOUNT}:access-key/AKIAEXAMPLE000000001",
             "AKIAEXAMPLE000000001", {"UserId": USER.id, "Status": "Active", "Secret": "v1:secret-ciphertext"},
             "AKIAEXAMPLE000000001")


@pytest.mark.parametrize(("stored", "kind"), [
    pytest.param(USER, USERS, id="user"),
    pytest.param(GROUP, GROUPS, id="group"),
    pytest.param(ROLE, ROLES, id="role"),
])
def test_an_entity_record_round_trips(stored: Record, kind: Any) -> None:
    entity = kind.from_record(stored)
    assert isinstance(entity, kind.entity)
    assert entity.to_record() == stored
    assert entity.arn == stored.arn and ENTITY_KINDS[kind.noun] is kind


def test_a_users_fields() -> None:
    user = User.from_record(USER)
    assert user.inline_policies == {"readall": InlinePolicy("ReadAll", DOCUMENT)}
    assert (user.boundary, user.groups, user.path) == (BOUNDARY, ("AGPAEXAMPLE0000000001",), "/ops/")


def test_a_group_has_no_boundary_and_writes_none() -> None:
    group = Group.from_record(GROUP)
    assert group.boundary is None and "PermissionsBoundary" not in group.to_record().data


def test_a_role_without_a_boundary_still_writes_the_field() -> None:
    role = Role.from_record(ROLE)
    assert role.boundary is None and role.to_record().data["PermissionsBoundary"] is None


def test_a_move_changes_name_arn_and_lookup_but_not_the_id() -> None:
    moved = User.from_record(USER).moved("/", "alice2", UPDATED + timedelta(hours=1))
    stored = moved.to_record()
    assert (stored.id, stored.arn, stored.lookup) == (USER.id, iam_arn(ACCOUNT, "user", "/", "alice2"),
                                                      name_key(ACCOUNT, "alice2"))
    assert stored.data["UserName"] == "alice2" and stored.data["Groups"] == USER.data["Groups"]


def test_names_are_keyed_without_regard_to_case() -> None:
    assert name_key(ACCOUNT, "Alice") == name_key(ACCOUNT, "ALICE") == f"{ACCOUNT}/alice"


def test_a_managed_policy_record_round_trips() -> None:
    policy = ManagedPolicy.from_record(POLICY)
    assert policy.to_record() == POLICY
    assert policy.document == POLICY.data["Versions"]["v2"]["Document"]
    assert (policy.aws_managed, policy.source_type, policy.in_use) == (False, "user-managed", True)


def test_a_new_version_takes_the_next_number_and_may_become_the_default() -> None:
    policy = ManagedPolicy.from_record(POLICY)
    kept, version_id = policy.with_version("{}", UPDATED, make_default=False)
    assert (version_id, kept.default_version_id, kept.next_version) == ("v3", "v2", 4)
    made, _ = policy.with_version("{}", UPDATED, make_default=True)
    assert made.default_version_id == "v3" and made.document == "{}"


def test_counts_never_go_below_zero_and_leave_the_update_date() -> None:
    policy = ManagedPolicy.from_record(POLICY)
    counted = policy.counted(attachments=-5, boundary_uses=+1)
    assert (counted.attachment_count, counted.boundary_usage_count) == (0, 2)
    assert counted.updated_at == policy.updated_at


def test_aws_managed_policies_are_known_by_name_and_never_stored() -> None:
    admin = aws_managed("AdministratorAccess")
    assert admin is not None and admin.arn == "arn:aws:iam::aws:policy/AdministratorAccess"
    assert (admin.account_id, admin.created_at, admin.source_type) == (AWS_ACCOUNT, AWS_PUBLISHED, "aws-managed")
    assert aws_managed("NoSuchPolicy") is None
    assert [p.name for p in aws_managed_policies()] == sorted(p.name for p in aws_managed_policies())
    with pytest.raises(ValueError, match="not stored"):
        admin.to_record()


def test_an_access_key_record_round_trips_and_hides_its_secret() -> None:
    key = AccessKey.from_record(KEY)
    assert key.to_record() == KEY
    assert key.active and "secret-ciphertext" not in repr(key)
    assert access_key_arn(ACCOUNT, key.id) == KEY.arn
    assert not replace(key, status="Inactive").active
