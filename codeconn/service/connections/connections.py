"""CreateConnection, GetConnection, ListConnections, DeleteConnection, and how a connection is kept.

A connection is created PENDING, as in AWS: only the handshake with the provider
(another part of codeconn) makes it AVAILABLE. A cloud provider type (GitHub,
Bitbucket, GitLab, ...) needs no host; an installed one (GitHub Enterprise
Server, GitLab self-managed) is reached through a host, and the connection takes
the host's provider type. Names are unique in an account, as AWS documents.

The record (`kind="connection"`, id = the UUID in the ARN, name = ConnectionName):

    {"ProviderType": "GitHub", "ConnectionStatus": "PENDING", "OwnerAccountId": "111122223333",
     "Region": "us-east-1", "HostArn": "...", "ProviderEndpoint": "...",
     "ProviderTokenCiphertext": "<SecretBox token>"}

The provider token is encrypted at rest and is never part of any output: views
are built from a list of fields, never from the record's data as a whole.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.service.call import Call
from codeconn.service.connections.arns import (
    CONNECTION,
    HOST,
    all_of_kind,
    resource_arn,
)
from codeconn.service.connections.errors import UnsupportedProviderTypeException
from codeconn.service.connections.lifecycle import (
    HOST_USABLE,
    ConnectionStatus,
    host_status,
)
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.quotas import check_quota
from codeconn.service.connections.resources import (
    Found,
    authorize_on,
    key,
    lookup,
    recheck,
    without_none,
)
from codeconn.service.connections.tags import (
    authorize_tagging_on_create,
    request_tag_context,
    tag_list,
    tags_from_request,
)
from codeconn.service.errors import (
    InvalidInputException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ResourceUnavailableException,
)
from codeconn.store import Conflict, Record, Secret, SecretBox

INSTALLED_PROVIDERS = frozenset({"GitHubEnterpriseServer", "GitLabSelfManaged"})
"""Provider types installed on infrastructure of one's own: reached only through a host."""

ENDPOINT_PROVIDERS = frozenset({"GitHubEnterpriseCloudDataResidency"})
"""Provider types whose connection names its tenant's endpoint (ProviderEndpoint)."""

TOKEN_FIELD = "ProviderTokenCiphertext"
"""The record field holding the provider token, as SecretBox ciphertext (written by the handshake)."""

_VIEW_FIELDS = ("ProviderType", "OwnerAccountId", "ConnectionStatus", "HostArn")
_CODECONNECTIONS_ONLY = ("ProviderEndpoint",)  # members only the codeconnections model has


def connection_view(record: Record, service: str) -> dict[str, Any]:
    """The Connection structure the endpoint `service` answers with."""
    fields = _VIEW_FIELDS + (_CODECONNECTIONS_ONLY if service == "codeconnections" else ())
    view = {"ConnectionName": record.name, "ConnectionArn": record.arn}
    view.update({name: record.data[name] for name in fields if record.data.get(name) is not None})
    return view


def create_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateConnection: a PENDING connection, authorized with its provider type and tags."""
    tags = tags_from_request(params.get("Tags"))
    host = lookup(call, HOST, params["HostArn"]) if params.get("HostArn") else None
    provider = params.get("ProviderType")
    if provider is None and host is not None and host.record is not None:
        provider = host.record.data["ProviderType"]
    arn = resource_arn(call, CONNECTION, str(uuid4()))
    call.authorize(context=without_none({key(call, "ProviderType"): provider, **request_tag_context(tags)}))
    authorize_tagging_on_create(call, arn, tags)
    data: dict[str, Any] = {"ProviderType": _provider_type(call, params, host),
                            "ConnectionStatus": ConnectionStatus.PENDING, "OwnerAccountId": call.account_id,
                            "Region": call.region}
    if host is not None:
        data["HostArn"] = host.arn
    if params.get("ProviderEndpoint"):
        data["ProviderEndpoint"] = params["ProviderEndpoint"]
    record = Record(account_id=call.account_id, kind=CONNECTION.kind, id=arn.rsplit("/", 1)[1], arn=arn,
                    name=params["ConnectionName"], data=data, created_at=call.now, updated_at=call.now,
                    lookup=_name_key(call.account_id, params["ConnectionName"]))
    with call.store.transaction(call.account_id) as tx:
        if host is not None:
            _usable_host(call, tx.get(HOST.kind, host.require().id), host)
        check_quota(tx, call, CONNECTION)
        if tx.get_by_lookup(CONNECTION.kind, record.lookup or "") is not None:
            raise _name_taken(record.name)
        try:
            tx.insert(record)
        except Conflict as conflict:  # a concurrent create took the name between the check and here
            raise _name_taken(record.name) from conflict
        if tags:
            tx.set_tags(arn, tags)
    return {"ConnectionArn": arn, **({"Tags": tag_list(tags)} if tags else {})}


def get_connection(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetConnection: the connection's details; never its provider token."""
    found = lookup(call, CONNECTION, params["ConnectionArn"])
    authorize_on(call, found)
    return {"Connection": connection_view(found.require(), call.service)}


def list_connections(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListConnections: every connection of the account (they are global), filtered by provider or host."""
    provider, host_arn = params.get("ProviderTypeFilter"), params.get("HostArnFilter")
    call.authorize(resource=all_of_kind(call, CONNECTION),
                   context=without_none({key(call, "ProviderTypeFilter"): provider}))
    listing = f"ListConnections|{provider}|{host_arn}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, CONNECTION.kind, params, listing=listing,
                         where=without_none({"ProviderType": provider, "HostArn": host_arn}) or None)
    return {"Connections": [connection_view(record, call.service) for record in page],
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
    """The connection record holding `token`, encrypted; store it with `Tx.update`."""
    return replace(record, data={**record.data, TOKEN_FIELD: secrets.encrypt(token)})


def provider_token(record: Record, secrets: SecretBox) -> Secret | None:
    """The connection's provider token, decrypted into a Secret; None before the handshake."""
    ciphertext = record.data.get(TOKEN_FIELD)
    return Secret(secrets.decrypt(ciphertext)) if ciphertext else None


# --- rules --------------------------------------------------------------------------------


def _provider_type(call: Call, params: dict[str, Any], host: Found | None) -> str:
    """The connection's provider type, after AWS's rules on ProviderType, HostArn and ProviderEndpoint."""
    provider: str | None = params.get("ProviderType")
    endpoint = params.get("ProviderEndpoint")
    if host is not None:
        host_record = _usable_host(call, host.record, host)
        host_provider = str(host_record.data["ProviderType"])
        if provider is not None and provider != host_provider:
            raise InvalidInputException(
                f"ProviderType {provider} does not match the provider type {host_provider} of host {host.arn}.")
        if endpoint is not None:
            raise InvalidInputException("ProviderEndpoint cannot be given with HostArn.")
        return host_provider
    if provider is None:
        raise InvalidInputException("Either ProviderType or HostArn must be specified.")
    if provider in INSTALLED_PROVIDERS:
        raise UnsupportedProviderTypeException(
            f"A connection of provider type {provider} needs a host: create one and give its HostArn.")
    if provider in ENDPOINT_PROVIDERS and endpoint is None:
        raise InvalidInputException(f"ProviderEndpoint is required for provider type {provider}.")
    if provider not in ENDPOINT_PROVIDERS and endpoint is not None:
        raise InvalidInputException(f"ProviderEndpoint is not valid for provider type {provider}.")
    return provider


def _usable_host(call: Call, record: Record | None, host: Found) -> Record:
    if record is None or record.arn != host.arn:
        raise ResourceNotFoundException(f"Host {host.arn} does not exist")
    status = host_status(record.data, call.now)
    if status not in HOST_USABLE:
        raise ResourceUnavailableException(f"Host {host.arn} cannot take connections while it is {status}.")
    return record


def _name_key(account_id: str, name: str) -> str:
    return f"{account_id}:{name}"


def _name_taken(name: str) -> ResourceAlreadyExistsException:
    return ResourceAlreadyExistsException(f"A connection named {name} already exists in this account.")


__all__ = [
    "ENDPOINT_PROVIDERS",
    "INSTALLED_PROVIDERS",
    "TOKEN_FIELD",
    "connection_view",
    "create_connection",
    "delete_connection",
    "get_connection",
    "list_connections",
    "provider_token",
    "with_provider_token",
]
