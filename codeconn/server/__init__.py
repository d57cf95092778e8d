"""The server edge: HTTP in, protocol decoding, SigV4, dispatch to the service layer, audit.

    config = ServeConfig(port=4599, data_dir=Path(".codeconn"))
    app = create_app(config, store=..., secrets=..., directory=..., authorizer=...,
                     registry=build_registry(), audit=AuditLog(config.audit_path))
    run(config, build_components)      # what `codeconn serve` does: bind, serve, stop on a signal

The concrete store, directory and authorizer are chosen in `components.py`
(imported only when a server really starts); everything else takes them as
arguments.
"""

from codeconn.server.app import HEALTH_PATH, create_app
from codeconn.server.audit import (
    AuditDecision,
    AuditFilter,
    AuditLog,
    AuditRecord,
    AuditSink,
    MemoryAudit,
    read_audit,
)
from codeconn.server.config import WELL_KNOWN_CREDENTIALS, ServeConfig, is_loopback
from codeconn.server.edge import Edge, Incoming, utc_now
from codeconn.server.errors import (
    ConfigError,
    ListenError,
    OperationNotImplemented,
    ServerError,
    answer_for,
)
from codeconn.server.runner import Components, ComponentsFactory, Server, run
from codeconn.server.scrub import scrub

__all__ = [
    "HEALTH_PATH",
    "WELL_KNOWN_CREDENTIALS",
    "AuditDecision",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "AuditSink",
    "Components",
    "ComponentsFactory",
    "ConfigError",
    "Edge",
    "Incoming",
    "ListenError",
    "MemoryAudit",
    "OperationNotImplemented",
    "ServeConfig",
    "Server",
    "ServerError",
    "answer_for",
    "create_app",
    "is_loopback",
    "read_audit",
    "run",
    "scrub",
    "utc_now",
]
