"""Code hosts behind one protocol (`base.Provider`), one adapter module per provider family.

Each adapter module offers `from_settings(settings: ProviderSettings) -> Provider`;
the composition root picks one per provider type from the provider configuration.
"""

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
