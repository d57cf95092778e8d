"""Each remote adapter's `from_settings` with nothing but a provider type: a `Provider` aimed at the hosted service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from codeconn.providers import Provider, ProviderRefused, ProviderSettings
from codeconn.providers import azure_devops, bitbucket, gitlab

FromSettings = Callable[[ProviderSettings], Provider]

CASES = [
    pytest.param(gitlab.from_settings, "GitLab", "https://gitlab.com/oauth/authorize",
                 "https://gitlab.com/-/user_settings/applications", True, id="GitLab"),
    pytest.param(gitlab.from_settings, "GitLabSelfManaged", "https://gitlab.com/oauth/authorize",
                 "https://gitlab.com/-/user_settings/applications", True, id="GitLabSelfManaged"),
    pytest.param(bitbucket.from_settings, "Bitbucket", "https://bitbucket.org/site/oauth2/authorize",
                 "https://bitbucket.org/account/settings/app-authorizations/", False, id="Bitbucket"),
    pytest.param(azure_devops.from_settings, "AzureDevOps",
                 "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize", "https://dev.azure.com/",
                 True, id="AzureDevOps"),
]


@pytest.mark.parametrize(("make", "provider_type", "authorize", "installation", "pkce"), CASES)
def test_the_defaults_are_the_hosted_service(make: FromSettings, provider_type: str, authorize: str,
                                             installation: str, pkce: bool) -> None:
    provider = make(ProviderSettings(provider_type=provider_type, mode="remote", client_id="id"))
    assert isinstance(provider, Provider)
    assert provider.provider_type == provider_type and provider.supports_pkce is pkce
    assert not provider.has_installations
    url = urlsplit(provider.authorization_url(state="s", redirect_uri="https://cb.test/", code_challenge="c"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == authorize
    assert provider.installation_url() == installation


@pytest.mark.parametrize(("make", "provider_type", "authorize", "installation", "pkce"), CASES)
def test_without_a_client_id_there_is_no_authorization_url(make: FromSettings, provider_type: str, authorize: str,
                                                            installation: str, pkce: bool) -> None:
    provider = make(ProviderSettings(provider_type=provider_type, mode="remote"))
    with pytest.raises(ProviderRefused, match="no OAuth client_id"):
        provider.authorization_url(state="s", redirect_uri="https://cb.test/", code_challenge=None)


def test_the_package_picks_the_adapter_of_a_mode_and_provider_type(tmp_path: Path) -> None:
    from codeconn import providers

    assert providers.REMOTE_ADAPTERS["GitLabSelfManaged"] is gitlab.from_settings
    remote = providers.from_settings(ProviderSettings(provider_type="Bitbucket", mode="remote"))
    assert isinstance(remote, bitbucket.BitbucketProvider)
    local = providers.from_settings(ProviderSettings(provider_type="Bitbucket", repositories_root=tmp_path))
    assert isinstance(local, Provider) and not isinstance(local, bitbucket.BitbucketProvider)
    with pytest.raises(ValueError, match="no remote adapter"):
        providers.from_settings(ProviderSettings(provider_type="Nowhere", mode="remote"))
