"""GitLab (gitlab.com) and GitLab self-managed through REST API v4, in remote mode.

One adapter serves both provider types: a self-managed host differs only in its
URLs. Settings read: `provider_type`, `web_url` (default https://gitlab.com; the
OAuth endpoints and clone URLs hang off it), `api_url` (default `{web_url}/api/v4`),
`git_url` (default `web_url`), `client_id`, `client_secret`, `scopes` (default
`read_user read_api read_repository write_repository`: GitPush needs the last),
`timeout`, `max_rate_limit_wait`.

- OAuth 2.0 authorization code with PKCE (S256), refresh tokens (GitLab access
  tokens live two hours): https://docs.gitlab.com/api/oauth2/
- Personal access tokens and OAuth tokens both go in `Authorization: Bearer`, which
  GitLab accepts for either (https://docs.gitlab.com/api/rest/authentication/);
  `PRIVATE-TOKEN` would work too, but httpx drops only `Authorization` when a
  redirect leaves GitLab's origin.
- Owners are the user and the groups the user reaches with at least Reporter
  access (Reporter can read code). Users and groups share one path namespace on a
  GitLab instance but not one id space, so an InstallationId says which it is:
  `user:<id>` or `group:<id>`; OwnerId is the numeric id, the owner name the path.
- A project `group/sub/project` is owner `group/sub`, name `project`; API calls name
  it by its URL-encoded path (`group%2Fsub%2Fproject`).
- Pagination: the `Link rel="next"` header, else `X-Next-Page`
  (https://docs.gitlab.com/api/rest/#pagination). Rate limits: 429 with
  `Retry-After` / `RateLimit-Reset` (https://docs.gitlab.com/security/rate_limits/).
- Errors: `{"message": ...}` or `{"error": ..., "error_description": ...}`.
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
from codeconn.providers.authorization import Auth, require_token
from codeconn.providers.http import ProviderHttp, Sleep, oauth_error
from codeconn.providers.names import check_branch, check_commit, check_namespace, check_repository
from codeconn.providers.oauth import OAuthHandshake
from codeconn.providers.pages import first_of, next_link, next_page_header, segment

GITLAB_COM = "https://gitlab.com"
DEFAULT_SCOPES = ("read_user", "read_api", "read_repository", "write_repository")
REPORTER = "20"  # GitLab access levels: 10 guest, 20 reporter (reads code), 30 developer, 40 maintainer, 50 owner
PER_PAGE = "100"  # GitLab's largest page
OWNER_KINDS: Mapping[str, tuple[str, OwnerType]] = {"user": ("users", OwnerType.USER),
                                                    "group": ("groups", OwnerType.GROUP)}


def describe(body: Any) -> str | None:
    """GitLab's message in an error body: `message` (a string, or a map of field errors) or an OAuth error."""
    if not isinstance(body, Mapping):
        return None
    message = body.get("message")
    if message is not None:
        return message if isinstance(message, str) else str(message)
    return oauth_error(body)


next_page = first_of(next_link, next_page_header)  # the Link header when given, else X-Next-Page


class GitLabProvider(OAuthHandshake):
    """GitLab REST v4 as a `Provider` (see the module docstring for the mapping)."""

    supports_pkce = True  # "authorization code with PKCE", https://docs.gitlab.com/api/oauth2/

    def __init__(self, settings: ProviderSettings, http: ProviderHttp, now: Clock) -> None:
        super().__init__(settings, http, now, web_url=settings.web_url or GITLAB_COM, default_scopes=DEFAULT_SCOPES)
        self.api_url = (settings.api_url or f"{self.web_url}/api/v4").rstrip("/")
        self.git_url = (settings.git_url or self.web_url).rstrip("/")

    def installation_url(self) -> str:
        """GitLab has no app installations: the page where a user sees and revokes authorized applications."""
        return f"{self.web_url}/-/user_settings/applications"

    def current_user(self, credential: Credential) -> ProviderUser:
        """`GET /user`."""
        user = self.http.get_json(f"{self.api_url}/user", auth=self._auth(credential))
        return ProviderUser(id=str(user["id"]), login=str(user["username"]))

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """The user, then every group the user reaches as Reporter or above (`GET /groups`, every page)."""
        user = self.current_user(credential)
        groups = self.http.paginate(f"{self.api_url}/groups", auth=self._auth(credential), next_page=next_page,
                                 params={"min_access_level": REPORTER, "per_page": PER_PAGE})
        return [InstallationTarget(f"user:{user.id}", user.id, OwnerType.USER, user.login)] + [
            InstallationTarget(f"group:{g['id']}", str(g["id"]), OwnerType.GROUP, str(g["full_path"]))
            for g in groups]

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """The one user or group the installation id names (`GET /users/:id` or `GET /groups/:id`)."""
        kind, _, owner_id = installation_id.partition(":")
        if kind not in OWNER_KINDS or not owner_id.isdigit():
            raise ProviderNotFound(f"{self.provider_type}: no installation {installation_id!r}")
        collection, owner_type = OWNER_KINDS[kind]
        body = self.http.get_json(f"{self.api_url}/{collection}/{owner_id}", auth=self._auth(credential))
        name = body.get("full_path") if owner_type is OwnerType.GROUP else body.get("username")
        return [Owner(id=str(body["id"]), name=str(name), type=owner_type)]

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """A group's projects (`GET /groups/:id/projects`), else a user's (`GET /users/:id/projects`)."""
        params = {"per_page": PER_PAGE, "archived": "false"}
        try:
            projects = self.http.paginate(f"{self.api_url}/groups/{segment(check_namespace(owner))}/projects",
                                       auth=self._auth(credential), params=params, next_page=next_page)
        except ProviderNotFound:
            projects = self.http.paginate(f"{self.api_url}/users/{segment(owner)}/projects",
                                       auth=self._auth(credential), params=params, next_page=next_page)
        return [_repository(project) for project in projects]

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """`GET /projects/:id/repository/branches`, every page."""
        branches = self.http.paginate(f"{self._project(owner, repository)}/repository/branches",
                                   auth=self._auth(credential), params={"per_page": PER_PAGE}, next_page=next_page)
        return [Branch(name=str(b["name"]), commit=str(b["commit"]["id"])) for b in branches]

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """`GET /projects/:id/repository/branches/:branch`."""
        body = self.http.get_json(f"{self._project(owner, repository)}/repository/branches/{segment(check_branch(branch))}",
                              auth=self._auth(credential))
        return Branch(name=str(body["name"]), commit=str(body["commit"]["id"]))

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """`GET /projects/:id/repository/archive.zip?sha=<commit>`, written atomically."""
        return self.http.download(f"{self._project(owner, repository)}/repository/archive.zip", destination,
                                  auth=self._auth(credential), params={"sha": check_commit(commit)})

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """`{git_url}/{owner}/{name}.git` with Basic `oauth2:<token>` (GitLab takes any username with a PAT)."""
        auth = Auth.basic("oauth2", require_token(credential, self.provider_type))
        return GitRemote(url=f"{self.git_url}/{check_namespace(owner)}/{check_repository(repository)}.git",
                         headers=((auth.header, auth.value),))

    # -- plumbing ---------------------------------------------------------------------------------
    def _auth(self, credential: Credential) -> Auth:
        return Auth.bearer(require_token(credential, self.provider_type))

    def _project(self, owner: str, repository: str) -> str:
        segment(repository)  # refuses a dot segment before it joins the path (ProviderNotFound, as GitLab would)
        check_namespace(owner), check_repository(repository)
        return f"{self.api_url}/projects/{segment(f'{owner}/{repository}')}"


def _repository(project: Mapping[str, Any]) -> Repository:
    owner, _, name = str(project["path_with_namespace"]).rpartition("/")
    return Repository(owner=owner, name=name, default_branch=project.get("default_branch"),
                      private=project.get("visibility") != "public")


def from_settings(settings: ProviderSettings, *, sleep: Sleep = time.sleep, now: Clock = utc_now,
                  transport: httpx.BaseTransport | None = None) -> Provider:
    """The GitLab adapter of `settings` (remote mode); `sleep`, `now` and `transport` are for tests."""
    http = ProviderHttp.for_rest(settings, describe, sleep=sleep, now=now, transport=transport)
    return GitLabProvider(settings, http, now)


__all__ = ["GitLabProvider", "describe", "from_settings", "next_page"]
