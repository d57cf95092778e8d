"""Azure DevOps Services through its REST API (api-version 7.1), in remote mode.

Settings read: `provider_type`, `api_url` (default https://dev.azure.com: the
organizations' REST APIs), `web_url` (default
https://login.microsoftonline.com/organizations/oauth2/v2.0: Microsoft Entra ID's
`/authorize` and `/token`), `git_url` (default `api_url`), `client_id`,
`client_secret` (absent for a public client), `scopes` (default the Azure DevOps
resource's `.default` and `offline_access`, which brings a refresh token), `timeout`,
`max_rate_limit_wait`. The profile and accounts APIs live on another host,
https://app.vssps.visualstudio.com, for the hosted service; for any other `api_url`
(a test server) they are expected on `api_url` itself, unless `from_settings` is
given `vssps_url`.

Repository mapping. A repository lives in organization / project / repository, and
FullRepositoryId has two parts. The owner is the organization: it is what
ListInstallationTargets offers and what OwnerId names, so `list_repositories(owner)`
answers every repository of the organization. The repository name is
`<project>/<repository>`. Neither an organization, a project nor a repository name
may contain `/`, so the name splits back unambiguously at its one slash; the git
remote is `{git_url}/{org}/{project}/_git/{repository}`.

- OAuth 2.0 authorization code with PKCE through Entra ID, refresh tokens with
  `offline_access` (https://learn.microsoft.com/en-us/azure/devops/integrate/get-started/authentication/entra-oauth).
- Personal access tokens: Basic with an empty user name and the PAT as password
  (https://learn.microsoft.com/en-us/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate);
  an invalid PAT may be answered `203 Non-Authoritative Information` with a
  sign-in page instead of 401, so 203 is an authentication failure here.
- Pagination: the `x-ms-continuationtoken` header, sent back as `continuationToken`.
- Rate limits: 429 with `Retry-After` (and `X-RateLimit-Reset`)
  (https://learn.microsoft.com/en-us/azure/devops/integrate/concepts/rate-limits).
- Errors: `{"message": ..., "typeKey": ...}`; Entra's token errors are RFC 6749 bodies.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderSettings,
    ProviderUser,
    Repository,
)
from codeconn.providers.authorization import Auth, require_token
from codeconn.providers.http import STATUS_ERRORS, ProviderHttp, Sleep, oauth_error
from codeconn.providers.names import check_branch, check_commit, check_owner, check_project, check_repository
from codeconn.providers.oauth import OAuthHandshake
from codeconn.providers.pages import continuation_token, segment
from codeconn.store import Secret

API_URL = "https://dev.azure.com"
ENTRA_URL = "https://login.microsoftonline.com/organizations/oauth2/v2.0"
VSSPS_OF_API: Mapping[str, str] = {API_URL: "https://app.vssps.visualstudio.com"}  # else the api_url itself
AZURE_DEVOPS_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798"  # Entra's application id of Azure DevOps
DEFAULT_SCOPES = (f"{AZURE_DEVOPS_RESOURCE}/.default", "offline_access")
API_VERSION = "7.1"
HEADS = "refs/heads/"
ERRORS: Mapping[int, type[ProviderError]] = {**STATUS_ERRORS, 203: ProviderAuthFailed}  # 203: a sign-in page


def describe(body: Any) -> str | None:
    """Azure DevOps' `message` (e.g. `TF401019: The Git repository ... does not exist`) or Entra's OAuth error."""
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return str(body["message"])
    return oauth_error(body)


def values(body: Any) -> list[Any]:
    """The items of an Azure DevOps page: `value` (or a bare list); the next page is the continuation token header
    (`http.continuation_token`)."""
    return body if isinstance(body, list) else list((body or {}).get("value") or [])


def split_name(repository: str) -> tuple[str, str]:
    """`<project>/<repository>` as its two parts (see the module docstring); anything else does not exist."""
    project, slash, name = repository.partition("/")
    if not slash or not project or not name or "/" in name:
        raise ProviderNotFound(f"no repository {repository!r}: Azure DevOps names are <project>/<repository>")
    return check_project(project), check_repository(name)


class AzureDevOpsProvider(OAuthHandshake):
    """Azure DevOps Services as a `Provider` (see the module docstring for the mapping)."""

    supports_pkce = True  # Entra ID accepts S256 challenges on its v2.0 authorize endpoint
    authorize_path = "/authorize"
    token_path = "/token"

    def __init__(self, settings: ProviderSettings, http: ProviderHttp, now: Clock, vssps_url: str | None) -> None:
        super().__init__(settings, http, now, web_url=settings.web_url or ENTRA_URL, default_scopes=DEFAULT_SCOPES)
        self.api_url = (settings.api_url or API_URL).rstrip("/")
        self.vssps_url = (vssps_url or VSSPS_OF_API.get(self.api_url, self.api_url)).rstrip("/")
        self.git_url = (settings.git_url or self.api_url).rstrip("/")

    def installation_url(self) -> str:
        """Azure DevOps has no app installations: its start page, which lists a person's organizations."""
        return f"{self.api_url}/"

    def _token_fields(self) -> Mapping[str, str | Secret | None]:
        return {**super()._token_fields(), "scope": " ".join(self.scopes)}  # Entra v2 wants the scope again

    def current_user(self, credential: Credential) -> ProviderUser:
        """`GET {vssps}/_apis/profile/profiles/me`: the profile id, and the e-mail address as login."""
        profile = self.http.get_json(f"{self.vssps_url}/_apis/profile/profiles/me", auth=self._auth(credential),
                                 params={"api-version": API_VERSION})
        return ProviderUser(id=str(profile["id"]),
                            login=str(profile.get("emailAddress") or profile.get("displayName") or profile["id"]))

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """The organizations the user belongs to: `GET {vssps}/_apis/accounts?memberId=<profile id>`."""
        user = self.current_user(credential)
        accounts = self.http.paginate(f"{self.vssps_url}/_apis/accounts", auth=self._auth(credential),
                                   params={"memberId": user.id, "api-version": API_VERSION}, items=values, next_page=continuation_token)
        return [InstallationTarget(str(a["accountId"]), str(a["accountId"]), OwnerType.ORGANIZATION,
                                   str(a["accountName"])) for a in accounts]

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """The organization the installation id (its account id) names: `GET {vssps}/_apis/accounts/{id}`."""
        account = self.http.get_json(f"{self.vssps_url}/_apis/accounts/{segment(installation_id)}",
                                 auth=self._auth(credential), params={"api-version": API_VERSION})
        return [Owner(id=str(account["accountId"]), name=str(account["accountName"]), type=OwnerType.ORGANIZATION)]

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """`GET {api}/{org}/_apis/git/repositories`: every enabled repository of every project."""
        repositories = self.http.paginate(f"{self.api_url}/{check_owner(owner)}/_apis/git/repositories",
                                       auth=self._auth(credential), params={"api-version": API_VERSION},
                                       items=values, next_page=continuation_token)
        return [Repository(owner=owner, name=f"{r['project']['name']}/{r['name']}",
                           default_branch=str(r["defaultBranch"]).removeprefix(HEADS) if r.get("defaultBranch")
                           else None,
                           private=r["project"].get("visibility") != "public")
                for r in repositories if not r.get("isDisabled")]  # a disabled repository cannot be read

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """`GET .../repositories/{repo}/refs?filter=heads/`, every page."""
        return self._branches(credential, owner, repository, "heads/")

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """`GET .../refs?filter=heads/<branch>`: a prefix filter, so the exact name is picked from the answer."""
        found = [b for b in self._branches(credential, owner, repository, f"heads/{check_branch(branch)}") if b.name == branch]
        if not found:
            raise ProviderNotFound(f"{self.provider_type}: no branch {branch!r} in {owner}/{repository}")
        return found[0]

    def _branches(self, credential: Credential, owner: str, repository: str, prefix: str) -> list[Branch]:
        refs = self.http.paginate(f"{self._repository(owner, repository)}/refs", auth=self._auth(credential),
                               params={"filter": prefix, "api-version": API_VERSION}, items=values, next_page=continuation_token)
        return [Branch(name=str(r["name"]).removeprefix(HEADS), commit=str(r["objectId"])) for r in refs]

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """`GET .../repositories/{repo}/items?path=/&versionDescriptor...&$format=zip&download=true`."""
        return self.http.download(f"{self._repository(owner, repository)}/items", destination,
                                  auth=self._auth(credential), params={
                                      "path": "/", "versionDescriptor.version": check_commit(commit),
                                      "versionDescriptor.versionType": "commit", "$format": "zip",
                                      "download": "true", "api-version": API_VERSION})

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """`{git_url}/{org}/{project}/_git/{repo}` with the API's own authorization header."""
        project, name = split_name(repository)
        auth = self._auth(credential)
        return GitRemote(url=f"{self.git_url}/{check_owner(owner)}/{quote(project)}/_git/{name}",
                         headers=((auth.header, auth.value),))

    # -- plumbing ---------------------------------------------------------------------------------
    def _auth(self, credential: Credential) -> Auth:
        """A PAT is Basic with an empty user name; an Entra access token is Bearer."""
        token = require_token(credential, self.provider_type)
        return Auth.basic("", token) if credential.kind is CredentialKind.PERSONAL_ACCESS_TOKEN else Auth.bearer(token)

    def _repository(self, owner: str, repository: str) -> str:
        project, name = split_name(repository)
        return f"{self.api_url}/{check_owner(owner)}/{segment(project)}/_apis/git/repositories/{segment(name)}"


def from_settings(settings: ProviderSettings, *, sleep: Sleep = time.sleep, now: Clock = utc_now,
                  transport: httpx.BaseTransport | None = None, vssps_url: str | None = None) -> Provider:
    """The Azure DevOps adapter of `settings` (remote mode); `sleep`, `now` and `transport` are for tests."""
    http = ProviderHttp.for_rest(settings, describe, sleep=sleep, now=now, transport=transport, errors=ERRORS)
    return AzureDevOpsProvider(settings, http, now, vssps_url)


__all__ = ["AzureDevOpsProvider", "describe", "from_settings", "split_name", "values"]
