"""Code hosts behind one protocol (`base.Provider`), one adapter module per provider family.

The modules:

- `base`: the `Provider` protocol in ProviderAction words, its values (`Owner`,
  `Repository`, `Branch`, `Credential`, ...), `ProviderSettings` and the errors.
- `local`: local mode, bare git repositories under a root directory.
- `github`: GitHub, GitHub Enterprise Server and GitHub Enterprise Cloud with data
  residency, remote mode; `gitlab`: GitLab and GitLab self-managed; `bitbucket`:
  Bitbucket Cloud; `azure_devops`: Azure DevOps Services.
- `http`: the HTTP plumbing the remote adapters share (`ProviderHttp`: retries and
  rate-limit waits within a bound, error mapping, pagination, scrubbing, downloads);
  `authorization`: the `Auth` a request carries and the scrubbing of its secrets;
  `pages`: how a listing names its next page (Link, X-Next-Page, a body's `next`,
  a continuation token); `oauth`: PKCE and the `OAuthHandshake` every remote
  adapter extends; `names`:
  the owner, repository, branch and commit allow-lists; `archives`: rewriting a
  provider's zip so the tree sits at its root.

Each adapter module offers `from_settings(settings: ProviderSettings) -> Provider`;
the composition root (the server edge, the CLI) picks one per provider type with
`from_settings` here: `LOCAL_ADAPTER` in local mode, `REMOTE_ADAPTERS` in remote mode.
"""

from collections.abc import Callable, Mapping

from codeconn.providers.base import (
    Branch,
    Credential,
    CredentialKind,
    GitRemote,
    InstallationTarget,
    Owner,
    OwnerType,
    Provider,
    ProviderAction,
    ProviderAuthFailed,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRefused,
    ProviderSettings,
    ProviderUnavailable,
    ProviderUser,
    Repository,
)
from codeconn.providers.azure_devops import from_settings as azure_devops_from_settings
from codeconn.providers.bitbucket import from_settings as bitbucket_from_settings
from codeconn.providers.github import from_settings as github_from_settings
from codeconn.providers.gitlab import from_settings as gitlab_from_settings
from codeconn.providers.local import from_settings as local_from_settings

FromSettings = Callable[[ProviderSettings], Provider]

LOCAL_ADAPTER: FromSettings = local_from_settings  # every provider type, in local mode
REMOTE_ADAPTERS: Mapping[str, FromSettings] = {
    "GitHub": github_from_settings,
    "GitHubEnterpriseServer": github_from_settings,
    "GitHubEnterpriseCloudDataResidency": github_from_settings,
    "GitLab": gitlab_from_settings,
    "GitLabSelfManaged": gitlab_from_settings,
    "Bitbucket": bitbucket_from_settings,
    "AzureDevOps": azure_devops_from_settings,
}


def from_settings(settings: ProviderSettings) -> Provider:
    """The adapter of `settings`: local mode's for any provider type, else the provider type's remote adapter.

    A mode or provider type without an adapter is a ValueError (a configuration error, found at start-up).
    """
    if settings.mode == "local":
        return LOCAL_ADAPTER(settings)
    if settings.mode != "remote" or settings.provider_type not in REMOTE_ADAPTERS:
        raise ValueError(f"no {settings.mode} adapter for provider type {settings.provider_type!r} "
                         f"(remote: {', '.join(REMOTE_ADAPTERS)})")
    return REMOTE_ADAPTERS[settings.provider_type](settings)


__all__ = [
    "LOCAL_ADAPTER",
    "REMOTE_ADAPTERS",
    "Branch",
    "Credential",
    "CredentialKind",
    "FromSettings",
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
    "azure_devops_from_settings",
    "bitbucket_from_settings",
    "from_settings",
    "github_from_settings",
    "gitlab_from_settings",
    "local_from_settings",
]
