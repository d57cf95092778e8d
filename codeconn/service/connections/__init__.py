"""CodeStar Connections / CodeConnections: the 27 operations, served by both endpoints.

One handler per operation answers both `codestar-connections` and
`codeconnections`; it learns which endpoint was called from `call.service`,
authorizes `<that prefix>:<Operation>` with that prefix's condition keys, and
gives resources it creates ARNs with that prefix. Resources created through
either endpoint are found through both.

The modules, one resource each: `connections`, `hosts`, `repository_links`,
`sync_configurations`, `sync_status`, `tags`; the handshake (handshake-api.md:
`handshake`, `handshake_tokens`, `app_registration`, reaching code hosts through
`provider_directory.ProviderDirectory`, registered by `register_handshake`); shared: `resources` (look up,
then authorize, then write; quotas), `pagination`, `errors`. The resources
themselves, their ARNs, statuses and quotas are `codeconn.domain`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from codeconn.domain.arns import CONNECTIONS_SERVICES
from codeconn.service.call import Call
from codeconn.service.connections import (
    app_registration,
    connections,
    handshake,
    handshake_tokens,
    hosts,
    repository_links,
    sync_configurations,
    sync_status,
    tags,
)
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.service.connections.resources import TagsChanged
from codeconn.service.registry import Handler, Registry

OPERATIONS: dict[str, Handler] = {
    "CreateConnection": connections.create_connection,
    "DeleteConnection": connections.delete_connection,
    "GetConnection": connections.get_connection,
    "ListConnections": connections.list_connections,
    "CreateHost": hosts.create_host,
    "DeleteHost": hosts.delete_host,
    "GetHost": hosts.get_host,
    "ListHosts": hosts.list_hosts,
    "UpdateHost": hosts.update_host,
    "CreateRepositoryLink": repository_links.create_repository_link,
    "DeleteRepositoryLink": repository_links.delete_repository_link,
    "GetRepositoryLink": repository_links.get_repository_link,
    "ListRepositoryLinks": repository_links.list_repository_links,
    "UpdateRepositoryLink": repository_links.update_repository_link,
    "CreateSyncConfiguration": sync_configurations.create_sync_configuration,
    "DeleteSyncConfiguration": sync_configurations.delete_sync_configuration,
    "GetSyncConfiguration": sync_configurations.get_sync_configuration,
    "ListSyncConfigurations": sync_configurations.list_sync_configurations,
    "UpdateSyncConfiguration": sync_configurations.update_sync_configuration,
    "ListRepositorySyncDefinitions": sync_configurations.list_repository_sync_definitions,
    "GetRepositorySyncStatus": sync_status.get_repository_sync_status,
    "GetResourceSyncStatus": sync_status.get_resource_sync_status,
    "GetSyncBlockerSummary": sync_status.get_sync_blocker_summary,
    "UpdateSyncBlocker": sync_status.update_sync_blocker,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
}
"""Every operation of the two models, by name."""

HandshakeHandler = Callable[..., dict[str, Any]]
"""A handshake handler: (call, params, *, providers) -> output."""

HANDSHAKE_OPERATIONS: dict[str, HandshakeHandler] = {
    "StartOAuthHandshake": handshake.start_oauth_handshake,
    "GetIndividualAccessToken": handshake.get_individual_access_token,
    "GetInstallationUrl": handshake.get_installation_url,
    "ListInstallationTargets": handshake_tokens.list_installation_targets,
    "UpdateConnectionInstallation": handshake_tokens.update_connection_installation,
    "StartAppRegistrationHandshake": app_registration.start_app_registration_handshake,
    "RegisterAppCode": app_registration.register_app_code,
}
"""The handshake operations (handshake-api.md; the models' sdk-extras), which reach providers."""


ATTEMPTS = 3
"""How often a call runs when a resource's tags change under its authorization."""


def retrying(handler: Handler) -> Handler:
    """Run `handler` again, authorization included, when the tags it authorized on changed.

    The failed attempt wrote nothing (its transaction rolled back); its decisions are
    dropped from the call, so the audit log shows only those the result rests on.
    """

    @functools.wraps(handler)
    def run(call: Call, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(1, ATTEMPTS + 1):
            decided = len(call.decisions)
            try:
                return handler(call, params)
            except TagsChanged:
                if attempt == ATTEMPTS:
                    raise
                del call.decisions[decided:]
        raise AssertionError("unreachable")

    return run


def register(registry: Registry) -> None:
    """Add the connections operations to `registry`, for both endpoints."""
    for name, handler in OPERATIONS.items():
        registry.add(CONNECTIONS_SERVICES, name, retrying(handler))


def register_handshake(registry: Registry, providers: ProviderDirectory) -> None:
    """Add the handshake operations to `registry`, for both endpoints, each reaching code hosts through `providers`."""
    for name, handler in HANDSHAKE_OPERATIONS.items():
        registry.add(CONNECTIONS_SERVICES, name, retrying(functools.partial(handler, providers=providers)),
                     remote=True)


__all__ = ["ATTEMPTS", "HANDSHAKE_OPERATIONS", "OPERATIONS", "HandshakeHandler", "ProviderDirectory", "register",
           "register_handshake", "retrying"]
