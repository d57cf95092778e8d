"""ARNs of connections, hosts and repository links: made for new resources, read from requests.

A resource's ARN carries the prefix of the endpoint it was created through
(`codestar-connections` or `codeconnections`) and keeps it for life: AWS matches
IAM policies against that ARN, so a policy naming one prefix must not be
sidestepped by quoting the same resource id under the other. Both endpoints
therefore accept either kind of ARN, but only the resource's own ARN, exactly.

Every resource lives in the Region it was created in and is found only there,
as AWS keeps Regions apart: a connection's ARN, name, quota and listing belong to
its Region (AWS CodeConnections User Guide, "Connections quotas" counts per Region).

    arn:aws:codeconnections:us-east-1:111122223333:connection/<uuid>
    arn:aws:codestar-connections:us-west-2:111122223333:host/My-Host-28aef605
    arn:aws:codeconnections:eu-west-1:111122223333:repository-link/<uuid>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONNECTIONS_SERVICES = ("codestar-connections", "codeconnections")
"""The two endpoints (and ARN prefixes) of the connections service."""


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """A resource type of the connections services: its store kind and ARN type."""

    kind: str  # the store's record kind
    arn_type: str  # the ARN's resource type
    noun: str  # what error messages call it


CONNECTION = ResourceKind("connection", "connection", "Connection")
HOST = ResourceKind("host", "host", "Host")
REPOSITORY_LINK = ResourceKind("repository_link", "repository-link", "Repository link")

TAGGABLE: dict[str, ResourceKind] = {kind.arn_type: kind for kind in (CONNECTION, HOST, REPOSITORY_LINK)}
"""The resource types TagResource, UntagResource and ListTagsForResource accept, by ARN type."""

_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>" + "|".join(map(re.escape, CONNECTIONS_SERVICES)) + r")"
    r":(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<type>[a-z-]+)/(?P<id>.+)$")


@dataclass(frozen=True, slots=True)
class Arn:
    """The parts of a connections ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource_type: str
    resource_id: str

    def __str__(self) -> str:
        return (f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:"
                f"{self.resource_type}/{self.resource_id}")


def parse_arn(value: str) -> Arn | None:
    """The parts of a connections-service ARN, or None for anything else."""
    match = _ARN.match(value)
    if match is None:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"], match["type"], match["id"])


def partition_of(region: str) -> str:
    """The partition a Region belongs to, as AWS spells it in ARNs."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def resource_arn(service: str, region: str, account: str, kind: ResourceKind, resource_id: str) -> str:
    """The ARN of a resource created (or named by id) through endpoint `service` in `region`."""
    return str(Arn(partition_of(region), service, region, account, kind.arn_type, resource_id))


def resource_id(arn: str) -> str:
    """The id at the end of a connections ARN (`.../connection/<uuid>` -> `<uuid>`)."""
    return arn.rsplit("/", 1)[1]


def internal_arn(account: str, kind: str, record_id: str) -> str:
    """A unique name for a record AWS gives no ARN (sync configurations, sync state); never returned."""
    return f"urn:codeconn:{account}:{kind}:{record_id}"


__all__ = [
    "CONNECTION",
    "CONNECTIONS_SERVICES",
    "HOST",
    "REPOSITORY_LINK",
    "TAGGABLE",
    "Arn",
    "ResourceKind",
    "internal_arn",
    "parse_arn",
    "partition_of",
    "resource_arn",
    "resource_id",
]
