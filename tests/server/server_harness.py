"""A real uvicorn server on 127.0.0.1 and a free port, with the fakes of server_fakes.py behind it.

`live_server(tmp)` starts one in a background thread (bounded wait for it to
listen, always stopped). Clients are real boto3 clients with retries off, so an
error answers at once. (A module of its own, not conftest.py: test modules import
`LiveServer` and `live_server` by name, and every test folder has a conftest.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from server_fakes import ROOT_KEY, ROOT_SECRET, fake_components

from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog, AuditRecord, read_audit
from codeconn.server.config import ServeConfig
from codeconn.server.runner import Components, serving_in_thread
from codeconn.service.call import IamMode

NO_RETRIES = Config(retries={"total_max_attempts": 1})


@dataclass
class LiveServer:
    url: str
    config: ServeConfig
    components: Components

    def client(self, service: str, *, key: str = ROOT_KEY, secret: str = ROOT_SECRET, token: str | None = None,
               region: str = "us-east-1", config: Config | None = None) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token,
                            config=NO_RETRIES.merge(config) if config else NO_RETRIES)

    def audit(self) -> tuple[AuditRecord, ...]:
        return read_audit(self.config.audit_path).records

    def record(self, request_id: str) -> AuditRecord:
        found = [record for record in self.audit() if record.request_id == request_id]
        assert len(found) == 1, f"{len(found)} audit lines for request {request_id}"
        return found[0]


@contextmanager
def live_server(data_dir: Path, *, mode: IamMode = IamMode.ENFORCE, **overrides: Any) -> Iterator[LiveServer]:
    """A server on a free loopback port until the block ends."""
    config = replace(ServeConfig(host="127.0.0.1", port=0, data_dir=data_dir, iam=mode), **overrides)
    components = fake_components(mode)
    audit = AuditLog(config.audit_path)
    app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                     authorizer=components.authorizer, registry=components.registry, audit=audit,
                     service_models=components.service_models, iam_catalog=components.iam_catalog)
    try:
        with serving_in_thread(app, config.host) as url:
            yield LiveServer(url, config, components)
    finally:
        audit.close()
        components.close()
