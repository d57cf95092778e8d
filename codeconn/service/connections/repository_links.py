"""CreateRepositoryLink, GetRepositoryLink, ListRepositoryLinks, UpdateRepositoryLink, DeleteRepositoryLink.

A repository link ties one repository (owner and name) to a connection, for Git
sync to watch. Creating or re-pointing a link passes the connection to the
service and uses it, so, as AWS's reference lists for these operations, the
caller also needs PassConnection and UseConnection on the connection (with the
repository's FullRepositoryId, OwnerId and RepositoryName). The connection must
be AVAILABLE; a repository is linked once per connection; a link cannot be
deleted while sync configurations use it. Links are regional.

The record layout is `codeconn.domain.connections`; its lookup makes the store
refuse a second link of the same repository through the same connection in one
Region, which is the one check of that rule.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.domain.quotas import QUOTAS
from codeconn.domain.arns import CONNECTION, REPOSITORY_LINK
from codeconn.domain.connections import Connection, RepositoryLink
from codeconn.domain.lifecycle import ConnectionStatus
from codeconn.domain.sync import REPOSITORY_SYNC_STATUS, SYNC_CONFIGURATION
from codeconn.service.call import Call
from codeconn.service.connections.errors import SyncConfigurationStillExistsException
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.resources import (
    Found,
    arn_for,
    authorize_on,
    check_quota,
    key,
    lookup,
    lookup_id,
    recheck,
)
from codeconn.service.connections.tags import tags_from_request
from codeconn.service.tagging import authorize_tagging_on_create
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ServiceError,
)
from codeconn.service.tagging import request_tag_context
from codeconn.store import Conflict, Record


def link_view(link: RepositoryLink) -> dict[str, Any]:
    """The RepositoryLinkInfo structure."""
    view = {"ConnectionArn": link.connection_arn, "OwnerId": link.owner_id, "ProviderType": link.provider_type,
            "RepositoryName": link.repository_name, "RepositoryLinkArn": link.arn, "RepositoryLinkId": link.id}
    if link.encryption_key_arn is not None:
        view["EncryptionKeyArn"] = link.encryption_key_arn
    return view


def create_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateRepositoryLink: link a repository through an AVAILABLE connection."""
    tags = tags_from_request(params.get("Tags"))
    owner, repository = params["OwnerId"], params["RepositoryName"]
    connection = lookup(call, CONNECTION, params["ConnectionArn"])
    arn = arn_for(call, REPOSITORY_LINK, str(uuid4()))
    authorize_on(call, connection, context=request_tag_context(tags))
    _authorize_pass_and_use(call, connection, owner, repository)
    authorize_tagging_on_create(call, arn, tags)
    linked = _available(connection.require(), connection)
    link = RepositoryLink(arn=arn, account_id=call.account_id, connection_arn=connection.arn, owner_id=owner,
                          repository_name=repository, provider_type=linked.provider_type, region=call.region,
                          created_at=call.now, updated_at=call.now,
                          encryption_key_arn=params.get("EncryptionKeyArn") or None)
    with call.store.transaction(call.account_id) as tx:
        _available(recheck(tx, connection), connection)
        check_quota(tx, call, QUOTAS[REPOSITORY_LINK.kind])
        try:
            tx.insert(link.to_record())
        except Conflict:  # the repository's lookup key is taken: the store links it once per connection
            raise _already_linked(link.name, connection.arn, ResourceAlreadyExistsException) from None
        if tags:
            tx.set_tags(arn, tags)
    return {"RepositoryLinkInfo": link_view(link)}


def get_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetRepositoryLink: the link's connection, repository and provider."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    return {"RepositoryLinkInfo": link_view(RepositoryLink.from_record(found.require()))}


def list_repository_links(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListRepositoryLinks: the links of the account in the Region called."""
    call.authorize()
    listing = f"ListRepositoryLinks|{call.region}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, REPOSITORY_LINK.kind, params, listing=listing, where={"Region": call.region})
    return {"RepositoryLinks": [link_view(RepositoryLink.from_record(record)) for record in page],
            **next_token(page, listing)}


def update_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateRepositoryLink: another connection of the same provider type, or another encryption key."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    link = RepositoryLink.from_record(found.require())
    connection = lookup(call, CONNECTION, params["ConnectionArn"]) if params.get("ConnectionArn") else None
    if connection is not None:
        _authorize_pass_and_use(call, connection, link.owner_id, link.repository_name)
        _same_provider(_available(connection.require(), connection), link)
    with call.store.transaction(call.account_id) as tx:
        current = RepositoryLink.from_record(recheck(tx, found))
        updated = current
        if connection is not None:
            _same_provider(_available(recheck(tx, connection), connection), current)
            updated = replace(updated, connection_arn=connection.arn)
        if params.get("EncryptionKeyArn"):
            updated = replace(updated, encryption_key_arn=params["EncryptionKeyArn"])
        updated = replace(updated, updated_at=call.now)
        if updated.to_record().data != current.to_record().data:
            try:
                tx.update(updated.to_record())
            except Conflict:  # the repository is linked through that connection already
                raise _already_linked(current.name, updated.connection_arn, InvalidInputException) from None
    return {"RepositoryLinkInfo": link_view(updated)}


def delete_repository_link(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteRepositoryLink: only once no sync configuration uses the link; its sync history goes with it."""
    found = lookup_id(call, REPOSITORY_LINK, params["RepositoryLinkId"])
    authorize_on(call, found)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        link = RepositoryLink.from_record(recheck(tx, found))
        if tx.count(SYNC_CONFIGURATION, where={"RepositoryLinkId": link.id}):
            raise SyncConfigurationStillExistsException(
                f"Repository link {link.id} still has sync configurations. Delete them first.")
        for status in tx.list(REPOSITORY_SYNC_STATUS, where={"RepositoryLinkId": link.id}):
            tx.delete(status.kind, status.id)
        tx.delete(REPOSITORY_LINK.kind, link.id)
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


def _available(record: Record, connection: Found) -> Connection:
    available = Connection.from_record(record)
    if available.status is not ConnectionStatus.AVAILABLE:
        raise InvalidInputException(
            f"Connection {connection.arn} is {available.status}: a repository link needs an "
            f"AVAILABLE connection. Complete the connection's handshake first.")
    return available


def _same_provider(connection: Connection, link: RepositoryLink) -> Connection:
    if connection.provider_type != link.provider_type:
        raise InvalidInputException(
            f"Connection {connection.arn} is of provider type {connection.provider_type}; the repository "
            f"link needs one of provider type {link.provider_type}.")
    return connection


def _already_linked(name: str, connection_arn: str, error: type[ServiceError]) -> ServiceError:
    return error(f"Repository {name} is already linked through {connection_arn}.")


__all__ = [
    "create_repository_link",
    "delete_repository_link",
    "get_repository_link",
    "link_view",
    "list_repository_links",
    "update_repository_link",
]
