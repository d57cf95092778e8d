"""AWS's quotas for the connections services, checked inside the write transaction.

A write transaction serialises against every other write of the same account,
so counting and inserting in one transaction cannot be raced past the limit,
even by several replicas sharing one database. Connections are global and count
across the account; hosts and repository links are regional and count per Region.
"""

from __future__ import annotations

from dataclasses import dataclass

from codeconn.service.call import Call
from codeconn.service.connections.arns import (
    CONNECTION,
    HOST,
    REPOSITORY_LINK,
    ResourceKind,
)
from codeconn.service.errors import LimitExceededException
from codeconn.store import Reader


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    noun: str  # plural, as the message says it


QUOTAS: dict[str, Quota] = {
    CONNECTION.kind: Quota(250, "connections"),
    HOST.kind: Quota(50, "hosts"),
    REPOSITORY_LINK.kind: Quota(100, "repository links"),
}


def check_quota(tx: Reader, call: Call, kind: ResourceKind) -> None:
    """LimitExceededException when one more `kind` would pass its quota; call inside the transaction."""
    quota = QUOTAS[kind.kind]
    where = {"Region": call.region} if kind.regional else None
    if tx.count(kind.kind, where=where) >= quota.limit:
        scope = f" in {call.region}" if kind.regional else ""
        raise LimitExceededException(
            f"Exceeded the maximum limit for {quota.noun}: an account can have {quota.limit} {quota.noun}{scope}.")


__all__ = ["QUOTAS", "Quota", "check_quota"]
