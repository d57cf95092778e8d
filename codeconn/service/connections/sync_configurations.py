"""Create/Get/Update/Delete/ListSyncConfiguration(s) and ListRepositorySyncDefinitions.

A sync configuration tells Git sync to keep one AWS resource (for CFN_STACK_SYNC,
a CloudFormation stack named ResourceName) in step with a branch of a linked
repository; (ResourceName, SyncType) names it within a Region. Creating one, or
moving it to another repository link or role, passes the link (PassRepository)
and the role (iam:PassRole, with iam:PassedToService naming Git sync), as AWS's
reference lists for these operations. The catalog gives CreateSyncConfiguration
the repository link as its resource; the other sync operations act on `*`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.service.call import Call
from codeconn.service.connections.arns import REPOSITORY_LINK, internal_arn
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.resources import (
    Found,
    authorize_on,
    find_id,
    key,
    lookup_id,
    recheck,
    without_none,
)
from codeconn.service.connections.sync_state import (
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    SYNC_CONFIGURATION,
    resource_sync_status_id,
    sync_configuration_id,
)
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ServiceError,
)
from codeconn.store import Record

GIT_SYNC_SERVICE = "cloudformation.sync.codeconnections.amazonaws.com"
"""The service a sync configuration's role is passed to (iam:PassedToService)."""

_SETTINGS = ("Branch", "ConfigFile", "RoleArn", "PublishDeploymentStatus", "TriggerResourceUpdateOn",
             "PullRequestComment")
_VIEW_FIELDS = ("Branch", "ConfigFile", "OwnerId", "ProviderType", "RepositoryLinkId", "RepositoryName",
                "ResourceName", "RoleArn", "SyncType", "PublishDeploymentStatus", "TriggerResourceUpdateOn")
_CODECONNECTIONS_ONLY = ("PullRequestComment",)
_FROM_LINK = ("OwnerId", "RepositoryName", "ProviderType")


def configuration_view(record: Record, service: str) -> dict[str, Any]:
    """The SyncConfiguration structure the endpoint `service` answers with."""
    fields = _VIEW_FIELDS + (_CODECONNECTIONS_ONLY if service == "codeconnections" else ())
    return {name: record.data[name] for name in fields if record.data.get(name) is not None}


def read_configuration(call: Call, sync_type: str, resource_name: str) -> Record | None:
    """The sync configuration of `resource_name` in the Region called, if there is one."""
    with call.store.read(call.account_id) as reader:
        return reader.get(SYNC_CONFIGURATION, sync_configuration_id(call.region, sync_type, resource_name))


def create_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateSyncConfiguration: one per (ResourceName, SyncType), on an existing repository link."""
    link = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, link, context={key(call, "Branch"): params["Branch"]})
    authorize_on(call, link, "PassRepository")
    _authorize_pass_role(call, params["RoleArn"])
    link_record = link.require()
    record_id = sync_configuration_id(call.region, params["SyncType"], params["ResourceName"])
    data = {"Region": call.region, "SyncType": params["SyncType"], "ResourceName": params["ResourceName"],
            "RepositoryLinkId": link_record.id, **_link_fields(link_record),
            **without_none({name: params.get(name) for name in _SETTINGS})}
    record = Record(account_id=call.account_id, kind=SYNC_CONFIGURATION, id=record_id,
                    arn=internal_arn(call, SYNC_CONFIGURATION, record_id), name=params["ResourceName"], data=data,
                    created_at=call.now, updated_at=call.now)
    with call.store.transaction(call.account_id) as tx:
        recheck(tx, link)
        if tx.get(SYNC_CONFIGURATION, record_id) is not None:
            raise ResourceAlreadyExistsException(
                f"A sync configuration of type {params['SyncType']} already exists for resource "
                f"{params['ResourceName']}.")
        tx.insert(record)
    return {"SyncConfiguration": configuration_view(record, call.service)}


def get_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetSyncConfiguration: the configuration of a resource."""
    call.authorize()
    record = read_configuration(call, params["SyncType"], params["ResourceName"])
    if record is None:
        raise _missing(params, ResourceNotFoundException)
    return {"SyncConfiguration": configuration_view(record, call.service)}


def update_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateSyncConfiguration: change the branch, file, link, role or switches of a configuration."""
    current = read_configuration(call, params["SyncType"], params["ResourceName"])
    branch = params.get("Branch") or (current.data["Branch"] if current is not None else None)
    call.authorize(context=without_none({key(call, "Branch"): branch}))
    link: Found | None = None
    if params.get("RepositoryLinkId"):
        link = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
        authorize_on(call, link, "PassRepository")
    if params.get("RoleArn"):
        _authorize_pass_role(call, params["RoleArn"])
    if current is None:
        raise _missing(params, ResourceNotFoundException)
    if link is not None:
        link.require()
    with call.store.transaction(call.account_id) as tx:
        record = tx.get(SYNC_CONFIGURATION, current.id)
        if record is None:
            raise _missing(params, ResourceNotFoundException)
        data = {**record.data, **without_none({name: params.get(name) for name in _SETTINGS})}
        if link is not None:
            link_record = recheck(tx, link)
            data.update(RepositoryLinkId=link_record.id, **_link_fields(link_record))
        updated = replace(record, data=data, updated_at=call.now)
        if data != record.data:
            tx.update(updated)
    return {"SyncConfiguration": configuration_view(updated, call.service)}


def delete_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteSyncConfiguration: the configuration, with the resource's sync status and blockers."""
    call.authorize()
    sync_type, resource_name = params["SyncType"], params["ResourceName"]
    with call.store.transaction(call.account_id) as tx:
        if not tx.delete(SYNC_CONFIGURATION, sync_configuration_id(call.region, sync_type, resource_name)):
            raise _missing(params, InvalidInputException)  # the model gives this operation no ResourceNotFound
        tx.delete(RESOURCE_SYNC_STATUS, resource_sync_status_id(call.region, sync_type, resource_name))
        where = {"Region": call.region, "SyncType": sync_type, "ResourceName": resource_name}
        for blocker in tx.list(SYNC_BLOCKER, where=where):
            tx.delete(blocker.kind, blocker.id)
    return {}


def list_sync_configurations(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListSyncConfigurations: the configurations that sync from one repository link."""
    call.authorize()
    link_id, sync_type = params["RepositoryLinkId"], params["SyncType"]
    listing = f"ListSyncConfigurations|{link_id}|{sync_type}"
    with call.store.read(call.account_id) as reader:
        _require_link(find_id(reader, call, REPOSITORY_LINK, link_id), link_id)
        page = read_page(reader, SYNC_CONFIGURATION, params, listing=listing,
                         where={"RepositoryLinkId": link_id, "SyncType": sync_type})
    return {"SyncConfigurations": [configuration_view(record, call.service) for record in page],
            **next_token(page, listing)}


def list_repository_sync_definitions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListRepositorySyncDefinitions: for each configuration on the link, its branch, file and target."""
    call.authorize()
    link_id, sync_type = params["RepositoryLinkId"], params["SyncType"]
    with call.store.read(call.account_id) as reader:
        _require_link(find_id(reader, call, REPOSITORY_LINK, link_id), link_id)
        records = reader.list(SYNC_CONFIGURATION, where={"RepositoryLinkId": link_id, "SyncType": sync_type})
    # For CFN_STACK_SYNC the parent and the target are the same resource: the stack.
    return {"RepositorySyncDefinitions": [
        {"Branch": record.data["Branch"], "Directory": record.data["ConfigFile"],
         "Parent": record.data["ResourceName"], "Target": record.data["ResourceName"]} for record in records]}


# --- rules --------------------------------------------------------------------------------


def _authorize_pass_role(call: Call, role_arn: str) -> None:
    """iam:PassRole on the role Git sync will act as."""
    call.authorize("iam:PassRole", role_arn, context={"iam:PassedToService": GIT_SYNC_SERVICE})


def _link_fields(link: Record) -> dict[str, Any]:
    return {name: link.data[name] for name in _FROM_LINK}


def _require_link(record: Record | None, link_id: str) -> Record:
    if record is None:
        raise ResourceNotFoundException(f"Repository link {link_id} does not exist")
    return record


def _missing(params: dict[str, Any], error: type[ServiceError]) -> ServiceError:
    return error(f"No sync configuration of type {params['SyncType']} exists for resource {params['ResourceName']}.")


__all__ = [
    "GIT_SYNC_SERVICE",
    "configuration_view",
    "create_sync_configuration",
    "delete_sync_configuration",
    "get_sync_configuration",
    "list_repository_sync_definitions",
    "list_sync_configurations",
    "read_configuration",
    "update_sync_configuration",
]
