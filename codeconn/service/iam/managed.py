"""Managed policies as the rest of IAM sees them: found by ARN, with their default version.

Customer managed policies are `iam_policy` records (see `model.py`); their versions
live in the record, `{"v1": {"Document": ..., "CreateDate": ...}}`, with the default
named by DefaultVersionId. AWS managed policies (`arn:aws:iam::aws:policy/...`)
are not stored: the few codeconn knows are the table below, taken from AWS's
published documents, so that the usual first step (attach AdministratorAccess)
works. Any other AWS managed ARN is reported as not found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from codeconn.service.iam.errors import InvalidInput, NoSuchEntity
from codeconn.domain.ids import split_iam_arn
from codeconn.service.iam.model import POLICY, tag_list
from codeconn.store import Reader, Record

AWS_ACCOUNT = "aws"
_EPOCH = datetime(2015, 2, 6, 18, 39, 46, tzinfo=UTC)  # when AWS published its first managed policies


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


@dataclass(frozen=True)
class ManagedPolicy:
    """A customer or AWS managed policy with its default version's document."""

    arn: str
    name: str
    id: str
    path: str
    default_version: str
    document: str
    record: Record | None  # None for an AWS managed policy

    @property
    def aws_managed(self) -> bool:
        return self.record is None

    @property
    def source_type(self) -> str:
        """SimulatePolicy's PolicySourceType: aws-managed or user-managed."""
        return "aws-managed" if self.aws_managed else "user-managed"


def check_policy_arn(arn: str) -> tuple[str, str, str]:
    """(account, path, name) of a policy ARN; InvalidInput when `arn` is not one."""
    parts = split_iam_arn(arn, "policy")
    if parts is None:
        raise InvalidInput(f"ARN {arn} is not valid.")
    return parts


def resolve(reader: Reader, arn: str) -> ManagedPolicy | None:
    """The managed policy `arn` names, or None (an ARN that is not a policy ARN names none)."""
    parts = split_iam_arn(arn, "policy")
    if parts is None:
        return None
    account, path, name = parts
    if account == AWS_ACCOUNT:
        known = AWS_MANAGED.get(name)
        if known is None or path != "/":
            return None
        return ManagedPolicy(arn, name, known[0], path, "v1", known[1], None)
    record = reader.get_by_arn(arn)
    if record is None or record.kind != POLICY:
        return None
    default = record.data["DefaultVersionId"]
    return ManagedPolicy(record.arn, record.name, record.id, record.data["Path"], default,
                         record.data["Versions"][default]["Document"], record)


def present(found: ManagedPolicy | None, arn: str) -> ManagedPolicy:
    """`found`, or the error for its absence: InvalidInput for a malformed ARN, else NoSuchEntity."""
    if found is not None:
        return found
    check_policy_arn(arn)
    raise NoSuchEntity(f"Policy {arn} was not found.")


def require_policy(reader: Reader, arn: str) -> ManagedPolicy:
    """The managed policy `arn` names; InvalidInput for a malformed ARN, NoSuchEntity for an unknown one."""
    return present(resolve(reader, arn), arn)


def require_attachable(reader: Reader, arn: str) -> ManagedPolicy:
    """As `require_policy`, in the words AWS uses when attaching or setting a boundary."""
    check_policy_arn(arn)
    found = resolve(reader, arn)
    if found is None:
        raise NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")
    return found


def version_date(version: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(version["CreateDate"])


def policy_out(policy: ManagedPolicy, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """A `Policy` structure (GetPolicy, CreatePolicy, ListPolicies)."""
    record = policy.record
    created = record.created_at if record is not None else _EPOCH
    updated = record.updated_at if record is not None else _EPOCH
    out: dict[str, Any] = {
        "PolicyName": policy.name, "PolicyId": policy.id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": record.data["AttachmentCount"] if record is not None else 0,
        "PermissionsBoundaryUsageCount": record.data["PermissionsBoundaryUsageCount"] if record is not None else 0,
        "IsAttachable": True, "CreateDate": created, "UpdateDate": updated,
    }
    if record is not None and record.data.get("Description"):
        out["Description"] = record.data["Description"]
    if tags:
        out["Tags"] = tag_list(tags)
    return out


def aws_managed_policies() -> list[ManagedPolicy]:
    return [ManagedPolicy(f"arn:aws:iam::aws:policy/{name}", name, policy_id, "/", "v1", document, None)
            for name, (policy_id, document) in sorted(AWS_MANAGED.items())]
