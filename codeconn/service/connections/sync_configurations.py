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

from codeconn.domain.arns import REPOSITORY_LINK
from codeconn.domain.connections import RepositoryLink
from codeconn.domain.sync import (
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    SYNC_CONFIGURATION,
    SyncConfiguration,
    resource_sync_status_id,
    sync_configuration_id,
)
from codeconn.service.call import Call
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
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ServiceError,
)
from codeconn.store import Conflict, Record

GIT_SYNC_SERVICE = "cloudformation.sync.codeconnections.amazonaws.com"
"""The service a sync configuration's role is passed to (iam:PassedToService)."""


def configuration_view(configuration: SyncConfiguration, service: str) -> dict[str, Any]:
    """The SyncConfiguration structure the endpoint `service` answers with (PullRequestComment: codeconnections)."""
    return without_none({
        "Branch": configuration.branch, "ConfigFile": configuration.config_file, "OwnerId": configuration.owner_id,
        "ProviderType": configuration.provider_type, "RepositoryLinkId": configuration.repository_link_id,
        "RepositoryName": configuration.repository_name, "ResourceName": configuration.resource_name,
        "RoleArn": configuration.role_arn, "SyncType": configuration.sync_type,
        "PublishDeploymentStatus": configuration.publish_deployment_status,
        "TriggerResourceUpdateOn": configuration.trigger_resource_update_on,
        "PullRequestComment": configuration.pull_request_comment if service == "codeconnections" else None})


def read_configuration(call: Call, sync_type: str, resource_name: str) -> SyncConfiguration | None:
    """The sync configuration of `resource_name` in the Region called, if there is one."""
    with call.store.read(call.account_id) as reader:
        record = reader.get(SYNC_CONFIGURATION, sync_configuration_id(call.region, sync_type, resource_name))
    return SyncConfiguration.from_record(record) if record is not None else None


def create_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateSyncConfiguration: one per (ResourceName, SyncType), on an existing repository link."""
    link = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, link, context={key(call, "Branch"): params["Branch"]})
    authorize_on(call, link, "PassRepository")
    _authorize_pass_role(call, params["RoleArn"])
    linked = RepositoryLink.from_record(link.require())
    configuration = SyncConfiguration(
        account_id=call.account_id, region=call.region, sync_type=params["SyncType"],
        resource_name=params["ResourceName"], branch=params["Branch"], config_file=params["ConfigFile"],
        role_arn=params["RoleArn"], repository_link_id=linked.id, owner_id=linked.owner_id,
        repository_name=linked.repository_name, provider_type=linked.provider_type, created_at=call.now,
        updated_at=call.now).with_settings(params, call.now)
    with call.store.transaction(call.account_id) as tx:
        recheck(tx, link)
        try:
            tx.insert(configuration.to_record())
        except Conflict:  # the id is (Region, SyncType, ResourceName): the store keeps it unique
            raise ResourceAlreadyExistsException(
                f"A sync configuration of type {params['SyncType']} already exists for resource "
                f"{params['ResourceName']}.") from None
    return {"SyncConfiguration": configuration_view(configuration, call.service)}


def get_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetSyncConfiguration: the configuration of a resource."""
    call.authorize()
    configuration = read_configuration(call, params["SyncType"], params["ResourceName"])
    if configuration is None:
        raise _missing(params, ResourceNotFoundException)
    return {"SyncConfiguration": configuration_view(configuration, call.service)}


def update_sync_configuration(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateSyncConfiguration: change the branch, file, link, role or switches of a configuration."""
    current = read_configuration(call, params["SyncType"], params["ResourceName"])
    branch = params.get("Branch") or (current.branch if current is not None else None)
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
        stored = SyncConfiguration.from_record(record)
        updated = stored.with_settings(params, call.now)
        if link is not None:
            linked = RepositoryLink.from_record(recheck(tx, link))
            updated = replace(updated, repository_link_id=linked.id, owner_id=linked.owner_id,
                              repository_name=linked.repository_name, provider_type=linked.provider_type)
        updated = replace(updated, updated_at=call.now)
        if updated.to_record().data != record.data:
            tx.update(updated.to_record())
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
    return {"SyncConfigurations": [configuration_view(SyncConfiguration.from_record(record), call.service)
                                   for record in page],
            **next_token(page, listing)}


def list_repository_sync_definitions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListRepositorySyncDefinitions: for each configuration on the link, its branch, file and target."""
    call.authorize()
    link_id, sync_type = params["RepositoryLinkId"], params["SyncType"]
    with call.store.read(call.account_id) as reader:
        _require_link(find_id(reader, call, REPOSITORY_LINK, link_id), link_id)
        records = reader.list(SYNC_CONFIGURATION, where={"RepositoryLinkId": link_id, "SyncType": sync_type})
    configurations = [SyncConfiguration.from_record(record) for record in records]
    # For CFN_STACK_SYNC the parent and the target are the same resource: the stack.
    return {"RepositorySyncDefinitions": [
        {"Branch": configuration.branch, "Directory": configuration.config_file,
         "Parent": configuration.resource_name, "Target": configuration.resource_name}
        for configuration in configurations]}


# --- rules --------------------------------------------------------------------------------


def _authorize_pass_role(call: Call, role_arn: str) -> None:
    """iam:PassRole on the role Git sync will act as."""
    call.authorize("iam:PassRole", role_arn, context={"iam:PassedToService": GIT_SYNC_SERVICE})


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
