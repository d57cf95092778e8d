"""`--providers FILE`: local mode by default, remote settings with secrets from the environment, hosts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeconn.providers.config import Providers, ProvidersFileError, load_providers_file, parse_providers
from codeconn.providers.github import GitHubProvider
from codeconn.providers.hosts import HostEndpoint, RegisteredApp
from codeconn.providers.local import LocalProvider
from codeconn.store import Secret

CALLBACK = "http://127.0.0.1:4599/oauth/callback"


def test_without_a_file_every_type_is_local_under_the_repositories_root(tmp_path: Path) -> None:
    providers = Providers(load_providers_file(None, repositories=tmp_path), default_redirect_uri=CALLBACK)
    for provider_type in ("GitHub", "GitLab", "Bitbucket", "AzureDevOps"):
        provider = providers.for_type(provider_type)
        assert isinstance(provider, LocalProvider) and provider.root == tmp_path / provider_type
    assert providers.for_type("GitHub") is providers.for_type("GitHub")  # made once
    assert providers.redirect_uri == CALLBACK


def test_a_yaml_file_sets_remote_mode_with_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text("redirect_uri: https://codeconn.example.com/oauth/callback\nproviders:\n  GitHub:\n"
                    "    mode: remote\n    client_id: Iv1.abc\n    client_secret_env: GH_SECRET\n"
                    "    app_slug: codeconn-acme\n    app_id: 123\n    app_private_key_env: GH_PEM\n"
                    "  GitLab:\n    repositories: /srv/gitlab\n")
    config = load_providers_file(path, repositories=tmp_path, environ={"GH_SECRET": "s3cret", "GH_PEM": "pem"})
    github = config.settings["GitHub"]
    assert (github.mode, github.client_id, github.app_id, github.app_slug) == ("remote", "Iv1.abc", "123",
                                                                               "codeconn-acme")
    assert github.client_secret == Secret("s3cret") and github.app_private_key == Secret("pem")
    assert "s3cret" not in repr(config)
    assert config.settings["GitLab"].repositories_root == Path("/srv/gitlab")
    providers = Providers(config, default_redirect_uri=CALLBACK)
    assert isinstance(providers.for_type("GitHub"), GitHubProvider)
    assert providers.redirect_uri == "https://codeconn.example.com/oauth/callback"


def test_every_problem_is_listed_and_no_secret_is_inline(tmp_path: Path) -> None:
    document = {"providers": {"GitHab": {}, "GitHub": {"mode": "cloud", "client_secret": "inline",
                                                       "client_secret_env": "UNSET_VARIABLE"}}}
    with pytest.raises(ProvidersFileError) as caught:
        parse_providers(document, repositories=tmp_path, environ={})
    text = "\n".join(caught.value.problems)
    assert "GitHab: unknown provider type" in text and "mode: must be local or remote" in text
    assert "client_secret: unknown setting" in text and "'UNSET_VARIABLE' is not set" in text
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(ProvidersFileError):
        load_providers_file(path, repositories=tmp_path)
    path.write_text(json.dumps({"providers": {"Bitbucket": {"mode": "local"}}}))
    assert load_providers_file(path, repositories=tmp_path).settings["Bitbucket"].repositories_root == (
        tmp_path / "Bitbucket")


def test_hosts_are_local_from_a_file_endpoint_and_remote_from_an_https_one(tmp_path: Path) -> None:
    providers = Providers(load_providers_file(None, repositories=tmp_path), default_redirect_uri=CALLBACK)
    local = HostEndpoint("GitHubEnterpriseServer", (tmp_path / "ghes").as_uri())
    assert not providers.host_ready(local)
    (tmp_path / "ghes").mkdir()
    assert providers.host_ready(local)
    provider = providers.for_host(local)
    assert isinstance(provider, LocalProvider) and provider.root == tmp_path / "ghes"
    app = RegisteredApp("7", "codeconn-ghes", "Iv1.app", Secret("secret"), Secret("pem"))
    remote = providers.for_host(HostEndpoint("GitHubEnterpriseServer", "https://ghes.example.com/", app))
    assert isinstance(remote, GitHubProvider)
    assert (remote.api_url, remote.web_url) == ("https://ghes.example.com/api/v3", "https://ghes.example.com")
    assert remote.installation_url() == "https://ghes.example.com/apps/codeconn-ghes/installations/new"
    url = providers.app_registration_url(HostEndpoint("GitHubEnterpriseServer", "https://ghes.example.com"),
                                         state="s" * 20, name="codeconn-x")
    assert url.startswith("https://ghes.example.com/settings/apps/new?state=ssssssssssssssssssss&manifest=")
    providers.close()
