"""Keeping a managed policy's AttachmentCount and PermissionsBoundaryUsageCount true.

The counts live on the policy record and change in the same transaction as the
attachment, so DeletePolicy can refuse a policy still in use without scanning
every user, group and role. AWS managed policies are not stored and not counted.
Changing a count does not move the policy's UpdateDate, which AWS reserves for
its versions.
"""

from __future__ import annotations

from codeconn.domain.policies import ManagedPolicy
from codeconn.domain.principals import POLICY
from codeconn.store import Tx

ATTACHMENTS = "attachments"
BOUNDARY_USES = "boundary_uses"


def adjust(tx: Tx, policy_arn: str, field: str, delta: int) -> None:
    """Add `delta` to the policy's `field` count, if it is a customer managed policy of this account."""
    record = tx.get_by_arn(policy_arn)
    if record is None or record.kind != POLICY or record.account_id != tx.account_id:
        return
    tx.update(ManagedPolicy.from_record(record).counted(**{field: delta}).to_record())
