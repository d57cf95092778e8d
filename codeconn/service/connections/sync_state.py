"""How Git sync's state is kept: record kinds, ids, and timestamps in JSON.

Sync configurations are written by the API; the sync statuses and blockers are
written by whatever runs a sync (not part of the API: nothing has run until a
sync engine records an attempt), and the API only reads them. Both sides use
the ids and layouts below. All of it is regional, so the Region is part of
every id that is not already a regional resource's UUID.

    sync_configuration      id <region>|<SyncType>|<ResourceName>
        {"Region", "SyncType", "ResourceName", "Branch", "ConfigFile", "RepositoryLinkId", "RoleArn",
         "OwnerId", "RepositoryName", "ProviderType",
         "PublishDeploymentStatus"?, "TriggerResourceUpdateOn"?, "PullRequestComment"?}
    repository_sync_status  id <RepositoryLinkId>|<SyncType>|<Branch>
        {"RepositoryLinkId", "SyncType", "Branch", "LatestSync": RepositorySyncAttempt}
    resource_sync_status    id <region>|<SyncType>|<ResourceName>
        {"Region", "SyncType", "ResourceName", "DesiredState"?, "LatestSuccessfulSync"?, "LatestSync"}
    sync_blocker            id <region>|<SyncType>|<ResourceName>|<Id>
        {"Region", "SyncType", "ResourceName", "ParentResourceName"?, "Id", "Type", "Status",
         "CreatedReason", "CreatedAt", "Contexts"?, "ResolvedReason"?, "ResolvedAt"?}

The nested values have the models' shapes (RepositorySyncAttempt, ResourceSyncAttempt,
Revision, SyncBlocker), with timestamps as ISO 8601 strings (`to_stored`); readers turn
them back into datetimes (`from_stored`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

SYNC_CONFIGURATION = "sync_configuration"
REPOSITORY_SYNC_STATUS = "repository_sync_status"
RESOURCE_SYNC_STATUS = "resource_sync_status"
SYNC_BLOCKER = "sync_blocker"

TIMESTAMP_FIELDS = frozenset({"StartedAt", "Time", "CreatedAt", "ResolvedAt"})
"""The members of the sync shapes that are timestamps."""


def sync_configuration_id(region: str, sync_type: str, resource_name: str) -> str:
    return f"{region}|{sync_type}|{resource_name}"


def repository_sync_status_id(repository_link_id: str, sync_type: str, branch: str) -> str:
    return f"{repository_link_id}|{sync_type}|{branch}"


def resource_sync_status_id(region: str, sync_type: str, resource_name: str) -> str:
    return f"{region}|{sync_type}|{resource_name}"


def sync_blocker_id(region: str, sync_type: str, resource_name: str, blocker_id: str) -> str:
    return f"{region}|{sync_type}|{resource_name}|{blocker_id}"


def to_stored(value: Any) -> Any:
    """A shape's value made JSON-safe: datetimes become ISO 8601 strings, at any depth."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {name: to_stored(item) for name, item in value.items()}
    if isinstance(value, list):
        return [to_stored(item) for item in value]
    return value


def from_stored(value: Any) -> Any:
    """A stored value back in the shape's Python form: the timestamp members become datetimes."""
    if isinstance(value, dict):
        return {name: datetime.fromisoformat(item) if name in TIMESTAMP_FIELDS and isinstance(item, str)
                else from_stored(item) for name, item in value.items()}
    if isinstance(value, list):
        return [from_stored(item) for item in value]
    return value


__all__ = [
    "REPOSITORY_SYNC_STATUS",
    "RESOURCE_SYNC_STATUS",
    "SYNC_BLOCKER",
    "SYNC_CONFIGURATION",
    "TIMESTAMP_FIELDS",
    "from_stored",
    "repository_sync_status_id",
    "resource_sync_status_id",
    "sync_blocker_id",
    "sync_configuration_id",
    "to_stored",
]
