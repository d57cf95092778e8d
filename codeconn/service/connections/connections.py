"""CreateConnection, GetConnection, ListConnections, DeleteConnection, and the provider token.

A connection is created PENDING, as in AWS: only the handshake with the provider
(`handshake`, `handshake_tokens`) makes it AVAILABLE. A cloud provider type (GitHub,
Bitbucket, GitLab, ...) needs no host; an installed one (GitHub Enterprise
Server, GitLab self-managed) is reached through a host, and the connection takes
the host's provider type. Names are unique in an account, as AWS documents: the
store's unique lookup keeps that rule (`codeconn.domain.connections`).

The provider token is encrypted at rest and is never part of any output: views
are built from the typed `Connection`, never from a record's data as a whole.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.domain.quotas import QUOTAS
from codeconn.domain.arns import CONNECTION, HOST
from codeconn.domain.connections import Connection, Host
from codeconn.domain.handshake import open_credential, seal_credential
from codeconn.domain.lifecycle import HOST_USABLE, ConnectionStatus
from codeconn.domain.providers import ENDPOINT_PROVIDERS, INSTALLED_PROVIDERS
from codeconn.providers.base import Credential, CredentialKind
from codeconn.service.call import Call
from codeconn.service.connections.errors import UnsupportedProviderTypeException
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.resources import (
    Found,
    arn_for,
    authorize_on,
    check_quota,
    key,
    lookup,
    recheck,
    without_none,
)
from codeconn.service.connections.tags import tags_from_request
from codeconn.service.tagging import authorize_tagging_on_create
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ResourceUnavailableException,
    ServiceError,
)
from codeconn.service.tagging import request_tag_context, tag_list
from codeconn.store import Conflict, Record, Secret, SecretBox


def connection_view(connection: Connection, service: str) -> dict[str, Any]:
    """The Connection structure the endpoint `service` answers with (ProviderEndpoint: codeconnections only)."""
    return {"ConnectionName": connection.name, "ConnectionArn": connection.arn, **without_none({
        "ProviderType": connection.provider_type, "OwnerAccountId": connection.owner_account_id,
        "ConnectionStatus": connection.status.value, "HostArn": connection.host_arn,
        "ProviderEndpoint": connection.provider_endpoint if service == "codeconnections" else None})}


def create_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateConnection: a PENDING connection, authorized with its provider type and tags."""
    tags = tags_from_request(params.get("Tags"))
    host = lookup(call, HOST, params["HostArn"]) if params.get("HostArn") else None
    requested = params.get("ProviderType")
    provider = Host.from_record(host.record).provider_type if host is not None and host.record else requested
    arn = arn_for(call, CONNECTION, str(uuid4()))
    call.authorize(context=without_none({key(call, "ProviderType"): requested or provider,
                                         **request_tag_context(tags)}))
    authorize_tagging_on_create(call, arn, tags)
    connection = Connection(arn=arn, name=params["ConnectionName"], account_id=call.account_id,
                            provider_type=provider or "", status=ConnectionStatus.PENDING, region=call.region,
                            created_at=call.now, updated_at=call.now, host_arn=host.arn if host else None,
                            provider_endpoint=params.get("ProviderEndpoint") or None)
    with call.store.transaction(call.account_id) as tx:
        if host is not None:
            _usable_host(call, tx.get(HOST.kind, host.require().id), host)
        _check_provider(params, connection)
        check_quota(tx, call, QUOTAS[CONNECTION.kind])
        try:
            tx.insert(connection.to_record())
        except Conflict:  # the name's lookup key is taken: the store keeps names unique
            raise _name_taken(connection.name) from None
        if tags:
            tx.set_tags(arn, tags)
    return {"ConnectionArn": arn, **({"Tags": tag_list(tags)} if tags else {})}


def get_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetConnection: the connection's details; never its provider token."""
    found = lookup(call, CONNECTION, params["ConnectionArn"])
    authorize_on(call, found)
    return {"Connection": connection_view(Connection.from_record(found.require()), call.service)}


def list_connections(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListConnections: the connections of the account in this Region, filtered by provider or host."""
    provider, host_arn = params.get("ProviderTypeFilter"), params.get("HostArnFilter")
    call.authorize(resource=arn_for(call, CONNECTION, "*"),
                   context=without_none({key(call, "ProviderTypeFilter"): provider}))
    listing = f"ListConnections|{call.region}|{provider}|{host_arn}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, CONNECTION.kind, params, listing=listing,
                         where={"Region": call.region, **without_none({"ProviderType": provider, "HostArn": host_arn})})
    return {"Connections": [connection_view(Connection.from_record(record), call.service) for record in page],
            **next_token(page, listing)}


def delete_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteConnection: the connection and its tags (and any provider token) are gone; the ARN is never reused."""
    found = lookup(call, CONNECTION, params["ConnectionArn"])
    authorize_on(call, found)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        tx.delete(record.kind, record.id)
    return {}


# --- the provider token (written by the handshake) ----------------------------------------


def with_provider_token(record: Record, secrets: SecretBox, token: Secret) -> Record:
    """The connection record holding `token` (as an OAuth credential), encrypted; store it with `Tx.update`."""
    connection = Connection.from_record(record)
    credential = Credential(kind=CredentialKind.OAUTH, token=token)
    return replace(connection, token_ciphertext=seal_credential(secrets, credential)).to_record()


def provider_token(record: Record, secrets: SecretBox) -> Secret | None:
    """The connection's provider token, decrypted into a Secret; None before the handshake (and in local mode)."""
    ciphertext = Connection.from_record(record).token_ciphertext
    return open_credential(secrets, ciphertext).token if ciphertext else None


# --- rules --------------------------------------------------------------------------------


def _check_provider(params: dict[str, Any], connection: Connection) -> None:
    """AWS's rules on ProviderType, HostArn and ProviderEndpoint.

    `connection` carries its host's provider type, or else the one the request asked for.
    """
    provider, requested, endpoint = connection.provider_type, params.get("ProviderType"), params.get("ProviderEndpoint")
    if connection.host_arn is not None:
        if requested is not None and requested != provider:
            raise InvalidInputException(f"ProviderType {requested} does not match the provider type {provider} "
                                        f"of host {connection.host_arn}.")
        if endpoint is not None:
            raise InvalidInputException("ProviderEndpoint cannot be given with HostArn.")
        return
    if not provider:
        raise InvalidInputException("Either ProviderType or HostArn must be specified.")
    if provider in INSTALLED_PROVIDERS:
        raise UnsupportedProviderTypeException(
            f"A connection of provider type {provider} needs a host: create one and give its HostArn.")
    if provider in ENDPOINT_PROVIDERS and endpoint is None:
        raise InvalidInputException(f"ProviderEndpoint is required for provider type {provider}.")
    if provider not in ENDPOINT_PROVIDERS and endpoint is not None:
        raise InvalidInputException(f"ProviderEndpoint is not valid for provider type {provider}.")


def _usable_host(call: Call, record: Record | None, host: Found) -> Host:
    if record is None or record.arn != host.arn:
        raise ResourceNotFoundException(f"Host {host.arn} does not exist")
    usable = Host.from_record(record)
    status = usable.status_at(call.now)
    if status not in HOST_USABLE:
        raise ResourceUnavailableException(f"Host {host.arn} cannot take connections while it is {status}.")
    return usable


def _name_taken(name: str) -> ServiceError:
    return ResourceAlreadyExistsException(f"A connection named {name} already exists in this account and Region.")


__all__ = [
    "connection_view",
    "create_connection",
    "delete_connection",
    "get_connection",
    "list_connections",
    "provider_token",
    "with_provider_token",
]
