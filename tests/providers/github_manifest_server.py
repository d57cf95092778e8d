"""A GitHub Enterprise Server that registers GitHub Apps from manifests, on `provider_server.FakeHost`.

The documented flow (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
`GET /settings/apps/new?state=...&manifest=...` (a person confirms; here at once)
redirects to the manifest's `redirect_url` with a one-hour, single-use `code` and
the `state`; `POST /api/v3/app-manifests/{code}/conversions` answers 201 with the
app's id, slug, client_id, client_secret, webhook_secret and pem, or 404 for a
code that is unknown or used.
"""

from __future__ import annotations

import json
import re
import secrets
from urllib.parse import urlencode

from provider_server import Answer, FakeHost, Request

CLIENT_SECRET = "ghes-app-client-secret-never-shown"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nghes-app-private-key-never-shown\n-----END RSA PRIVATE KEY-----\n"


class ManifestHost(FakeHost):
    def __init__(self) -> None:
        super().__init__()
        self.codes: dict[str, dict[str, object]] = {}
        self.apps: list[dict[str, object]] = []
        self.route("GET", r"/settings/apps/new", self.new_app)
        self.route("POST", r"/api/v3/app-manifests/([^/]+)/conversions", self.conversion)

    def new_app(self, request: Request, _: re.Match[str]) -> Answer:
        manifest = json.loads(request.query["manifest"])
        code = secrets.token_hex(10)
        self.codes[code] = manifest
        target = f"{manifest['redirect_url']}?{urlencode({'code': code, 'state': request.query['state']})}"
        return Answer(302, headers={"Location": target})

    def conversion(self, request: Request, match: re.Match[str]) -> Answer:
        manifest = self.codes.pop(match.group(1), None)  # single use
        if manifest is None:
            return Answer(404, {"message": "Not Found"})
        app = {"id": 4242 + len(self.apps), "slug": str(manifest["name"]).lower(), "client_id": "Iv1.ghesapp",
               "client_secret": CLIENT_SECRET, "webhook_secret": None, "pem": PEM,
               "permissions": manifest.get("default_permissions", {})}
        self.apps.append(app)
        return Answer(201, app)
