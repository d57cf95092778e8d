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
them at rest. This module sends its one request with `httpx` itself, so it stands
apart from the adapters' shared plumbing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from codeconn.providers.base import ProviderAuthFailed, ProviderRefused, ProviderUnavailable
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


def convert_code(api_url: str, code: str, *, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> RegisteredApp:
    """`POST {api}/app-manifests/{code}/conversions`: the registered app with its secrets.

    A refused code (404 or 422: unknown, used or expired) is ProviderAuthFailed; any
    other failure ProviderRefused or ProviderUnavailable. No message carries a secret.
    """
    url = f"{api_url.rstrip('/')}/app-manifests/{quote(code, safe='')}/conversions"
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(url, headers={"Accept": "application/vnd.github+json",
                                                 "User-Agent": "codeconn"})
    except httpx.HTTPError as error:
        raise ProviderUnavailable(f"GitHubEnterpriseServer could not be reached: {type(error).__name__}") from None
    if response.status_code in (404, 422):
        raise ProviderAuthFailed("the app registration code is unknown, used or expired")
    if response.status_code >= 500:
        raise ProviderUnavailable(f"GitHubEnterpriseServer answered {response.status_code}")
    if response.status_code != 201 and response.status_code != 200:
        raise ProviderRefused(f"GitHubEnterpriseServer refused the app registration ({response.status_code})")
    try:
        body = response.json()
        return RegisteredApp(app_id=str(body["id"]), slug=str(body["slug"]), client_id=str(body["client_id"]),
                             client_secret=Secret(str(body["client_secret"])), private_key=Secret(str(body["pem"])))
    except (ValueError, KeyError, TypeError):
        raise ProviderRefused("GitHubEnterpriseServer answered the app registration without the app") from None


__all__ = ["APP_PERMISSIONS", "convert_code", "manifest", "registration_url"]
