"""ListInstallationTargets and UpdateConnectionInstallation: a stored token binds a connection.

ListInstallationTargets answers the owners the caller's TokenId reaches (GitHub App
installations, organizations, groups, workspaces; owner directories in local
mode). UpdateConnectionInstallation binds a connection to one of them: it is
authorized on the connection's ARN with <prefix>:InstallationId and the
connection's tags, the installation is checked against the provider (one the
token cannot reach is InvalidInputException and nothing changes), then the
connection takes the credential (the same ciphertext the token holds) and becomes
AVAILABLE, its OwnerAccountId the installation's OwnerId.

`through_connection` is how later parts (the console, the git endpoint,
pipelines) act on a provider through a connection: an expired credential is
refreshed and stored, and one the provider refuses puts the connection in ERROR
with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from codeconn.domain.arns import CONNECTION
from codeconn.domain.connections import Connection, Host
from codeconn.domain.handshake import open_credential, seal_credential
from codeconn.domain.lifecycle import ConnectionStatus, move_connection
from codeconn.providers.base import Credential, Provider, ProviderAuthFailed, ProviderError
from codeconn.service.call import Call
from codeconn.service.connections.connections import connection_view
from codeconn.service.connections.handshake import find_token
from codeconn.service.connections.provider_directory import (
    ProviderDirectory,
    find_host,
    host_endpoint,
    provider_errors,
)
from codeconn.service.connections.resources import authorize_on, key, lookup, recheck
from codeconn.service.errors import InvalidInputException, ResourceUnavailableException

DEFAULT_MAX_RESULTS = 100
T = TypeVar("T")


def _provider(call: Call, providers: ProviderDirectory, provider_type: str, host_arn: str | None) -> Provider:
    if host_arn:
        return providers.for_host(host_endpoint(call, find_host(call, host_arn)))
    return providers.for_type(provider_type)


def list_installation_targets(call: Call, params: dict[str, Any], *,
                              providers: ProviderDirectory) -> dict[str, Any]:
    """ListInstallationTargets: the owners the caller's token may bind a connection to, a page at a time."""
    call.authorize()
    token = find_token(call, params["TokenId"])
    provider = _provider(call, providers, token.provider_type, token.host_arn)
    with provider_errors(token.provider_type):
        targets = list(provider.installation_targets(open_credential(call.secrets, token.credential_ciphertext)))
    start = _offset(params.get("NextToken"))
    size = params.get("MaxResults") or DEFAULT_MAX_RESULTS
    page = targets[start:start + size]
    answer: dict[str, Any] = {"InstallationTargets": [
        {"InstallationId": t.installation_id, "OwnerId": t.owner_id, "OwnerType": t.owner_type.value,
         "TargetName": t.target_name} for t in page]}
    if start + size < len(targets):
        answer["NextToken"] = str(start + size)
    return answer


def _offset(next_token: str | None) -> int:
    if next_token is None:
        return 0
    if not next_token.isdigit():
        raise InvalidInputException("NextToken is not one this operation gave.")
    return int(next_token)


def update_connection_installation(call: Call, params: dict[str, Any], *,
                                   providers: ProviderDirectory) -> dict[str, Any]:
    """UpdateConnectionInstallation: the connection bound to the installation and token; it becomes AVAILABLE."""
    installation_id = params["InstallationId"]
    found = lookup(call, CONNECTION, params["ConnectionArn"])
    authorize_on(call, found, context={key(call, "InstallationId"): installation_id})
    connection = Connection.from_record(found.require())
    token = find_token(call, params["TokenId"])
    if (token.provider_type, token.host_arn) != (connection.provider_type, connection.host_arn):
        raise InvalidInputException(f"TokenId {token.id} is for {token.provider_type}"
                                    f"{' host ' + token.host_arn if token.host_arn else ''}, not for this "
                                    "connection's provider.")
    provider = _provider(call, providers, token.provider_type, token.host_arn)
    with provider_errors(token.provider_type):
        targets = provider.installation_targets(open_credential(call.secrets, token.credential_ciphertext))
    target = next((t for t in targets if t.installation_id == installation_id), None)
    if target is None:
        raise InvalidInputException(f"InstallationId {installation_id} is not reachable with TokenId {token.id}.")
    with call.store.transaction(call.account_id) as tx:
        current = Connection.from_record(recheck(tx, found))
        status = current.status if current.status is ConnectionStatus.AVAILABLE else \
            move_connection(current.status, ConnectionStatus.AVAILABLE)
        bound = replace(current, status=status, installation_id=installation_id,
                        installation_owner_id=target.owner_id, token_id=token.id,
                        token_ciphertext=token.credential_ciphertext, status_reason=None, updated_at=call.now)
        tx.update(bound.to_record())
    return {"Connection": connection_view(bound, call.service)}


def through_connection(call: Call, providers: ProviderDirectory, connection: Connection,
                       act: Callable[[Provider, Credential], T], *, keep_provider_errors: bool = False) -> T:
    """`act` on the connection's provider with its credential (refreshed when expired).

    A credential the provider refuses (ProviderAuthFailed) puts the connection in
    ERROR with the reason, and the caller gets ResourceUnavailableException. Other
    provider errors become the API's errors, unless `keep_provider_errors` (the git
    endpoint answers git, not the API, and tells a missing repository apart).
    """
    if connection.status is not ConnectionStatus.AVAILABLE or connection.token_ciphertext is None:
        raise ResourceUnavailableException(f"Connection {connection.arn} is {connection.status.value}.")
    host: Host | None = find_host(call, connection.host_arn) if connection.host_arn else None
    provider = providers.for_host(host_endpoint(call, host)) if host else providers.for_type(connection.provider_type)
    credential = open_credential(call.secrets, connection.token_ciphertext)
    try:
        if credential.expires_at is not None and credential.expires_at <= call.now:
            credential = provider.refresh(credential)
            _store(call, replace(connection, token_ciphertext=seal_credential(call.secrets, credential)))
        return act(provider, credential)
    except ProviderAuthFailed as error:
        _store(call, replace(connection, status=move_connection(connection.status, ConnectionStatus.ERROR),
                             status_reason=str(error)))
        raise ResourceUnavailableException(f"Connection {connection.arn} is in ERROR: {error}") from None
    except ProviderError as error:
        if keep_provider_errors:
            raise
        with provider_errors(connection.provider_type):
            raise error from None


def _store(call: Call, connection: Connection) -> None:
    with call.store.transaction(call.account_id) as tx:
        current = tx.get(CONNECTION.kind, connection.id)
        if current is not None and current.arn == connection.arn:
            tx.update(replace(connection, updated_at=call.now).to_record())


__all__ = [
    "DEFAULT_MAX_RESULTS",
    "list_installation_targets",
    "through_connection",
    "update_connection_installation",
]
