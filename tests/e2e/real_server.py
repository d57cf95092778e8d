"""A real server (the components `codeconn serve` builds, its pipeline worker too) in a background thread,
with its store at hand.

`complete_handshake` makes a connection AVAILABLE through the real handshake in
local mode (a bare repository made with git under the local root, then
GetIndividualAccessToken -> ListInstallationTargets -> UpdateConnectionInstallation).
The store is at hand for the tests that must play a part no API plays yet
(recording a sync attempt). Everything else goes through boto3 and the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from handshake_clients import bare_repository, handshake_client, local_handshake

from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog
from codeconn.server.components import StarterFactory, build_components
from codeconn.server.config import ServeConfig
from codeconn.server.runner import Components, serving_in_thread
from codeconn.store import Record

NO_RETRIES = Config(retries={"total_max_attempts": 1})
ACCOUNT = "000000000000"


@dataclass
class RealServer:
    url: str
    components: Components
    config: ServeConfig

    def client(self, service: str, *, config: Config | None = None) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id="test",
                            aws_secret_access_key="test", config=NO_RETRIES.merge(config) if config else NO_RETRIES)

    def record_by_arn(self, arn: str) -> Record:
        with self.components.store.read(ACCOUNT) as reader:
            record = reader.get_by_arn(arn)
        assert record is not None, arn
        return record

    def complete_handshake(self, connection_arn: str, owner: str = "octo", repository: str = "app") -> None:
        """The real handshake in local mode, on `<owner>/<repository>` made with git: the connection is AVAILABLE."""
        provider_type = self.record_by_arn(connection_arn).data["ProviderType"]
        bare_repository(self.config.repositories_root / provider_type, owner, repository)
        service = connection_arn.split(":")[2]
        connection = local_handshake(handshake_client(self.url, service), connection_arn, provider_type, owner)
        assert connection["ConnectionStatus"] == "AVAILABLE"

    def put(self, record: Record) -> None:
        with self.components.store.transaction(record.account_id) as tx:
            tx.insert(record)


@contextmanager
def real_server(data_dir: Path, *, starter_for: StarterFactory | None = None,
                **overrides: Any) -> Iterator[RealServer]:
    """The real components on a free loopback port until the block ends; `overrides` are ServeConfig fields.

    The server has pipeline triggers (the git endpoint reports pushes to them) starting
    executions through `starter_for` (default: the worker's queue, as `codeconn serve`);
    the watcher is built but not started: a test polls it with `components.triggers.watcher.poll()`.
    """
    config = replace(ServeConfig(host="127.0.0.1", port=0, data_dir=data_dir), **overrides)
    data_dir.mkdir(parents=True, exist_ok=True)
    components = build_components(config, starter_for=starter_for)
    audit = AuditLog(config.audit_path, max_bytes=config.audit_max_bytes, keep=config.audit_keep)
    app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                     authorizer=components.authorizer, registry=components.registry, audit=audit,
                     service_models=components.service_models, iam_catalog=components.iam_catalog,
                     git_remotes=components.git_remotes,
                     source_changes=components.triggers.dispatcher if components.triggers else None)
    background = components.background(audit) if components.background is not None else None
    try:
        with serving_in_thread(app, config.host) as url:
            if background is not None:
                background.start()
            try:
                yield RealServer(url, components, config)
            finally:
                if background is not None:
                    background.stop()
    finally:
        audit.close()
        components.close()
