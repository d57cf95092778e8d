"""Provider types: which exist, which are reached through a host, which name their endpoint.

A cloud provider (GitHub, Bitbucket, GitLab, Azure DevOps) needs no host; an
installed one (GitHub Enterprise Server, GitLab self-managed) runs on
infrastructure of one's own and is reached only through a host; GitHub
Enterprise Cloud with data residency names its tenant's endpoint. The
codestar-connections model knows the first five types, codeconnections all seven
(the wire's validation refuses a type the endpoint's model lacks).
"""

from __future__ import annotations

from enum import StrEnum


class ProviderType(StrEnum):
    BITBUCKET = "Bitbucket"
    GITHUB = "GitHub"
    GITHUB_ENTERPRISE_SERVER = "GitHubEnterpriseServer"
    GITLAB = "GitLab"
    GITLAB_SELF_MANAGED = "GitLabSelfManaged"
    AZURE_DEVOPS = "AzureDevOps"
    GITHUB_ENTERPRISE_CLOUD_DATA_RESIDENCY = "GitHubEnterpriseCloudDataResidency"


PROVIDER_TYPES = frozenset(ProviderType)
"""Every provider type either model knows."""

INSTALLED_PROVIDERS = frozenset({ProviderType.GITHUB_ENTERPRISE_SERVER, ProviderType.GITLAB_SELF_MANAGED})
"""Provider types installed on infrastructure of one's own: reached only through a host."""

ENDPOINT_PROVIDERS = frozenset({ProviderType.GITHUB_ENTERPRISE_CLOUD_DATA_RESIDENCY})
"""Provider types whose connection names its tenant's endpoint (ProviderEndpoint)."""


__all__ = ["ENDPOINT_PROVIDERS", "INSTALLED_PROVIDERS", "PROVIDER_TYPES", "ProviderType"]
