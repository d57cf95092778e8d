"""CreateHost, GetHost, ListHosts, UpdateHost, DeleteHost.

A host stands for the infrastructure where an installed provider (GitHub
Enterprise Server, GitLab self-managed) runs; connections to that provider go
through it. Hosts are regional. A host is created PENDING (VPC_CONFIG_INITIALIZING
first when it has a VPC configuration, see `lifecycle`), becomes AVAILABLE when
set up in the console, and goes back to PENDING when its endpoint or network
changes, since it must then be set up again. It cannot be updated or deleted
while its VPC configuration is being initialized or deleted, nor deleted while
connections use it.

The record (`kind="host"`, id = `<name>-<8 hex digits>` as in AWS's ARNs, name = Name):

    {"ProviderType": "GitHubEnterpriseServer", "ProviderEndpoint": "https://ghe.example.com",
     "Status": "PENDING", "Region": "us-east-1", "VpcConfiguration": {...}, "StatusSettlesAt": "..."}
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from uuid import uuid4

from codeconn.service.call import Call
from codeconn.service.connections.arns import CONNECTION, HOST, resource_arn
from codeconn.service.connections.connections import INSTALLED_PROVIDERS
from codeconn.service.connections.lifecycle import (
    HOST_BUSY,
    SETTLES_AT,
    HostStatus,
    host_status,
    vpc_setup,
)
from codeconn.service.connections.pagination import next_token, read_page
from codeconn.service.connections.quotas import check_quota
from codeconn.service.connections.resources import (
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
    ConflictException,
    ResourceUnavailableException,
    ValidationException,
)
from codeconn.store import Record

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def host_view(record: Record, call: Call) -> dict[str, Any]:
    """The fields GetHost answers with; the status as it is at the time of the call."""
    view = {"Name": record.name, "Status": host_status(record.data, call.now).value,
            "ProviderType": record.data["ProviderType"], "ProviderEndpoint": record.data["ProviderEndpoint"]}
    if record.data.get("VpcConfiguration"):
        view["VpcConfiguration"] = record.data["VpcConfiguration"]
    return view


def create_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreateHost: a PENDING host for an installed provider, authorized with its provider type, VPC and tags."""
    tags = tags_from_request(params.get("Tags"))
    provider, vpc = params["ProviderType"], params.get("VpcConfiguration")
    host_id = f"{_UNSAFE.sub('-', params['Name'])}-{uuid4().hex[:8]}"
    arn = resource_arn(call, HOST, host_id)
    call.authorize(context=without_none({key(call, "ProviderType"): provider,
                                       key(call, "VpcId"): vpc["VpcId"] if vpc else None,
                                       **request_tag_context(tags)}))
    authorize_tagging_on_create(call, arn, tags)
    if provider not in INSTALLED_PROVIDERS:
        raise ValidationException(f"ProviderType {provider} cannot have a host: hosts are for "
                                  f"{' and '.join(sorted(INSTALLED_PROVIDERS))}.")
    data: dict[str, Any] = {"ProviderType": provider, "ProviderEndpoint": params["ProviderEndpoint"],
                            "Status": HostStatus.PENDING, "Region": call.region}
    if vpc:
        data.update(VpcConfiguration=vpc, **vpc_setup(call.now))
    record = Record(account_id=call.account_id, kind=HOST.kind, id=host_id, arn=arn, name=params["Name"],
                    data=data, created_at=call.now, updated_at=call.now)
    with call.store.transaction(call.account_id) as tx:
        check_quota(tx, call, HOST)
        tx.insert(record)
        if tags:
            tx.set_tags(arn, tags)
    return {"HostArn": arn, **({"Tags": tag_list(tags)} if tags else {})}


def get_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetHost: the host's name, status, provider, endpoint and VPC configuration."""
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found)
    return host_view(found.require(), call)


def list_hosts(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListHosts: the hosts of the account in the Region called."""
    call.authorize()
    listing = f"ListHosts|{call.region}"
    with call.store.read(call.account_id) as reader:
        page = read_page(reader, HOST.kind, params, listing=listing, where={"Region": call.region})
    return {"Hosts": [_listed_host(record, call) for record in page], **next_token(page, listing)}


def _listed_host(record: Record, call: Call) -> dict[str, Any]:
    """A host as ListHosts answers it: its ARN too, and the status message when there is one."""
    listed = {**host_view(record, call), "HostArn": record.arn}
    if record.data.get("StatusMessage"):
        listed["StatusMessage"] = record.data["StatusMessage"]
    return listed


def update_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdateHost: a new endpoint or VPC configuration; the host must then be set up again."""
    vpc, endpoint = params.get("VpcConfiguration"), params.get("ProviderEndpoint")
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found, context=without_none({key(call, "VpcId"): vpc["VpcId"] if vpc else None}))
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        status = host_status(record.data, call.now)
        if status in HOST_BUSY:
            raise ConflictException(f"Host {found.arn} cannot be updated while it is {status}.")
        data = dict(record.data)
        if endpoint is not None and endpoint != data["ProviderEndpoint"]:
            data.update(ProviderEndpoint=endpoint, Status=HostStatus.PENDING)
            data.pop(SETTLES_AT, None)
        if vpc is not None:
            data.update(VpcConfiguration=vpc, **vpc_setup(call.now))
        if data != record.data:
            tx.update(replace(record, data=data, updated_at=call.now))
    return {}


def delete_host(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeleteHost: only once no connection uses it, and not while its VPC configuration is changing."""
    found = lookup(call, HOST, params["HostArn"])
    authorize_on(call, found)
    found.require()
    with call.store.transaction(call.account_id) as tx:
        record = recheck(tx, found)
        status = host_status(record.data, call.now)
        if status in HOST_BUSY:
            raise ResourceUnavailableException(f"Host {found.arn} cannot be deleted while it is {status}.")
        in_use = tx.count(CONNECTION.kind, where={"HostArn": record.arn})
        if in_use:
            raise ResourceUnavailableException(
                f"Host {found.arn} cannot be deleted: {in_use} connection(s) use it. Delete them first.")
        tx.delete(record.kind, record.id)
    return {}


__all__ = ["create_host", "delete_host", "get_host", "host_view", "list_hosts", "update_host"]
