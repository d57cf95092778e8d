"""The console over the real components (SQLite in a temporary data directory), driven in-process.

`console` is a Starlette TestClient on the app `codeconn serve` builds, as a browser on
this machine reaches it (client address 127.0.0.1, Host 127.0.0.1:4599), redirects not
followed so that each step can be checked. `api` is boto3's view of the same server
state, through the same app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from codeconn.console.calls import Actor
from codeconn.console.routes import Console
from codeconn.server.app import create_app
from codeconn.server.audit import AuditLog
from codeconn.server.components import build_components
from codeconn.server.config import ServeConfig
from codeconn.server.runner import Components

BASE = "http://127.0.0.1:4599"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class ConsoleApp:
    client: TestClient
    components: Components
    config: ServeConfig
    console: Console

    def csrf(self, path: str) -> str:
        """The CSRF token of the form on `path` (a GET, as the browser would load it)."""
        page = self.client.get(path)
        found = CSRF.search(page.text)
        assert found, f"no form on {path}: {page.status_code} {page.text[:300]}"
        return found.group(1)

    def api(self, service: str, operation: str, params: dict[str, Any], *, key: str = "test") -> dict[str, Any]:
        """The operation through the service layer as the holder of `key` (the default root: `test`)."""
        directory = self.components.directory
        credentials = directory.credentials(key)
        assert credentials is not None
        actor = Actor(caller=directory.caller(credentials), source_ip="127.0.0.1", user_agent="tests")
        return self.console.web.calls.run(actor, service, operation, params)

    def post(self, path: str, form: dict[str, str], *, token_from: str) -> Any:
        return self.client.post(path, data={**form, "csrf": self.csrf(token_from)},
                                headers={"Origin": BASE, "Sec-Fetch-Site": "same-origin"})


def console_app(data_dir: Path, **overrides: Any) -> Iterator[ConsoleApp]:
    config = ServeConfig(host="127.0.0.1", port=4599, data_dir=data_dir, **overrides)
    data_dir.mkdir(parents=True, exist_ok=True)
    components = build_components(config)
    audit = AuditLog(config.audit_path)
    app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                     authorizer=components.authorizer, registry=components.registry, audit=audit,
                     service_models=components.service_models, iam_catalog=components.iam_catalog,
                     git_remotes=components.git_remotes, providers=components.providers)
    try:
        with TestClient(app, base_url=BASE, client=("127.0.0.1", 50000), follow_redirects=False) as client:
            yield ConsoleApp(client, components, config, app.state.console)
    finally:
        audit.close()
        components.close()
