"""The console on the server: its parts made from the server's own components, its audit lines, its reader.

The console (`codeconn.console`) sits below the server and never imports it, so
the two things it needs of the server are made here: `ConsoleAudit` writes the
audit line of each call a page makes (the edge's line: every decision with its
statements and near misses, the parameters scrubbed by `server.scrub` as the
API's are), and `read_console_audit` reads the log with `codeconn audit`'s own
reader and filter, keeping the lines of the caller's account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

from codeconn.console.parts import AuditQuery, AuditReader, ConsoleParts, ConsoleSettings
from codeconn.console.routes import Console
from codeconn.iam.catalog import IamCatalog
from codeconn.providers.config import Providers, load_providers_file
from codeconn.server.audit import AuditDecision, AuditFilter, AuditRecord, AuditSink, read_audit, tail
from codeconn.server.config import WELL_KNOWN_CREDENTIALS, ServeConfig, is_loopback
from codeconn.server.scrub import scrub
from codeconn.service.call import Authorize, Call, CallerDirectory
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.clock import Clock
from codeconn.service.registry import Registry
from codeconn.store import SecretBox, Store
from codeconn.wire.model import ServiceModels


class ConsoleAudit:
    """The `CallRecorder` over the server's audit sink."""

    def __init__(self, sink: AuditSink, service_models: ServiceModels) -> None:
        self._sink = sink
        self._models = service_models

    def __call__(self, call: Call, params: Mapping[str, Any], *, status: int, error_code: str | None) -> None:
        use = params.get("ProviderAction")
        repository = f"{params['OwnerId']}/{params['RepositoryName']}" if (
            "OwnerId" in params and "RepositoryName" in params) else None
        decisions = tuple(
            AuditDecision(d.action, d.resource, d.decision.decision, d.enforced,
                          tuple(m.to_json() for m in d.decision.matched),
                          tuple(miss.to_json() for miss in d.decision.near_misses),
                          provider_action=use, repository=repository if use else None,
                          branch=params.get("BranchName") if use else None)
            for d in call.decisions)
        principal = call.caller.principal
        now = call.now.astimezone(UTC)
        self._sink.write(AuditRecord(
            time=now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
            request_id=call.request_id, status=status, service=call.service, operation=call.operation,
            action=f"{call.service}:{call.operation}", resource=decisions[0].resource if decisions else None,
            principal=principal.session_arn or principal.arn, account_id=call.account_id,
            access_key_id=call.caller.access_key_id, region=call.region, source_ip=call.source_ip,
            user_agent=f"codeconn-console {call.user_agent}".strip(),
            request_parameters=scrub(self._input_shape(call), dict(params)), decisions=decisions,
            error_code=error_code))

    def _input_shape(self, call: Call) -> Any:
        service = self._models.services.get(call.service)
        if service is None or call.operation not in service.operation_names:
            return None  # UseConnection, cloudtrail:LookupEvents: no operation model; names still scrub
        return service.operation_model(call.operation).input_shape


def console_audit_reader(config: ServeConfig) -> AuditReader:
    """`codeconn audit`'s reader and filter over the server's log, for one account's lines."""

    def read(account_id: str, query: AuditQuery) -> Sequence[Mapping[str, Any]]:
        try:
            records = read_audit(config.audit_path).records
        except FileNotFoundError:
            return ()
        chosen = AuditFilter(principal=query.principal, action=query.action, decision=query.decision,
                             connection=query.connection, repository=query.repository, branch=query.branch,
                             provider_action=query.provider_action)
        mine = [record for record in chosen.select(records) if record.account_id == account_id]
        return [record.to_json() for record in tail(mine, query.last)]

    return read


def local_providers(config: ServeConfig) -> ProviderDirectory:
    """Every provider type in local mode under the server's repositories (for apps built without a directory)."""
    return Providers(load_providers_file(None, repositories=config.repositories_root),
                     default_redirect_uri=config.callback_url)


def build_console(config: ServeConfig, *, store: Store, secrets: SecretBox, directory: CallerDirectory,
                  authorizer: Authorize, registry: Registry, audit: AuditSink, service_models: ServiceModels,
                  iam_catalog: IamCatalog, providers: ProviderDirectory, clock: Clock) -> Console:
    """The console over the server's components (the API's own store, directory, authorizer and handlers)."""
    default_key = (WELL_KNOWN_CREDENTIALS[0] if config.well_known_key_enabled and is_loopback(config.host)
                   else None)
    parts = ConsoleParts(
        settings=ConsoleSettings(region=config.region, default_key=default_key), store=store, secrets=secrets,
        directory=directory, authorizer=authorizer, registry=registry, service_models=service_models,
        iam_catalog=iam_catalog, providers=providers, record=ConsoleAudit(audit, service_models),
        read_audit=console_audit_reader(config), clock=clock)
    return Console(parts)


__all__ = ["ConsoleAudit", "build_console", "console_audit_reader", "local_providers"]
