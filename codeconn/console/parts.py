"""What the console is made of: the server's own components, handed down by the server's mount.

The console sits below the server (import-linter's layers): it never imports
`codeconn.server`. So the two things only the server knows how to do arrive as
small protocols: `CallRecorder` writes the audit line of a call a page made (the
same line the API's edge writes, secrets scrubbed), and `AuditReader` reads the
audit log back with the filters of `codeconn audit`. Everything else is the
same object the API's edge holds: the store, the secret box, the caller
directory, the authorizer, the registry of handlers, the service models and the
provider directory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from codeconn.clock import Clock, utc_now
from codeconn.iam.catalog import IamCatalog
from codeconn.service.call import Authorize, Call, CallerDirectory
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.model import ServiceModels


class CallRecorder(Protocol):
    """Writes the audit line of one call a page made; `error_code` is None when it succeeded."""

    def __call__(self, call: Call, params: Mapping[str, Any], *, status: int, error_code: str | None) -> None: ...


@dataclass(frozen=True)
class AuditQuery:
    """The filters of `codeconn audit`, as the audit page's form gives them (None: no filter)."""

    principal: str | None = None
    action: str | None = None
    decision: str | None = None
    connection: str | None = None
    repository: str | None = None
    branch: str | None = None
    provider_action: str | None = None
    last: int = 200


class AuditReader(Protocol):
    """The audit lines of `account_id` that fit `query`, as stored (camelCase JSON), oldest first."""

    def __call__(self, account_id: str, query: AuditQuery) -> Sequence[Mapping[str, Any]]: ...


@dataclass(frozen=True)
class ConsoleSettings:
    """What the console needs to know of the server's configuration.

    `default_key`: the default account root's well-known key (access key id), when
    the server listens on loopback with it enabled: a browser on this machine is
    signed in as that root without a form (README, "The console").
    """

    region: str
    default_key: str | None = None
    session_seconds: int = 8 * 3600
    secure_cookies: bool = False


@dataclass(frozen=True)
class ConsoleParts:
    """The server's components the console pages act through (the API's own)."""

    settings: ConsoleSettings
    store: Store
    secrets: SecretBox
    directory: CallerDirectory
    authorizer: Authorize
    registry: Registry
    service_models: ServiceModels
    iam_catalog: IamCatalog
    providers: ProviderDirectory
    record: CallRecorder
    read_audit: AuditReader
    clock: Clock = utc_now


__all__ = ["AuditQuery", "AuditReader", "CallRecorder", "ConsoleParts", "ConsoleSettings"]
