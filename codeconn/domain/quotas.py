"""AWS's quotas for the connections services: the numbers, and the rule that applies them.

The service counts inside its write transaction (which serialises against every
other write of the account, so counting and inserting cannot be raced past the
limit, even by several replicas sharing one database) and asks the quota whether
one more fits. Every quota counts per Region, as AWS's do.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeconn.domain.arns import CONNECTION, HOST, REPOSITORY_LINK, ResourceKind


@dataclass(frozen=True, slots=True)
class Quota:
    """How many resources of one kind an account may hold in one Region."""

    kind: ResourceKind
    limit: int
    noun: str  # plural, as the message says it

    def scope(self, region: str) -> dict[str, str]:
        """The records that count against the quota: the Region's."""
        return {"Region": region}

    def allows_one_more(self, count: int) -> bool:
        """Whether a resource may be added to `count` existing ones."""
        return count < self.limit

    def exceeded(self, region: str) -> str:
        """AWS's LimitExceededException message for this quota."""
        return (f"Exceeded the maximum limit for {self.noun}: an account can have {self.limit} "
                f"{self.noun} in {region}.")


QUOTAS: dict[str, Quota] = {quota.kind.kind: quota for quota in (
    Quota(CONNECTION, 250, "connections"),
    Quota(HOST, 50, "hosts"),
    Quota(REPOSITORY_LINK, 100, "repository links"),
)}
"""The quota of each connections resource, by store kind."""


__all__ = ["QUOTAS", "Quota"]
