"""The server edge: HTTP in, protocol decoding, SigV4, dispatch to the service layer, audit.

    config = ServeConfig(port=4599, data_dir=Path(".codeconn"))
    app = create_app(config, store=..., secrets=..., directory=..., authorizer=...,
                     registry=build_registry(), audit=AuditLog(config.audit_path),
                     service_models=ServiceModels.load(), iam_catalog=IamCatalog.load())
    run(config, build_components)      # what `codeconn serve` does: bind, serve, stop on a signal

The concrete store, directory and authorizer are chosen, and the service models
and the IAM catalog loaded, in `components.py` (imported only when a server
really starts); everything else takes them as arguments.

Submodules load on first use of a name (PEP 562): a command that needs only part
of the edge (`codeconn audit` reads the log, `codeconn serve --help` the config)
does not import the rest, whose uvicorn, Starlette and SQLAlchemy would add about
0.3 s to every command's start-up.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "AuditDecision": "audit",
    "AuditFilter": "audit",
    "AuditLog": "audit",
    "AuditRecord": "audit",
    "AuditSink": "audit",
    "Components": "runner",
    "ComponentsFactory": "runner",
    "ConfigError": "errors",
    "Edge": "edge",
    "HEALTH_PATH": "app",
    "Incoming": "edge",
    "Limits": "limits",
    "ListenError": "errors",
    "MemoryAudit": "audit",
    "OperationNotImplemented": "errors",
    "OriginPolicy": "origin",
    "ServeConfig": "config",
    "Server": "runner",
    "ServerError": "errors",
    "WELL_KNOWN_CREDENTIALS": "config",
    "answer_for": "errors",
    "create_app": "app",
    "is_loopback": "config",
    "read_audit": "audit",
    "run": "runner",
    "scrub": "scrub",
    "utc_now": "edge",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
