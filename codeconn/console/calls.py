"""A page's API call: the same handler the API runs, as the signed-in principal, audited the same way.

`ConsoleCalls.run(actor, service, operation, params)` does what the edge does
after the signature check: it validates the parameters against the operation's
input shape, builds a `Call` for the caller the session's access key names
(the global condition keys from the browser's request: source address, user
agent, transport), runs the registry's handler (so the very decisions the API
would take are taken, through the same authorizer), and hands the call to the
recorder for its audit line, whatever happened. A page therefore may do exactly
what the same principal may do through boto3.

`use_connection` is the repository picker's one act that is no API operation:
UseConnection with a ProviderAction (ListOwners, ListRepositories, ListBranches),
decided as the git endpoint decides it, then the provider reached through the
connection (`through_connection`: its credential, refreshed when expired).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from codeconn.console.parts import ConsoleParts
from codeconn.domain.arns import CONNECTION, parse_arn
from codeconn.domain.connections import Connection
from codeconn.providers.base import Credential, Provider, ProviderAction
from codeconn.service.call import Call, Caller
from codeconn.service.connections.handshake_tokens import through_connection
from codeconn.service.connections.resources import authorize_on, lookup
from codeconn.service.errors import ServiceError, UnsupportedOperationException
from codeconn.wire.errors import WireError
from codeconn.wire.validate import validate

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: the session's principal and the browser's request."""

    caller: Caller
    source_ip: str
    user_agent: str
    secure: bool = False


class ConsoleCalls:
    """Runs API operations and connection uses for pages (see the module docstring)."""

    def __init__(self, parts: ConsoleParts) -> None:
        self._parts = parts

    def call(self, actor: Actor, service: str, operation: str, region: str | None = None) -> Call:
        """A `Call` as the edge builds one, for `actor`, at the clock's now."""
        parts = self._parts
        return Call(service=service, operation=operation, region=region or parts.settings.region,
                    caller=actor.caller, now=parts.clock(), request_id=str(uuid.uuid4()), store=parts.store,
                    secrets=parts.secrets, authorizer=parts.authorizer, iam_catalog=parts.iam_catalog,
                    source_ip=actor.source_ip, secure_transport=actor.secure, user_agent=actor.user_agent)

    def run(self, actor: Actor, service: str, operation: str, params: Mapping[str, Any],
            region: str | None = None) -> dict[str, Any]:
        """The operation's output; its ServiceError (AccessDenied with its decision) or WireError otherwise."""
        clean = {name: value for name, value in params.items() if value is not None and value != ""}
        call = self.call(actor, service, operation, region)
        return self._recorded(call, clean, lambda: self._handle(call, clean))

    def authorize(self, actor: Actor, service: str, operation: str, resource: str = "*") -> None:
        """Decide `<service>:<operation>` on `resource` for a page that reads no API (the audit log)."""
        call = self.call(actor, service, operation)
        self._recorded(call, {}, lambda: call.authorize(resource=resource))

    def use_connection(self, actor: Actor, connection_arn: str, action: ProviderAction,
                       act: Callable[[Provider, Credential, Connection], T], *, owner: str | None = None,
                       repository: str | None = None, branch: str | None = None) -> T:
        """UseConnection for `action` on the connection (with the repository's keys), then `act` through it."""
        arn = parse_arn(connection_arn)
        service = arn.service if arn is not None else "codestar-connections"
        call = self.call(actor, service, "UseConnection", arn.region if arn is not None else None)
        context: dict[str, Any] = {f"{service}:ProviderAction": action.value,
                                   f"{service}:ProviderPermissionsRequired": action.permissions_required}
        if owner is not None:
            context[f"{service}:OwnerId"] = owner
        if owner is not None and repository is not None:
            context[f"{service}:FullRepositoryId"] = f"{owner}/{repository}"
            context[f"{service}:RepositoryName"] = repository
        if branch is not None:
            context[f"{service}:BranchName"] = branch
        params = {"ConnectionArn": connection_arn, "ProviderAction": action.value,
                  **{k: v for k, v in (("OwnerId", owner), ("RepositoryName", repository),
                                       ("BranchName", branch)) if v is not None}}

        def use() -> T:
            found = lookup(call, CONNECTION, connection_arn)
            authorize_on(call, found, "UseConnection", context=context)
            connection = Connection.from_record(found.require())
            return through_connection(call, self._parts.providers, connection,
                                      lambda provider, credential: act(provider, credential, connection))

        return self._recorded(call, params, use)

    def _handle(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        model = self._parts.service_models.services[call.service]
        validate(model.operation_model(call.operation).input_shape, params, "json")
        handler = self._parts.registry.get(call.service, call.operation)
        if handler is None:
            raise UnsupportedOperationException(f"codeconn does not serve {call.service}:{call.operation} here.")
        return handler(call, params)

    def _recorded(self, call: Call, params: Mapping[str, Any], work: Callable[[], T]) -> T:
        try:
            result = work()
        except (ServiceError, WireError) as error:
            self._parts.record(call, params, status=status_of(error), error_code=error.code)
            raise
        except Exception:
            self._parts.record(call, params, status=500, error_code="InternalFailure")
            raise
        self._parts.record(call, params, status=200, error_code=None)
        return result


def status_of(error: ServiceError | WireError) -> int:
    """The HTTP status a page answers for `error` (the console's own table; the API's comes from the models)."""
    if isinstance(error, WireError):
        return error.status
    return STATUS_BY_CODE.get(error.code, 400)


STATUS_BY_CODE: dict[str, int] = {
    "AccessDeniedException": 403,
    "AccessDenied": 403,
    "ResourceNotFoundException": 404,
    "NoSuchEntity": 404,
    "PipelineNotFoundException": 404,
    "ConflictException": 409,
    "ResourceUnavailableException": 409,
    "ThrottlingException": 429,
    "InternalFailure": 500,
}


__all__ = ["Actor", "ConsoleCalls", "STATUS_BY_CODE", "status_of"]
