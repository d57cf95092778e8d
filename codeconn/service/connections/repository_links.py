"""CreateRepositoryLink, GetRepositoryLink, ListRepositoryLinks, UpdateRepositoryLink, DeleteRepositoryLink.

A repository link ties one repository (owner and name) to a connection, for Git
sync to watch. Creating or re-pointing a link passes the connection to the
service and uses it, so, as AWS's reference lists for these operations, the
caller also needs PassConnection and UseConnection on the connection (with the
repository's FullRepositoryId, OwnerId and RepositoryName). The connection must
be AVAILABLE; a repository is linked once per connection; a link cannot be
deleted while sync configurations use it. Links are regional.

The record (`kind="repository_link"`, id = the UUID in the ARN, name = `owner/repository`,
lookup = `<region>:<connection id>:<owner>/<repository>` in lower case, which makes
the store refuse a second link of the same repository through the same connection
in one Region):

    {"ConnectionArn": "...", "OwnerId": "octo", "RepositoryName": "app", "ProviderType": "GitHub",
     "Region": "us-east-1", "EncryptionKeyArn": "..."}
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.service.call import Call
from codeconn.service.connections.arns import CONNECTION, REPOSITORY_LINK, resource_arn
from codeconn.service.connections.errors import SyncConfigurationStillExistsException
from codeconn.service.connections.lifecycle import ConnectionStatus
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.quotas import check_quota
from codeconn.service.connections.resources import (
    Found,
    authorize_on,
    key,
    lookup,
    lookup_id,
    recheck,
)
from codeconn.service.connections.sync_state import (
    REPOSITORY_SYNC_STATUS,
    SYNC_CONFIGURATION,
)
from codeconn.service.connections.tags import (
    authorize_tagging_on_create,
    request_tag_context,
    tags_from_request,
)
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
)
from codeconn.store import Conflict, Record

_VIEW_FIELDS = ("ConnectionArn", "EncryptionKeyArn", "OwnerId", "ProviderType", "RepositoryName")


def link_view(record: Record) -> dict[str, Any]:
    """The RepositoryLinkInfo structure."""
    view = {name: record.data[name] for name in _VIEW_FIELDS if record.data.get(name) is not None}
    return {**view, "RepositoryLinkArn": record.arn, "RepositoryLinkId": record.id}


def create_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateRepositoryLink: link a repository through an AVAILABLE connection."""
    tags = tags_from_request(params.get("Tags"))
    owner, repository = params["OwnerId"], params["RepositoryName"]
    connection = lookup(call, CONNECTION, params["ConnectionArn"])
    arn = resource_arn(call, REPOSITORY_LINK, str(uuid4()))
    authorize_on(call, connection, context=request_tag_context(tags))
    _authorize_pass_and_use(call, connection, owner, repository)
    authorize_tagging_on_create(call, arn, tags)
    connection_record = _available(connection.require(), connection)
    data: dict[str, Any] = {"ConnectionArn": connection.arn, "OwnerId": owner, "RepositoryName": repository,
                            "ProviderType": connection_record.data["ProviderType"], "Region": call.region}
    if params.get("EncryptionKeyArn"):
        data["EncryptionKeyArn"] = params["EncryptionKeyArn"]
    record = Record(account_id=call.account_id, kind=REPOSITORY_LINK.kind, id=arn.rsplit("/", 1)[1], arn=arn,
                    name=f"{owner}/{repository}", data=data, created_at=call.now, updated_at=call.now,
                    lookup=_repository_key(call.region, connection_record.id, owner, repository))
    with call.store.transaction(call.account_id) as tx:
        _available(recheck(tx, connection), connection)
        check_quota(tx, call, REPOSITORY_LINK)
        if tx.get_by_lookup(REPOSITORY_LINK.kind, record.lookup or "") is not None:
            raise _already_linked(record.name, connection.arn)
        try:
            tx.insert(record)
        except Conflict as conflict:
            raise _already_linked(record.name, connection.arn) from conflict
        if tags:
            tx.set_tags(arn, tags)
    return {"RepositoryLinkInfo": link_view(record)}


def get_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetRepositoryLink: the link's connection, repository and provider."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    return {"RepositoryLinkInfo": link_view(found.require())}


def list_repository_links(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListRepositoryLinks: the links of the account in the Region called."""
    call.authorize()
    listing = f"ListRepositoryLinks|{call.region}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, REPOSITORY_LINK.kind, params, listing=listing, where={"Region": call.region})
    return {"RepositoryLinks": [link_view(record) for record in page], **next_token(page, listing)}


def update_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateRepositoryLink: another connection of the same provider type, or another encryption key."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    link = found.require()
    connection = lookup(call, CONNECTION, params["ConnectionArn"]) if params.get("ConnectionArn") else None
    if connection is not None:
        _authorize_pass_and_use(call, connection, link.data["OwnerId"], link.data["RepositoryName"])
        _same_provider(_available(connection.require(), connection), link)
    with call.store.transaction(call.account_id) as tx:
        current = recheck(tx, found)
        data, lookup_key = dict(current.data), current.lookup
        if connection is not None:
            connection_record = _same_provider(_available(recheck(tx, connection), connection), current)
            data["ConnectionArn"] = connection.arn
            lookup_key = _repository_key(call.region, connection_record.id, data["OwnerId"],
                                         data["RepositoryName"])
            other = tx.get_by_lookup(REPOSITORY_LINK.kind, lookup_key)
            if other is not None and other.id != current.id:
                raise InvalidInputException(f"Repository {current.name} is already linked through {connection.arn}.")
        if params.get("EncryptionKeyArn"):
            data["EncryptionKeyArn"] = params["EncryptionKeyArn"]
        updated = replace(current, data=data, lookup=lookup_key, updated_at=call.now)
        if updated.data != current.data:
            tx.update(updated)
    return {"RepositoryLinkInfo": link_view(updated)}


def delete_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteRepositoryLink: only once no sync configuration uses the link; its sync history goes with it."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        if tx.count(SYNC_CONFIGURATION, where={"RepositoryLinkId": record.id}):
            raise SyncConfigurationStillExistsException(
                f"Repository link {record.id} still has sync configurations. Delete them first.")
        for status in tx.list(REPOSITORY_SYNC_STATUS, where={"RepositoryLinkId": record.id}):
            tx.delete(status.kind, status.id)
        tx.delete(record.kind, record.id)
    return {}


# --- rules --------------------------------------------------------------------------------


def _authorize_pass_and_use(call: Call, connection: Found, owner: str, repository: str) -> None:
    """PassConnection, then UseConnection for this repository, on the connection."""
    authorize_on(call, connection, "PassConnection")
    authorize_on(call, connection, "UseConnection", context={
        key(call, "FullRepositoryId"): f"{owner}/{repository}",
        key(call, "OwnerId"): owner,
        key(call, "RepositoryName"): repository,
    })


def _available(record: Record, connection: Found) -> Record:
    if record.data.get("ConnectionStatus") != ConnectionStatus.AVAILABLE:
        raise InvalidInputException(
            f"Connection {connection.arn} is {record.data.get('ConnectionStatus')}: a repository link needs an "
            f"AVAILABLE connection. Complete the connection's handshake first.")
    return record


def _same_provider(connection: Record, link: Record) -> Record:
    if connection.data["ProviderType"] != link.data["ProviderType"]:
        raise InvalidInputException(
            f"Connection {connection.arn} is of provider type {connection.data['ProviderType']}; the repository "
            f"link needs one of provider type {link.data['ProviderType']}.")
    return connection


def _repository_key(region: str, connection_id: str, owner: str, repository: str) -> str:
    return f"{region}:{connection_id}:{owner.lower()}/{repository.lower()}"


def _already_linked(name: str, connection_arn: str) -> ResourceAlreadyExistsException:
    return ResourceAlreadyExistsException(f"Repository {name} is already linked through {connection_arn}.")


__all__ = [
    "create_repository_link",
    "delete_repository_link",
    "get_repository_link",
    "link_view",
    "list_repository_links",
    "update_repository_link",
]
