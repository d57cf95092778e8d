"""Managed policies as the rest of IAM sees them: found by ARN, checked, shown.

Customer managed policies are `iam_policy` records; AWS managed policies are the
few codeconn knows (`codeconn.domain.policies`); both are `ManagedPolicy` values.
Any other AWS managed ARN is reported as not found.
"""

from __future__ import annotations

from typing import Any

from codeconn.domain.ids import split_iam_arn
from codeconn.domain.policies import AWS_ACCOUNT, ManagedPolicy, aws_managed
from codeconn.domain.principals import POLICY
from codeconn.service.iam.errors import InvalidInput, NoSuchEntity
from codeconn.service.tagging import tag_list
from codeconn.store import Reader


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
        return aws_managed(name) if path == "/" else None
    record = reader.get_by_arn(arn)
    if record is None or record.kind != POLICY:
        return None
    return ManagedPolicy.from_record(record)


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


def policy_out(policy: ManagedPolicy, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """A `Policy` structure (GetPolicy, CreatePolicy, ListPolicies)."""
    out: dict[str, Any] = {
        "PolicyName": policy.name, "PolicyId": policy.id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version_id, "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.boundary_usage_count, "IsAttachable": True,
        "CreateDate": policy.created_at, "UpdateDate": policy.updated_at,
    }
    if policy.description:
        out["Description"] = policy.description
    if tags:
        out["Tags"] = tag_list(tags)
    return out
