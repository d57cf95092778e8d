"""Registering codeconn's GitHub App on a GitHub Enterprise Server host: the app-manifest flow.

GitHub documents it at https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest:

1. a person opens `{web}/settings/apps/new?state=...` and submits a manifest (the
   app's name, URLs and permissions; codeconn gives it as the `manifest` query
   parameter, and a page may equally POST it as the form field of that name);
2. GitHub redirects to the manifest's `redirect_url` (codeconn's `/oauth/callback`)
   with a temporary `code` and the same `state`;
3. `POST {api}/app-manifests/{code}/conversions` (no authentication: the code is the
   proof, valid for one hour and one use) answers the new app's `id`, `slug`,
   `client_id`, `client_secret` and `pem` (its private key).

The secrets are wrapped in `Secret` as soon as they are parsed; the caller encrypts
them at rest.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from codeconn.providers.base import ProviderAuthFailed, ProviderRefused
from codeconn.providers.http import ProviderHttp
from codeconn.providers.hosts import RegisteredApp
from codeconn.store import Secret

APP_PERMISSIONS = {"contents": "write", "metadata": "read", "pull_requests": "write"}
"""What codeconn's app asks for: read and push code (GitPull, GitPush), list repositories and branches."""


def manifest(name: str, *, url: str, redirect_url: str) -> dict[str, Any]:
    """The GitHub App manifest codeconn registers: no webhook, code permissions, the callback as redirect."""
    return {"name": name, "url": url, "redirect_url": redirect_url, "callback_urls": [redirect_url],
            "public": False, "default_permissions": APP_PERMISSIONS, "default_events": [],
            "hook_attributes": {"url": url, "active": False}, "request_oauth_on_install": False}


def registration_url(web_url: str, *, state: str, app_manifest: dict[str, Any]) -> str:
    """`{web}/settings/apps/new?state=...&manifest=...`: where a person registers the app."""
    query = urlencode({"state": state, "manifest": json.dumps(app_manifest, separators=(",", ":"))})
    return f"{web_url.rstrip('/')}/settings/apps/new?{query}"


REFUSED_CODE = {404: ProviderAuthFailed, 422: ProviderAuthFailed}
"""The conversion's answers to an unknown, used or expired code."""


def convert_code(api_url: str, code: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> RegisteredApp:
    """`POST {api}/app-manifests/{code}/conversions`: the registered app with its secrets.

    Sent through the adapters' one HTTP client (`ProviderHttp`), where a refused code
    (404 or 422: unknown, used or expired) is ProviderAuthFailed and no message carries a secret.
    """
    url = f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    client = ProviderHttp("GitHubEnterpriseServer", timeout=timeout, max_rate_limit_wait=0.0,
                          errors=REFUSED_CODE, transport=transport)
    try:
        body = client.post_json(url, headers={"Accept": "application/vnd.github+json"})
    finally:
        client.close()
    try:
        return RegisteredApp(app_id=str(body["id"]), slug=str(body["slug"]), client_id=str(body["client_id"]),
                             client_secret=Secret(str(body["client_secret"])), private_key=Secret(str(body["pem"])))
    except (KeyError, TypeError):
        raise ProviderRefused("GitHubEnterpriseServer answered the app registration without the app") from None


__all__ = ["APP_PERMISSIONS", "convert_code", "manifest", "registration_url"]
