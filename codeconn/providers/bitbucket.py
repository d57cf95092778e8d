"""Bitbucket Cloud through REST API 2.0, in remote mode.

Settings read: `provider_type`, `api_url` (default https://api.bitbucket.org/2.0),
`web_url` (default https://bitbucket.org: the OAuth endpoints and archive downloads),
`git_url` (default `web_url`), `client_id` and `client_secret` (the OAuth consumer's
key and secret), `scopes` (Bitbucket takes them from the consumer, so none are sent
unless configured), `timeout`, `max_rate_limit_wait`.

- OAuth 2.0 authorization code with refresh tokens; the token endpoint
  authenticates the consumer with HTTP Basic key:secret
  (https://developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication).
  Bitbucket Cloud does not accept PKCE (an open suggestion,
  https://jira.atlassian.com/browse/BCLOUD-23469), so `supports_pkce` is False.
- Personal credentials: an app password (or API token) is Basic
  `username:secret`, so its `Credential.username` must be set; a workspace or
  repository access token has no username and goes as Bearer, like an OAuth token.
- Owners are workspaces, `GET /user/workspaces`: the replacement Bitbucket names for
  `/workspaces` and `/user/permissions/workspaces`, retired by CHANGE-2770
  (https://developer.atlassian.com/cloud/bitbucket/changelog/). An InstallationId
  and OwnerId are the workspace's UUID (stable across renames), the owner name its slug.
- Pagination: the `next` URL in each paged body. Rate limits: 429, with
  `Retry-After` when given, else a bounded backoff
  (https://support.atlassian.com/bitbucket-cloud/docs/api-request-limits/).
- Errors: `{"type": "error", "error": {"message": ..., "detail": ...}}`.
- Git over HTTPS: an OAuth or access token authenticates as `x-token-auth:<token>`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from codeconn.clock import Clock, utc_now
from codeconn.providers.base import (
    Branch,
    Credential,
    CredentialKind,
    GitRemote,
    InstallationTarget,
    Owner,
    OwnerType,
    Provider,
    ProviderRefused,
    ProviderSettings,
    ProviderUser,
    Repository,
)
from codeconn.providers.authorization import Auth, require_token
from codeconn.providers.http import ProviderHttp, Sleep, oauth_error
from codeconn.providers.names import check_branch, check_commit, check_owner, check_repository
from codeconn.providers.oauth import OAuthHandshake
from codeconn.providers.pages import next_in_body, segment
from codeconn.store import Secret

API_URL = "https://api.bitbucket.org/2.0"
WEB_URL = "https://bitbucket.org"
PAGELEN = "100"  # Bitbucket's largest page for these listings


def describe(body: Any) -> str | None:
    """Bitbucket's message in an error body (`error.message` and `error.detail`), or an OAuth error."""
    if not isinstance(body, Mapping):
        return None
    error = body.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        detail = error.get("detail")
        return f"{error['message']}: {detail}" if isinstance(detail, str) and detail else str(error["message"])
    return oauth_error(body)


def values(body: Any) -> list[Any]:
    """The items of a Bitbucket page (`values`); the next page is the body's `next` URL (`http.next_in_body`)."""
    return list(body.get("values") or []) if isinstance(body, Mapping) else []


class BitbucketProvider(OAuthHandshake):
    """Bitbucket Cloud 2.0 as a `Provider` (see the module docstring for the mapping)."""

    supports_pkce = False
    authorize_path = "/site/oauth2/authorize"
    token_path = "/site/oauth2/access_token"

    def __init__(self, settings: ProviderSettings, http: ProviderHttp, now: Clock) -> None:
        super().__init__(settings, http, now, web_url=settings.web_url or WEB_URL)
        self.api_url = (settings.api_url or API_URL).rstrip("/")
        self.git_url = (settings.git_url or self.web_url).rstrip("/")

    def installation_url(self) -> str:
        """Bitbucket has no app installations: the page where a user reviews authorized apps."""
        return f"{self.web_url}/account/settings/app-authorizations/"

    def _token_fields(self) -> Mapping[str, str | Secret | None]:
        return {}  # the consumer authenticates with Basic instead

    def _token_auth(self) -> Auth:
        if not self.client_id or self.client_secret is None:
            raise ProviderRefused(f"{self.provider_type}: no OAuth consumer key and secret are configured")
        return Auth.basic(self.client_id, self.client_secret)

    def current_user(self, credential: Credential) -> ProviderUser:
        """`GET /user`: the account's UUID and username."""
        user = self.http.get_json(f"{self.api_url}/user", auth=self._auth(credential))
        return ProviderUser(id=str(user["uuid"]), login=str(user.get("username") or user.get("nickname")))

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """Every workspace the user can access (`GET /user/workspaces`, every page)."""
        entries = self.http.paginate(f"{self.api_url}/user/workspaces", auth=self._auth(credential),
                                  params={"pagelen": PAGELEN}, items=values, next_page=next_in_body)
        workspaces = [entry.get("workspace", entry) for entry in entries]
        return [InstallationTarget(str(w["uuid"]), str(w["uuid"]), OwnerType.WORKSPACE, str(w["slug"]))
                for w in workspaces]

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """The workspace the installation id (its UUID) names: `GET /workspaces/{workspace}`."""
        workspace = self.http.get_json(f"{self.api_url}/workspaces/{segment(installation_id)}",
                                   auth=self._auth(credential))
        return [Owner(id=str(workspace["uuid"]), name=str(workspace["slug"]), type=OwnerType.WORKSPACE)]

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """`GET /repositories/{workspace}`, every page."""
        repositories = self.http.paginate(f"{self.api_url}/repositories/{check_owner(owner)}", auth=self._auth(credential),
                                       params={"pagelen": PAGELEN}, items=values, next_page=next_in_body)
        return [Repository(owner=owner, name=str(r["slug"]),
                           default_branch=(r.get("mainbranch") or {}).get("name"), private=bool(r.get("is_private")))
                for r in repositories]

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """`GET /repositories/{workspace}/{repo}/refs/branches`, every page."""
        branches = self.http.paginate(f"{self._repository(owner, repository)}/refs/branches",
                                   auth=self._auth(credential), params={"pagelen": PAGELEN}, items=values, next_page=next_in_body)
        return [Branch(name=str(b["name"]), commit=str(b["target"]["hash"])) for b in branches]

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """`GET /repositories/{workspace}/{repo}/refs/branches/{name}`: its `target.hash`."""
        branch_path = f"{self._repository(owner, repository)}/refs/branches/{segment(check_branch(branch))}"
        body = self.http.get_json(branch_path, auth=self._auth(credential))
        return Branch(name=str(body["name"]), commit=str(body["target"]["hash"]))

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """`{web_url}/{workspace}/{repo}/get/{commit}.zip` (served from the site, not the API), authenticated."""
        url = f"{self.web_url}/{check_owner(owner)}/{check_repository(repository)}/get/{check_commit(commit)}.zip"
        return self.http.download(url, destination, auth=self._auth(credential))

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """`{git_url}/{workspace}/{repo}.git`: Basic `x-token-auth:<token>`, or `username:<app password>`."""
        token = require_token(credential, self.provider_type)
        auth = Auth.basic(self._username(credential) or "x-token-auth", token)
        return GitRemote(url=f"{self.git_url}/{check_owner(owner)}/{check_repository(repository)}.git",
                         headers=((auth.header, auth.value),))

    # -- plumbing ---------------------------------------------------------------------------------
    @staticmethod
    def _username(credential: Credential) -> str | None:
        """The username an app password pairs with; OAuth and access tokens have none."""
        return credential.username if credential.kind is CredentialKind.PERSONAL_ACCESS_TOKEN else None

    def _auth(self, credential: Credential) -> Auth:
        token = require_token(credential, self.provider_type)
        username = self._username(credential)
        return Auth.basic(username, token) if username else Auth.bearer(token)

    def _repository(self, owner: str, repository: str) -> str:
        return f"{self.api_url}/repositories/{check_owner(owner)}/{check_repository(repository)}"


def from_settings(settings: ProviderSettings, *, sleep: Sleep = time.sleep, now: Clock = utc_now,
                  transport: httpx.BaseTransport | None = None) -> Provider:
    """The Bitbucket Cloud adapter of `settings` (remote mode); `sleep`, `now` and `transport` are for tests."""
    http = ProviderHttp.for_rest(settings, describe, sleep=sleep, now=now, transport=transport)
    return BitbucketProvider(settings, http, now)


__all__ = ["BitbucketProvider", "describe", "from_settings", "values"]
