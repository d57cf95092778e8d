"""GitHub in remote mode: github.com, GitHub Enterprise Server and GitHub Enterprise Cloud with data residency.

One adapter for the three provider types, parameterised by `ProviderSettings`
(the types differ only in where the API and the web pages live, `URLS`). It
speaks GitHub REST v3 through `ProviderHttp` (GitHub's rate-limit headers are
that module's defaults) and serves three kinds of credential:

- OAuth app or GitHub App user tokens from the web application flow, with PKCE
  S256 (https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps;
  PKCE since https://github.blog/changelog/2025-07-14-pkce-support-for-oauth-and-github-app-authentication).
  GitHub App user tokens that expire come with `refresh_token` and `expires_in`
  and are renewed with grant_type=refresh_token
  (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens).
- Personal access tokens, checked with `GET /user`.
- With an app configured (`settings.app_slug`), the owners are the app's
  installations the user can reach (`GET /user/installations`,
  https://docs.github.com/rest/apps/installations#list-app-installations-accessible-to-the-user-access-token)
  and InstallationId is the installation's id; without one (OAuth app, PAT), the
  owners are the user and their organizations (`GET /user`, `GET /user/orgs`),
  and InstallationId is the owner's id.

Every name reaches a URL only after `codeconn.providers.names` accepted it.
Archives are GitHub's zipball (a 302 to codeload, followed), rewritten so the tree
sits at the root as `git archive` has it (`archives.strip_top_folder`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from codeconn.clock import Clock, utc_now
from codeconn.providers.archives import strip_top_folder
from codeconn.providers.base import (
    Branch,
    Credential,
    GitRemote,
    InstallationTarget,
    Owner,
    OwnerType,
    Provider,
    ProviderNotFound,
    ProviderSettings,
    ProviderUser,
    Repository,
)
from codeconn.providers.authorization import Auth, basic_authorization, require_token
from codeconn.providers.http import ProviderHttp, Retries, Sleep
from codeconn.providers.names import check_branch, check_commit, check_owner, check_repository
from codeconn.providers.oauth import OAuthHandshake

API_VERSION = "2022-11-28"  # https://docs.github.com/rest/about-the-rest-api/api-versions
PER_PAGE = "100"  # the largest page GitHub serves (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api)
DEFAULT_SCOPES = ("repo", "read:org")  # OAuth apps: private repositories, and the user's organizations
GIT_USERNAME = "x-access-token"  # the user name GitHub documents for a token in HTTPS git
RETRIES = Retries(max_attempts=4, transient_statuses=frozenset())  # rate limits only: a 5xx is reported at once
OWNER_TYPES = {"User": OwnerType.USER, "Organization": OwnerType.ORGANIZATION}


@dataclass(frozen=True, slots=True)
class _Urls:
    """Where one provider type keeps its API and its pages, and how each is derived from the other."""

    api_default: str | None
    web_default: str | None
    api_from_web: Callable[[str], str]
    web_from_api: Callable[[str], str]


def _ghe_api(web: str) -> str:
    scheme, _, host = web.partition("://")
    return f"{scheme}://api.{host}"


def _ghe_web(api: str) -> str:
    scheme, _, host = api.partition("://")
    return f"{scheme}://{host.removeprefix('api.')}"


URLS: dict[str, _Urls] = {
    # github.com: fixed, but still configurable so that a test server can stand in.
    "GitHub": _Urls("https://api.github.com", "https://github.com", _ghe_api, _ghe_web),
    # GHES: https://HOST/api/v3 (https://docs.github.com/enterprise-server@latest/rest/quickstart).
    "GitHubEnterpriseServer": _Urls(None, None, lambda web: f"{web}/api/v3",
                                    lambda api: api.removesuffix("/api/v3")),
    # GHE.com with data residency: https://SUBDOMAIN.ghe.com and https://api.SUBDOMAIN.ghe.com.
    "GitHubEnterpriseCloudDataResidency": _Urls(None, None, _ghe_api, _ghe_web),
}


def resolve_urls(settings: ProviderSettings) -> tuple[str, str]:
    """(api_url, web_url) for the settings: each given one kept, the other derived; ValueError if neither can be."""
    urls = URLS.get(settings.provider_type)
    if urls is None:
        raise ValueError(f"{settings.provider_type} is not a GitHub provider type ({', '.join(URLS)})")
    api = settings.api_url.rstrip("/") if settings.api_url else None
    web = settings.web_url.rstrip("/") if settings.web_url else None
    api = api or (urls.api_from_web(web) if web else urls.api_default)
    web = web or (urls.web_from_api(api) if api else urls.web_default)
    if api is None or web is None:
        raise ValueError(f"{settings.provider_type}: remote mode needs api_url or web_url")
    return api, web


class GitHubProvider(OAuthHandshake):
    """GitHub REST v3 for one provider type; one HTTP client per adapter (close() releases it)."""

    supports_pkce = True
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"

    def __init__(self, settings: ProviderSettings, *, sleep: Sleep = time.sleep, now: Clock = utc_now,
                 transport: httpx.BaseTransport | None = None) -> None:
        api_url, web_url = resolve_urls(settings)
        http = ProviderHttp(
            settings.provider_type, f"{api_url}/", timeout=settings.timeout,
            max_rate_limit_wait=settings.max_rate_limit_wait, retries=RETRIES, sleep=sleep, now=now,
            transport=transport, headers={"Accept": "application/vnd.github+json",
                                          "X-GitHub-Api-Version": API_VERSION, "User-Agent": "codeconn"})
        super().__init__(settings, http, now, web_url=web_url, default_scopes=DEFAULT_SCOPES)
        self.settings = settings
        self.api_url = api_url
        self.git_url = (settings.git_url or self.web_url).rstrip("/")
        self.has_installations = settings.app_slug is not None
        if self.has_installations:
            self.scopes = ()  # a GitHub App takes its permissions from the app, not from scopes

    # -- helpers ----------------------------------------------------------------------------
    def _auth(self, credential: Credential) -> Auth:
        return Auth.bearer(require_token(credential, self.provider_type))

    def _get(self, credential: Credential, path: str, **params: str) -> Any:
        return self.http.get_json(path, auth=self._auth(credential), params=params or None)

    def _pages(self, credential: Credential, path: str, *, key: str | None = None, **params: str) -> list[Any]:
        """Every item of a paginated list; `key` names the array when GitHub wraps it (`installations`)."""
        def items(body: Any) -> list[Any]:
            found = body.get(key, []) if key and isinstance(body, dict) else body
            return found if isinstance(found, list) else []
        return self.http.paginate(path, auth=self._auth(credential), params={"per_page": PER_PAGE, **params},
                                  items=items)

    # -- the handshake (authorization_url, exchange_code and refresh are OAuthHandshake's) ---------
    def installation_url(self) -> str:
        """The app's install page (GitHub App), else the OAuth app's page where a user grants organizations."""
        if self.settings.app_slug:
            return f"{self.web_url}/apps/{quote(self.settings.app_slug, safe='')}/installations/new"
        return f"{self.web_url}/settings/connections/applications/{quote(self._client_id(), safe='')}"

    def current_user(self, credential: Credential) -> ProviderUser:
        """`GET /user`: who the token belongs to (and whether it works at all)."""
        body = self._get(credential, "user")
        return ProviderUser(id=str(body["id"]), login=str(body["login"]))

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """The app's installations the user reaches (with an app), else the user and their organizations."""
        if self.has_installations:
            return [_target(str(item["id"]), item.get("account") or {})
                    for item in self._pages(credential, "user/installations", key="installations")]
        user = self._get(credential, "user")
        orgs = self._pages(credential, "user/orgs")
        return [_target(str(user["id"]), {**user, "type": "User"})] + [
            _target(str(org["id"]), {**org, "type": "Organization"}) for org in orgs]

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """ListOwners: the account of the installation (or the owner whose id is the installation id)."""
        for target in self.installation_targets(credential):
            if target.installation_id == installation_id:
                return [Owner(id=target.owner_id, name=target.target_name, type=target.owner_type)]
        raise ProviderNotFound(f"installation {installation_id!r} not found")

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """ListRepositories: an organization's (`/orgs/{o}/repos`), the user's own (`/user/repos`), or another's."""
        account = self._get(credential, f"users/{quote(check_owner(owner), safe='')}")
        if account.get("type") == "Organization":
            items = self._pages(credential, f"orgs/{quote(owner, safe='')}/repos", type="all")
        elif str(account.get("login", "")).lower() == self.current_user(credential).login.lower():
            items = [r for r in self._pages(credential, "user/repos", affiliation="owner")
                     if str(r.get("owner", {}).get("login", "")).lower() == owner.lower()]
        else:
            items = self._pages(credential, f"users/{quote(owner, safe='')}/repos")
        return [Repository(owner=str(r["owner"]["login"]), name=str(r["name"]), default_branch=r.get("default_branch"),
                           private=bool(r.get("private", False))) for r in items]

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """ListBranches: `GET /repos/{o}/{r}/branches`, every page."""
        items = self._pages(credential, f"{_repo_path(owner, repository)}/branches")
        return [Branch(name=str(b["name"]), commit=str(b["commit"]["sha"])) for b in items]

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """GetBranch: `GET /repos/{o}/{r}/branches/{branch}`."""
        body = self._get(credential, f"{_repo_path(owner, repository)}/branches/{quote(check_branch(branch))}")
        return Branch(name=str(body["name"]), commit=str(body["commit"]["sha"]))

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """`GET /repos/{o}/{r}/zipball/{commit}` (a 302 to codeload, followed), the tree moved to the zip's root."""
        destination = Path(destination)
        raw = destination.with_name(f".{destination.name}.zipball")
        try:
            self.http.download(f"{_repo_path(owner, repository)}/zipball/{check_commit(commit)}", raw,
                               auth=self._auth(credential))
            return strip_top_folder(raw, destination)
        finally:
            raw.unlink(missing_ok=True)

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """`{git_url}/{o}/{r}.git` with `Authorization: Basic x-access-token:<token>` (GitHub's HTTPS git auth)."""
        token = require_token(credential, self.provider_type)
        return GitRemote(url=f"{self.git_url}/{check_owner(owner)}/{check_repository(repository)}.git",
                         headers=(("Authorization", basic_authorization(GIT_USERNAME, token)),))


def _repo_path(owner: str, repository: str) -> str:
    return f"repos/{quote(check_owner(owner), safe='')}/{quote(check_repository(repository), safe='')}"


def _target(installation_id: str, account: dict[str, Any]) -> InstallationTarget:
    return InstallationTarget(installation_id=installation_id, owner_id=str(account.get("id", "")),
                              owner_type=OWNER_TYPES.get(str(account.get("type")), OwnerType.USER),
                              target_name=str(account.get("login", "")))


def from_settings(settings: ProviderSettings, *, sleep: Sleep = time.sleep, now: Clock = utc_now) -> Provider:
    """The GitHub adapter for `settings` (GitHub, GitHubEnterpriseServer or GitHubEnterpriseCloudDataResidency)."""
    return GitHubProvider(settings, sleep=sleep, now=now)


__all__ = ["API_VERSION", "DEFAULT_SCOPES", "URLS", "GitHubProvider", "from_settings", "resolve_urls"]
