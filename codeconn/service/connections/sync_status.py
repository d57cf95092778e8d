"""GetRepositorySyncStatus, GetResourceSyncStatus, GetSyncBlockerSummary, UpdateSyncBlocker.

These report what Git sync has done, as the records of `sync_state` hold it. Until
a sync has been attempted there is no status to report, and AWS's answer for
that is ResourceNotFoundException (the outputs require a latest attempt). A
blocker summary exists as soon as the sync configuration does, with no blockers
until a sync records one; resolving a blocker is the one write here, and
resolving it again changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from codeconn.service.call import Call
from codeconn.service.connections.arns import REPOSITORY_LINK
from codeconn.service.connections.errors import SyncBlockerDoesNotExistException
from codeconn.service.connections.resources import authorize_on, key, lookup_id
from codeconn.service.connections.sync_configurations import read_configuration
from codeconn.service.connections.sync_state import (
    REPOSITORY_SYNC_STATUS,
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    from_stored,
    repository_sync_status_id,
    resource_sync_status_id,
    sync_blocker_id,
)
from codeconn.service.errors import ResourceNotFoundException
from codeconn.store import Record

_BLOCKER_FIELDS = ("Id", "Type", "Status", "CreatedReason", "CreatedAt", "Contexts", "ResolvedReason",
                   "ResolvedAt")
_RESOURCE_STATUS_FIELDS = ("DesiredState", "LatestSuccessfulSync", "LatestSync")


def blocker_view(record: Record) -> dict[str, Any]:
    """The SyncBlocker structure."""
    view: dict[str, Any] = from_stored(
        {name: record.data[name] for name in _BLOCKER_FIELDS if record.data.get(name) is not None})
    return view


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
        records = list(reader.list(SYNC_BLOCKER, where=where))
    records.sort(key=lambda record: datetime.fromisoformat(record.data["CreatedAt"]), reverse=True)
    summary: dict[str, Any] = {"ResourceName": name, "LatestBlockers": [blocker_view(record) for record in records]}
    parents = {record.data["ParentResourceName"] for record in records if record.data.get("ParentResourceName")}
    if len(parents) == 1:
        summary["ParentResourceName"] = parents.pop()
    return {"SyncBlockerSummary": summary}


def update_sync_blocker(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateSyncBlocker: resolve a blocker with a reason, so that syncing continues."""
    call.authorize()
    sync_type, name, blocker = params["SyncType"], params["ResourceName"], params["Id"]
    with call.store.transaction(call.account_id) as tx:
        record = tx.get(SYNC_BLOCKER, sync_blocker_id(call.region, sync_type, name, blocker))
        if record is None:
            raise SyncBlockerDoesNotExistException(
                f"No sync blocker {blocker} exists for resource {name} of sync type {sync_type}.")
        if record.data["Status"] != "RESOLVED":
            data = {**record.data, "Status": "RESOLVED", "ResolvedReason": params["ResolvedReason"],
                    "ResolvedAt": call.now.isoformat()}
            record = replace(record, data=data, updated_at=call.now)
            tx.update(record)
    output: dict[str, Any] = {"ResourceName": name, "SyncBlocker": blocker_view(record)}
    if record.data.get("ParentResourceName"):
        output["ParentResourceName"] = record.data["ParentResourceName"]
    return output


__all__ = [
    "blocker_view",
    "get_repository_sync_status",
    "get_resource_sync_status",
    "get_sync_blocker_summary",
    "update_sync_blocker",
]
