"""CreateHost, GetHost, ListHosts, UpdateHost, DeleteHost.

A host stands for the infrastructure where an installed provider (GitHub
Enterprise Server, GitLab self-managed) runs; connections to that provider go
through it. Hosts are regional. A host is created PENDING
(VPC_CONFIG_INITIALIZING first when it has a VPC configuration, see
`codeconn.domain.lifecycle`), becomes AVAILABLE when set up in the console, and
goes back to PENDING when its endpoint or network changes, since it must then
be set up again. It cannot be updated or deleted
while its VPC configuration is being initialized or deleted, nor deleted while
connections use it.

The record layout is `codeconn.domain.connections`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.domain.quotas import QUOTAS
from codeconn.domain.arns import CONNECTION, HOST
from codeconn.domain.connections import Host
from codeconn.domain.lifecycle import HOST_BUSY, HostStatus, vpc_settles_at
from codeconn.domain.providers import INSTALLED_PROVIDERS
from codeconn.service.call import Call
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.resources import (
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
    ConflictException,
    ResourceUnavailableException,
    ValidationException,
)
from codeconn.service.tagging import request_tag_context, tag_list

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def host_view(host: Host, call: Call) -> dict[str, Any]:
    """The fields GetHost answers with; the status as it is at the time of the call."""
    view: dict[str, Any] = {"Name": host.name, "Status": host.status_at(call.now).value,
                            "ProviderType": host.provider_type, "ProviderEndpoint": host.provider_endpoint}
    if host.vpc_configuration:
        view["VpcConfiguration"] = dict(host.vpc_configuration)
    return view


def create_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateHost: a PENDING host for an installed provider, authorized with its provider type, VPC and tags."""
    tags = tags_from_request(params.get("Tags"))
    provider, vpc = params["ProviderType"], params.get("VpcConfiguration")
    host_id = f"{_UNSAFE.sub('-', params['Name'])}-{uuid4().hex[:8]}"
    arn = arn_for(call, HOST, host_id)
    call.authorize(context=without_none({key(call, "ProviderType"): provider,
                                       key(call, "VpcId"): vpc["VpcId"] if vpc else None,
                                       **request_tag_context(tags)}))
    authorize_tagging_on_create(call, arn, tags)
    if provider not in INSTALLED_PROVIDERS:
        raise ValidationException(f"ProviderType {provider} cannot have a host: hosts are for "
                                  f"{' and '.join(sorted(INSTALLED_PROVIDERS))}.")
    host = Host(arn=arn, id=host_id, name=params["Name"], account_id=call.account_id, provider_type=provider,
                provider_endpoint=params["ProviderEndpoint"], status=HostStatus.PENDING, region=call.region,
                created_at=call.now, updated_at=call.now)
    if vpc:
        host = replace(host, vpc_configuration=vpc, status=HostStatus.VPC_CONFIG_INITIALIZING,
                       settles_at=vpc_settles_at(call.now))
    with call.store.transaction(call.account_id) as tx:
        check_quota(tx, call, QUOTAS[HOST.kind])
        tx.insert(host.to_record())
        if tags:
            tx.set_tags(arn, tags)
    return {"HostArn": arn, **({"Tags": tag_list(tags)} if tags else {})}


def get_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetHost: the host's name, status, provider, endpoint and VPC configuration."""
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found)
    return host_view(Host.from_record(found.require()), call)


def list_hosts(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListHosts: the hosts of the account in the Region called."""
    call.authorize()
    listing = f"ListHosts|{call.region}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, HOST.kind, params, listing=listing, where={"Region": call.region})
    return {"Hosts": [_listed_host(Host.from_record(record), call) for record in page],
            **next_token(page, listing)}


def _listed_host(host: Host, call: Call) -> dict[str, Any]:
    """A host as ListHosts answers it: its ARN too, and the status message when there is one."""
    listed = {**host_view(host, call), "HostArn": host.arn}
    if host.status_message:
        listed["StatusMessage"] = host.status_message
    return listed


def update_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateHost: a new endpoint or VPC configuration; the host must then be set up again."""
    vpc, endpoint = params.get("VpcConfiguration"), params.get("ProviderEndpoint")
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found, context=without_none({key(call, "VpcId"): vpc["VpcId"] if vpc else None}))
    found.require()
    with call.store.transaction(call.account_id) as tx:
        host = Host.from_record(recheck(tx, found))
        status = host.status_at(call.now)
        if status in HOST_BUSY:
            raise ConflictException(f"Host {found.arn} cannot be updated while it is {status}.")
        updated = host
        if endpoint is not None and endpoint != host.provider_endpoint:
            updated = replace(updated, provider_endpoint=endpoint, status=HostStatus.PENDING, settles_at=None)
        if vpc is not None:
            updated = replace(updated, vpc_configuration=vpc, status=HostStatus.VPC_CONFIG_INITIALIZING,
                              settles_at=vpc_settles_at(call.now))
        if updated != host:
            tx.update(replace(updated, updated_at=call.now).to_record())
    return {}


def delete_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteHost: only once no connection uses it, and not while its VPC configuration is changing."""
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        host = Host.from_record(recheck(tx, found))
        status = host.status_at(call.now)
        if status in HOST_BUSY:
            raise ResourceUnavailableException(f"Host {found.arn} cannot be deleted while it is {status}.")
        in_use = tx.count(CONNECTION.kind, where={"HostArn": host.arn})
        if in_use:
            raise ResourceUnavailableException(
                f"Host {found.arn} cannot be deleted: {in_use} connection(s) use it. Delete them first.")
        tx.delete(HOST.kind, host.id)
    return {}


__all__ = ["create_host", "delete_host", "get_host", "host_view", "list_hosts", "update_host"]
