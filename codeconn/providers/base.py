"""What every code host answers, in the seed's ProviderAction words, and how it fails.

A connection reaches a code host (GitHub, GitLab, Bitbucket, Azure DevOps, their
self-managed editions, or bare repositories on disk) only through a `Provider`.
The service layer decides UseConnection with the ProviderAction of each call
before it calls the provider; a provider never decides anything itself and never
imports the service. One adapter per provider type, chosen in the composition
root from the provider configuration (`remote` or `local` mode).

Credentials travel as `Credential` values whose secrets are `Secret`s, revealed
only at the moment a request is sent; an adapter never logs, prints or returns
them (its errors carry the provider's status and message, never a token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from codeconn.store import Secret


class ProviderAction(StrEnum):
    """The abstract actions of the seed ("Supported Values for ProviderAction")."""

    LIST_OWNERS = "ListOwners"
    LIST_REPOSITORIES = "ListRepositories"
    LIST_BRANCHES = "ListBranches"
    GET_BRANCH = "GetBranch"
    START_UPLOAD_ARCHIVE_TO_S3 = "StartUploadArchiveToS3"
    GET_UPLOAD_ARCHIVE_TO_S3_STATUS = "GetUploadArchiveToS3Status"
    GIT_PULL = "GitPull"
    GIT_PUSH = "GitPush"

    @property
    def permissions_required(self) -> str:
        """codestar-connections:ProviderPermissionsRequired for this action (design.md)."""
        return "read_write" if self is ProviderAction.GIT_PUSH else "read_only"


class CredentialKind(StrEnum):
    OAUTH = "oauth"  # an OAuth 2.0 user access token (maybe with a refresh token)
    PERSONAL_ACCESS_TOKEN = "pat"  # a token the user made on the provider (GitHub PAT, GitLab PAT, app password)
    LOCAL = "local"  # local mode: no secret at all


@dataclass(frozen=True, slots=True)
class Credential:
    """What a connection holds to act on the provider; encrypted at rest by the service."""

    kind: CredentialKind
    token: Secret | None = None
    refresh_token: Secret | None = None
    expires_at: datetime | None = None  # when `token` stops working, if the provider says
    username: str | None = None  # for providers whose basic auth needs one (Bitbucket app passwords)


@dataclass(frozen=True, slots=True)
class ProviderUser:
    """The account a credential belongs to (the provider's "current user")."""

    id: str
    login: str


class OwnerType(StrEnum):
    USER = "User"
    ORGANIZATION = "Organization"  # GitHub organizations, Azure DevOps organizations
    GROUP = "Group"  # GitLab groups
    WORKSPACE = "Workspace"  # Bitbucket workspaces
    PROJECT = "Project"


@dataclass(frozen=True, slots=True)
class InstallationTarget:
    """An owner a credential can bind a connection to (GitHub App installation, GitLab group, ...).

    `installation_id` is what UpdateConnectionInstallation receives (and what the
    codestar-connections:InstallationId key holds); for providers without app
    installations it is the owner's own id.
    """

    installation_id: str
    owner_id: str
    owner_type: OwnerType
    target_name: str


@dataclass(frozen=True, slots=True)
class Owner:
    id: str
    name: str  # the owner part of FullRepositoryId
    type: OwnerType


@dataclass(frozen=True, slots=True)
class Repository:
    owner: str
    name: str
    default_branch: str | None
    private: bool

    @property
    def full_id(self) -> str:
        """codestar-connections:FullRepositoryId: `owner/name`."""
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class Branch:
    name: str
    commit: str  # the full commit id at the branch's tip


@dataclass(frozen=True, slots=True)
class GitRemote:
    """Where git reaches a repository: a local bare repository, or a URL with the header that authenticates.

    `headers` are sent by codeconn when it forwards a git request; they hold the
    provider credential and never reach codeconn's own client.
    """

    url: str  # file path of a bare repository (local mode) or the provider's https clone URL
    headers: tuple[tuple[str, Secret], ...] = ()

    @property
    def local_path(self) -> Path | None:
        return None if "://" in self.url else Path(self.url)


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """One provider type's configuration, as `codeconn serve --providers FILE` gives it.

    Remote mode: `api_url` is the REST API's base, `web_url` the site whose pages a
    person opens (OAuth authorization, app installation), `git_url` the base of
    clone URLs when it is not `web_url`. A self-managed host or a test server stands
    in by giving its own URLs. Local mode: `repositories_root` holds
    `<owner>/<name>.git` bare repositories.
    """

    provider_type: str
    mode: str = "local"  # "local" or "remote"
    repositories_root: Path | None = None
    api_url: str | None = None
    web_url: str | None = None
    git_url: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    scopes: tuple[str, ...] = ()
    app_slug: str | None = None  # GitHub App: installations/new page, and app-level calls
    app_id: str | None = None
    app_private_key: Secret | None = None  # GitHub App: PEM, to sign the app's JWT
    max_rate_limit_wait: float = 60.0  # seconds a call may wait for a rate limit's documented reset
    timeout: float = 30.0  # seconds for one HTTP request


# -- errors ----------------------------------------------------------------------------------

class ProviderError(Exception):
    """Base of what a provider raises; the message is safe to show (no secrets).

        ProviderError
        ├── ProviderNotFound        the owner, repository, branch or commit does not exist (or is hidden)
        ├── ProviderAuthFailed      the credential is revoked, expired without refresh, or wrong
        ├── ProviderRateLimited     the provider's rate limit held past the bounded wait (reset_at)
        ├── ProviderRefused         the provider refused the call (403 for lack of scope, 422, ...)
        └── ProviderUnavailable     the provider could not be reached or answered 5xx
    """


class ProviderNotFound(ProviderError):
    pass


class ProviderAuthFailed(ProviderError):
    """The connection's credential no longer works: the service puts the connection in ERROR."""


class ProviderRateLimited(ProviderError):
    def __init__(self, message: str, reset_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reset_at = reset_at


class ProviderRefused(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


# -- the protocol ----------------------------------------------------------------------------

@runtime_checkable
class Provider(Protocol):
    """One provider type in one mode. Methods that act on repositories are named for their ProviderAction.

    Methods that take a `credential` may raise ProviderAuthFailed; one that refreshed an
    expiring OAuth token returns nothing new: the service calls `refresh` itself when
    `credential.expires_at` has passed, and stores what it returns.
    """

    provider_type: str
    supports_pkce: bool  # the OAuth authorization endpoint takes code_challenge (S256)
    has_installations: bool  # GitHub Apps: owners are reached through app installations

    # -- the handshake ------------------------------------------------------------------------
    def authorization_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """The provider's OAuth 2.0 authorization URL (client_id, redirect_uri, scope, state, PKCE)."""
        ...

    def installation_url(self) -> str:
        """Where a person installs the app (GitHub App) or grants access (other providers)."""
        ...

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> Credential:
        """The authorization code for a credential (the provider's token endpoint)."""
        ...

    def refresh(self, credential: Credential) -> Credential:
        """A fresh credential from the refresh token; ProviderAuthFailed when there is none or it is refused."""
        ...

    def current_user(self, credential: Credential) -> ProviderUser:
        """Who the credential belongs to: checks a personal access token before it is stored."""
        ...

    def installation_targets(self, credential: Credential) -> Sequence[InstallationTarget]:
        """The owners the credential may bind a connection to (every page)."""
        ...

    # -- ProviderAction ---------------------------------------------------------------------
    def list_owners(self, credential: Credential, installation_id: str) -> Sequence[Owner]:
        """ListOwners: the owners reachable through the connection's installation."""
        ...

    def list_repositories(self, credential: Credential, owner: str) -> Sequence[Repository]:
        """ListRepositories: every repository of `owner` the credential can see (every page)."""
        ...

    def list_branches(self, credential: Credential, owner: str, repository: str) -> Sequence[Branch]:
        """ListBranches (every page)."""
        ...

    def get_branch(self, credential: Credential, owner: str, repository: str, branch: str) -> Branch:
        """GetBranch: the branch's latest commit."""
        ...

    def archive(self, credential: Credential, owner: str, repository: str, commit: str,
                destination: Path) -> Path:
        """StartUploadArchiveToS3's read: the tree of `commit` as a zip at `destination` (written atomically)."""
        ...

    def git_remote(self, credential: Credential, owner: str, repository: str) -> GitRemote:
        """GitPull / GitPush: where git reaches the repository, and the headers that authenticate."""
        ...


__all__ = [
    "Branch",
    "Credential",
    "CredentialKind",
    "GitRemote",
    "InstallationTarget",
    "Owner",
    "OwnerType",
    "Provider",
    "ProviderAction",
    "ProviderAuthFailed",
    "ProviderError",
    "ProviderNotFound",
    "ProviderRateLimited",
    "ProviderRefused",
    "ProviderSettings",
    "ProviderUnavailable",
    "ProviderUser",
    "Repository",
]
