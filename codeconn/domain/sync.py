"""Git sync: SyncConfiguration and SyncBlocker, and how the rest of sync's state is kept.

Sync configurations are written by the API; the sync statuses and blockers are
written by whatever runs a sync (not part of the API: nothing has run until a
sync engine records an attempt), and the API only reads them, resolving a
blocker being its one write. Both sides use the ids and layouts below. All of it
is regional, so the Region is part of every id that is not already a regional
resource's UUID.

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

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from codeconn.domain.arns import internal_arn
from codeconn.store import Record

SYNC_CONFIGURATION = "sync_configuration"
REPOSITORY_SYNC_STATUS = "repository_sync_status"
RESOURCE_SYNC_STATUS = "resource_sync_status"
SYNC_BLOCKER = "sync_blocker"

TIMESTAMP_FIELDS = frozenset({"StartedAt", "Time", "CreatedAt", "ResolvedAt"})
"""The members of the sync shapes that are timestamps."""

RESOLVED = "RESOLVED"
"""The status of a blocker that no longer blocks."""


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


SETTINGS = {"Branch": "branch", "ConfigFile": "config_file", "RoleArn": "role_arn",
            "PublishDeploymentStatus": "publish_deployment_status",
            "TriggerResourceUpdateOn": "trigger_resource_update_on", "PullRequestComment": "pull_request_comment"}
"""The request members a sync configuration takes as they are (Create and Update), and their fields."""


@dataclass(frozen=True, slots=True)
class SyncConfiguration:
    """Keeps one resource (for CFN_STACK_SYNC a CloudFormation stack) in step with a branch of a linked repository.

    (ResourceName, SyncType) names it within a Region. The repository's owner, name
    and provider are copied from the repository link it syncs from.
    """

    account_id: str
    region: str
    sync_type: str
    resource_name: str
    branch: str
    config_file: str
    role_arn: str
    repository_link_id: str
    owner_id: str
    repository_name: str
    provider_type: str
    created_at: datetime
    updated_at: datetime
    publish_deployment_status: str | None = None
    trigger_resource_update_on: str | None = None
    pull_request_comment: str | None = None

    @property
    def id(self) -> str:
        return sync_configuration_id(self.region, self.sync_type, self.resource_name)

    def with_settings(self, settings: dict[str, Any], now: datetime) -> SyncConfiguration:
        """This configuration with the request's SETTINGS members that have a value."""
        changes = {SETTINGS[member]: value for member, value in settings.items()
                   if member in SETTINGS and value is not None}
        return replace(self, **changes, updated_at=now) if changes else self

    @classmethod
    def from_record(cls, record: Record) -> SyncConfiguration:
        data = record.data
        settings: dict[str, Any] = {field: data.get(member) for member, field in SETTINGS.items()}
        return cls(account_id=record.account_id, region=data["Region"], sync_type=data["SyncType"],
                   resource_name=data["ResourceName"], repository_link_id=data["RepositoryLinkId"],
                   owner_id=data["OwnerId"], repository_name=data["RepositoryName"],
                   provider_type=data["ProviderType"], created_at=record.created_at, updated_at=record.updated_at,
                   **settings)

    def to_record(self) -> Record:
        data = {"Region": self.region, "SyncType": self.sync_type, "ResourceName": self.resource_name,
                "RepositoryLinkId": self.repository_link_id, "OwnerId": self.owner_id,
                "RepositoryName": self.repository_name, "ProviderType": self.provider_type}
        data.update({member: getattr(self, field) for member, field in SETTINGS.items()
                     if getattr(self, field) is not None})
        return Record(account_id=self.account_id, kind=SYNC_CONFIGURATION, id=self.id,
                      arn=internal_arn(self.account_id, SYNC_CONFIGURATION, self.id), name=self.resource_name,
                      data=data, created_at=self.created_at, updated_at=self.updated_at)


_BLOCKER_MEMBERS = {"Id": "blocker_id", "Type": "type", "Status": "status", "CreatedReason": "created_reason",
                    "CreatedAt": "created_at", "Contexts": "contexts", "ResolvedReason": "resolved_reason",
                    "ResolvedAt": "resolved_at"}
"""The model's SyncBlocker members and the fields that hold them."""


@dataclass(frozen=True, slots=True)
class SyncBlocker:
    """Something that stops a resource from syncing until someone resolves it (UpdateSyncBlocker).

    The sync engine writes blockers (their record's ARN and name are its own); the
    API reads them and resolves them. Timestamps are kept as the record holds them.
    """

    id: str
    arn: str
    name: str
    account_id: str
    region: str
    sync_type: str
    resource_name: str
    blocker_id: str
    type: str
    status: str
    created_reason: str
    created_at: datetime
    record_created_at: datetime
    record_updated_at: datetime
    parent_resource_name: str | None = None
    contexts: tuple[dict[str, Any], ...] | None = None
    resolved_reason: str | None = None
    resolved_at: datetime | None = None

    def resolved(self, reason: str, now: datetime) -> SyncBlocker:
        """The blocker resolved with `reason` at `now`; a resolved one stays as it is."""
        if self.status == RESOLVED:
            return self
        return replace(self, status=RESOLVED, resolved_reason=reason, resolved_at=now, record_updated_at=now)

    def view(self) -> dict[str, Any]:
        """The model's SyncBlocker structure."""
        members = {member: getattr(self, field) for member, field in _BLOCKER_MEMBERS.items()}
        members["Contexts"] = list(self.contexts) if self.contexts is not None else None
        return {member: value for member, value in members.items() if value is not None}

    @classmethod
    def from_record(cls, record: Record) -> SyncBlocker:
        data = from_stored(record.data)
        contexts = data.get("Contexts")
        return cls(id=record.id, arn=record.arn, name=record.name, account_id=record.account_id,
                   region=data["Region"], sync_type=data["SyncType"], resource_name=data["ResourceName"],
                   blocker_id=data["Id"], type=data["Type"], status=data["Status"],
                   created_reason=data["CreatedReason"], created_at=data["CreatedAt"],
                   record_created_at=record.created_at, record_updated_at=record.updated_at,
                   parent_resource_name=data.get("ParentResourceName"),
                   contexts=tuple(contexts) if contexts is not None else None,
                   resolved_reason=data.get("ResolvedReason"), resolved_at=data.get("ResolvedAt"))

    def to_record(self) -> Record:
        data = {"Region": self.region, "SyncType": self.sync_type, "ResourceName": self.resource_name,
                **({"ParentResourceName": self.parent_resource_name}
                   if self.parent_resource_name is not None else {}),
                **to_stored(self.view())}
        return Record(account_id=self.account_id, kind=SYNC_BLOCKER, id=self.id, arn=self.arn, name=self.name,
                      data=data, created_at=self.record_created_at, updated_at=self.record_updated_at)


__all__ = [
    "REPOSITORY_SYNC_STATUS",
    "RESOLVED",
    "RESOURCE_SYNC_STATUS",
    "SETTINGS",
    "SYNC_BLOCKER",
    "SYNC_CONFIGURATION",
    "TIMESTAMP_FIELDS",
    "SyncBlocker",
    "SyncConfiguration",
    "from_stored",
    "repository_sync_status_id",
    "resource_sync_status_id",
    "sync_blocker_id",
    "sync_configuration_id",
    "to_stored",
]
