"""Managed policies: customer managed ones as their records hold them, and the AWS managed ones codeconn knows.

A customer managed policy is an `iam_policy` record (id ANPA..., lookup
ACCOUNT/<name lower>) whose data holds PolicyName, Path, PolicyId, Description,
DefaultVersionId, NextVersion, Versions (`{"v1": {"Document", "CreateDate"}}`),
AttachmentCount and PermissionsBoundaryUsageCount. It keeps up to MAX_VERSIONS
versions (v1, v2, ...: numbers are never reused); the default one is what applies
wherever the policy is attached. The counts change in the same transaction as an
attachment, so a policy still in use is refused deletion without a scan.

AWS managed policies (`arn:aws:iam::aws:policy/...`) are not stored: the few
codeconn knows are the table below, taken from AWS's published documents, so
that the usual first step (attach AdministratorAccess) works.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from codeconn.domain.ids import iam_arn
from codeconn.domain.principals import POLICY, name_key
from codeconn.store import Record

AWS_ACCOUNT = "aws"
"""The account part of an AWS managed policy's ARN."""

MAX_VERSIONS = 5
"""Versions one managed policy keeps."""

AWS_PUBLISHED = datetime(2015, 2, 6, 18, 39, 46, tzinfo=UTC)
"""When AWS published its first managed policies: the dates of the ones codeconn serves."""


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


AWS_MANAGED: dict[str, tuple[str, str]] = {
    "AdministratorAccess": ("ANPAIWMBCKSKIEE64ZLYK", _document({"Effect": "Allow", "Action": "*", "Resource": "*"})),
    "IAMFullAccess": ("ANPAI7XKCFMBPM3QQRRVQ", _document({
        "Effect": "Allow",
        "Action": ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization",
                   "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy",
                   "organizations:ListChildren", "organizations:ListParents", "organizations:ListPoliciesForTarget",
                   "organizations:ListRoots", "organizations:ListPolicies", "organizations:ListTargetsForPolicy"],
        "Resource": "*"})),
    "IAMReadOnlyAccess": ("ANPAJKSO7NDY4T57MWDSQ", _document({
        "Effect": "Allow",
        "Action": ["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails", "iam:Get*", "iam:List*",
                   "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy"],
        "Resource": "*"})),
}
"""Name -> (policy id, document) of the AWS managed policies codeconn serves."""


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    document: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A customer or AWS managed policy, with its versions."""

    account_id: str  # AWS_ACCOUNT for an AWS managed policy
    id: str
    name: str
    path: str
    default_version_id: str
    versions: Mapping[str, PolicyVersion]
    created_at: datetime
    updated_at: datetime
    description: str = ""
    next_version: int = 2
    attachment_count: int = 0
    boundary_usage_count: int = 0

    @property
    def arn(self) -> str:
        return iam_arn(self.account_id, "policy", self.path, self.name)

    @property
    def aws_managed(self) -> bool:
        return self.account_id == AWS_ACCOUNT

    @property
    def document(self) -> str:
        """The default version's document: what applies wherever the policy is attached."""
        return self.versions[self.default_version_id].document

    @property
    def source_type(self) -> str:
        """SimulatePolicy's PolicySourceType: aws-managed or user-managed."""
        return "aws-managed" if self.aws_managed else "user-managed"

    @property
    def in_use(self) -> bool:
        return bool(self.attachment_count or self.boundary_usage_count)

    def counted(self, *, attachments: int = 0, boundary_uses: int = 0) -> ManagedPolicy:
        """This policy with its attachment and boundary-use counts moved (never below zero; UpdateDate stays)."""
        return replace(self, attachment_count=max(0, self.attachment_count + attachments),
                       boundary_usage_count=max(0, self.boundary_usage_count + boundary_uses))

    def with_version(self, document: str, now: datetime, *, make_default: bool) -> tuple[ManagedPolicy, str]:
        """This policy with a new version of `document`, and the new version's id."""
        version_id = f"v{self.next_version}"
        versions = {**self.versions, version_id: PolicyVersion(document, now)}
        default = version_id if make_default else self.default_version_id
        return replace(self, versions=versions, next_version=self.next_version + 1, default_version_id=default,
                       updated_at=now), version_id

    @classmethod
    def from_record(cls, record: Record) -> ManagedPolicy:
        data = record.data
        versions = {version_id: PolicyVersion(version["Document"], datetime.fromisoformat(version["CreateDate"]))
                    for version_id, version in data["Versions"].items()}
        return cls(account_id=record.account_id, id=record.id, name=record.name, path=data["Path"],
                   default_version_id=data["DefaultVersionId"], versions=versions, created_at=record.created_at,
                   updated_at=record.updated_at, description=data["Description"], next_version=data["NextVersion"],
                   attachment_count=int(data["AttachmentCount"]),
                   boundary_usage_count=int(data["PermissionsBoundaryUsageCount"]))

    def to_record(self) -> Record:
        if self.aws_managed:
            raise ValueError(f"{self.arn} is an AWS managed policy: it is not stored")
        data = {"PolicyName": self.name, "Path": self.path, "PolicyId": self.id, "Description": self.description,
                "DefaultVersionId": self.default_version_id, "NextVersion": self.next_version,
                "Versions": {version_id: {"Document": version.document, "CreateDate": version.created_at.isoformat()}
                             for version_id, version in self.versions.items()},
                "AttachmentCount": self.attachment_count,
                "PermissionsBoundaryUsageCount": self.boundary_usage_count}
        return Record(account_id=self.account_id, kind=POLICY, id=self.id, arn=self.arn, name=self.name, data=data,
                      created_at=self.created_at, updated_at=self.updated_at,
                      lookup=name_key(self.account_id, self.name))


def aws_managed(name: str) -> ManagedPolicy | None:
    """The AWS managed policy called `name` (at path /), if codeconn knows it."""
    known = AWS_MANAGED.get(name)
    if known is None:
        return None
    return ManagedPolicy(AWS_ACCOUNT, known[0], name, "/", "v1", {"v1": PolicyVersion(known[1], AWS_PUBLISHED)},
                         AWS_PUBLISHED, AWS_PUBLISHED)


def aws_managed_policies() -> list[ManagedPolicy]:
    """Every AWS managed policy codeconn knows, by name."""
    return [policy for policy in map(aws_managed, sorted(AWS_MANAGED)) if policy is not None]


__all__ = [
    "AWS_ACCOUNT",
    "AWS_MANAGED",
    "AWS_PUBLISHED",
    "MAX_VERSIONS",
    "ManagedPolicy",
    "PolicyVersion",
    "aws_managed",
    "aws_managed_policies",
]
