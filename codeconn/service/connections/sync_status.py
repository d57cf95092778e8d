"""GetRepositorySyncStatus, GetResourceSyncStatus, GetSyncBlockerSummary, UpdateSyncBlocker.

These report what Git sync has done, as the records of `codeconn.domain.sync`
hold it. Until a sync has been attempted there is no status to report, and
AWS's answer for that is ResourceNotFoundException (the outputs require a
latest attempt). A blocker summary exists as soon as the sync configuration
does, with no blockers until a sync records one; resolving a blocker is the one
write here, and resolving it again changes nothing.
"""

from __future__ import annotations

from typing import Any

from codeconn.domain.arns import REPOSITORY_LINK
from codeconn.domain.sync import (
    REPOSITORY_SYNC_STATUS,
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    SyncBlocker,
    from_stored,
    repository_sync_status_id,
    resource_sync_status_id,
    sync_blocker_id,
)
from codeconn.service.call import Call
from codeconn.service.connections.errors import SyncBlockerDoesNotExistException
from codeconn.service.connections.resources import authorize_on, key, lookup_id
from codeconn.service.connections.sync_configurations import read_configuration
from codeconn.service.errors import ResourceNotFoundException

_RESOURCE_STATUS_FIELDS = ("DesiredState", "LatestSuccessfulSync", "LatestSync")


def get_repository_sync_status(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetRepositorySyncStatus: the latest sync attempt of a branch of a linked repository."""
    branch, sync_type = params["Branch"], params["SyncType"]
    link = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, link, context={key(call, "Branch"): branch})
    link_record = link.require()
    with call.store.read(call.account_id) as reader:
        record = reader.get(REPOSITORY_SYNC_STATUS, repository_sync_status_id(link_record.id, sync_type, branch))
    if record is None:
        raise ResourceNotFoundException(
            f"No {sync_type} sync has run for branch {branch} of repository link {link_record.id}.")
    return {"LatestSync": from_stored(record.data["LatestSync"])}


def get_resource_sync_status(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetResourceSyncStatus: the desired state and the latest (successful) sync attempts of a resource."""
    call.authorize()
    sync_type, name = params["SyncType"], params["ResourceName"]
    with call.store.read(call.account_id) as reader:
        record = reader.get(RESOURCE_SYNC_STATUS, resource_sync_status_id(call.region, sync_type, name))
    if record is None:
        raise ResourceNotFoundException(f"No {sync_type} sync has run for resource {name}.")
    status: dict[str, Any] = from_stored(
        {field: record.data[field] for field in _RESOURCE_STATUS_FIELDS if record.data.get(field)})
    return status


def get_sync_blocker_summary(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetSyncBlockerSummary: the resource's blockers, newest first."""
    call.authorize()
    sync_type, name = params["SyncType"], params["ResourceName"]
    if read_configuration(call, sync_type, name) is None:
        raise ResourceNotFoundException(f"No sync configuration of type {sync_type} exists for resource {name}.")
    where = {"Region": call.region, "SyncType": sync_type, "ResourceName": name}
    with call.store.read(call.account_id) as reader:
        blockers = [SyncBlocker.from_record(record) for record in reader.list(SYNC_BLOCKER, where=where)]
    blockers.sort(key=lambda blocker: blocker.created_at, reverse=True)
    summary: dict[str, Any] = {"ResourceName": name, "LatestBlockers": [blocker.view() for blocker in blockers]}
    parents = {blocker.parent_resource_name for blocker in blockers if blocker.parent_resource_name}
    if len(parents) == 1:
        summary["ParentResourceName"] = parents.pop()
    return {"SyncBlockerSummary": summary}


def update_sync_blocker(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateSyncBlocker: resolve a blocker with a reason, so that syncing continues."""
    call.authorize()
    sync_type, name, blocker_id = params["SyncType"], params["ResourceName"], params["Id"]
    with call.store.transaction(call.account_id) as tx:
        record = tx.get(SYNC_BLOCKER, sync_blocker_id(call.region, sync_type, name, blocker_id))
        if record is None:
            raise SyncBlockerDoesNotExistException(
                f"No sync blocker {blocker_id} exists for resource {name} of sync type {sync_type}.")
        blocker = SyncBlocker.from_record(record)
        resolved = blocker.resolved(params["ResolvedReason"], call.now)
        if resolved is not blocker:
            tx.update(resolved.to_record())
    output: dict[str, Any] = {"ResourceName": name, "SyncBlocker": resolved.view()}
    if resolved.parent_resource_name:
        output["ParentResourceName"] = resolved.parent_resource_name
    return output


__all__ = [
    "get_repository_sync_status",
    "get_resource_sync_status",
    "get_sync_blocker_summary",
    "update_sync_blocker",
]
