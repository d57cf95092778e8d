"""The provider configuration (`codeconn serve --providers FILE`) and the providers it composes.

The file is YAML or JSON (docs/providers.md has worked examples):

    redirect_uri: https://codeconn.example.com/oauth/callback   # optional
    providers:
      GitHub:
        mode: remote                     # or local (the default of every type)
        client_id: Iv1.0123456789abcdef
        client_secret_env: GITHUB_CLIENT_SECRET     # the secret itself: an environment variable
        app_slug: codeconn-acme          # GitHub App (optional; else an OAuth app)
        app_id: "123456"
        app_private_key_env: GITHUB_APP_PRIVATE_KEY
        api_url: https://api.github.com  # optional: a test server or a proxy stands in
        web_url: https://github.com
        scopes: [repo, read:org]

Secrets are never written in the file: `client_secret_env` and
`app_private_key_env` name the environment variables that hold them, read once at
start and kept as `Secret`s. A type the file does not name is served in local
mode from `<repositories>/<ProviderType>`.

`Providers` is the directory the handshake reaches providers through (the
service's `ProviderDirectory` protocol): one adapter per provider type, and one
per host from the host's ProviderEndpoint (`file://DIR`: local mode from DIR;
`https://...`: remote mode with that base URL, the type's configured credentials,
or the app registered on the host).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from codeconn.providers import azure_devops, bitbucket, github, gitlab, local
from codeconn.providers.base import Provider, ProviderRefused, ProviderSettings
from codeconn.providers.github_apps import convert_code, manifest, registration_url
from codeconn.providers.hosts import HostEndpoint, RegisteredApp
from codeconn.store import Secret

PROVIDER_TYPES = ("GitHub", "GitHubEnterpriseServer", "GitHubEnterpriseCloudDataResidency", "GitLab",
                  "GitLabSelfManaged", "Bitbucket", "AzureDevOps")
MODES = ("local", "remote")

ADAPTERS: dict[str, Callable[[ProviderSettings], Provider]] = {
    "GitHub": github.from_settings,
    "GitHubEnterpriseServer": github.from_settings,
    "GitHubEnterpriseCloudDataResidency": github.from_settings,
    "GitLab": gitlab.from_settings,
    "GitLabSelfManaged": gitlab.from_settings,
    "Bitbucket": bitbucket.from_settings,
    "AzureDevOps": azure_devops.from_settings,
}
"""The remote adapter of each provider type."""

APP_MANIFEST_TYPES = frozenset({"GitHubEnterpriseServer"})
"""Host provider types whose app is registered with a manifest (StartAppRegistrationHandshake)."""

_TEXT_KEYS = ("api_url", "web_url", "git_url", "client_id", "app_slug", "app_id")
_SECRET_KEYS = {"client_secret_env": "client_secret", "app_private_key_env": "app_private_key"}
_NUMBER_KEYS = ("max_rate_limit_wait", "timeout")
_KEYS = frozenset({"mode", "scopes", "repositories", *_TEXT_KEYS, *_SECRET_KEYS, *_NUMBER_KEYS})


class ProvidersFileError(ValueError):
    """The provider configuration cannot be used; `problems` says why, one line each (never a secret)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ProvidersConfig:
    """The remote settings by provider type (local mode for the rest), and where local repositories live."""

    repositories: Path
    settings: Mapping[str, ProviderSettings] = field(default_factory=dict)
    redirect_uri: str | None = None


def load_providers_file(path: Path | None, *, repositories: Path,
                        environ: Mapping[str, str] | None = None) -> ProvidersConfig:
    """Read FILE (YAML or JSON; None: every type local); ProvidersFileError lists every problem."""
    if path is None:
        return ProvidersConfig(repositories=repositories)
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))  # JSON is YAML
    except (OSError, UnicodeError, yaml.YAMLError) as error:
        raise ProvidersFileError([f"{path}: cannot be read as YAML or JSON ({type(error).__name__})"]) from None
    return parse_providers(document, repositories=repositories, environ=os.environ if environ is None else environ,
                           where=str(path))


def parse_providers(document: Any, *, repositories: Path, environ: Mapping[str, str],
                    where: str = "providers") -> ProvidersConfig:
    """The configuration `document` (already parsed) describes; ProvidersFileError lists every problem."""
    problems: list[str] = []
    if document is None:
        document = {}
    if not isinstance(document, dict) or not set(document) <= {"providers", "redirect_uri"}:
        raise ProvidersFileError([f"{where}: a mapping with `providers` (and optionally `redirect_uri`)"])
    entries = document.get("providers") or {}
    if not isinstance(entries, dict):
        raise ProvidersFileError([f"{where}: `providers` must map provider types to settings"])
    settings: dict[str, ProviderSettings] = {}
    for provider_type, entry in entries.items():
        found = _settings(str(provider_type), entry, repositories, environ, f"{where}: providers.{provider_type}")
        if isinstance(found, list):
            problems.extend(found)
        elif found is not None:
            settings[str(provider_type)] = found
    redirect = document.get("redirect_uri")
    if redirect is not None and not (isinstance(redirect, str) and redirect.startswith(("http://", "https://"))):
        problems.append(f"{where}: redirect_uri must be an http(s) URL")
    if problems:
        raise ProvidersFileError(problems)
    return ProvidersConfig(repositories=repositories, settings=settings, redirect_uri=redirect)


def _settings(provider_type: str, entry: Any, repositories: Path, environ: Mapping[str, str],
              where: str) -> ProviderSettings | list[str] | None:
    """One type's settings (None: local mode at the default root), or its problems."""
    if provider_type not in PROVIDER_TYPES:
        return [f"{where}: unknown provider type (one of {', '.join(PROVIDER_TYPES)})"]
    if not isinstance(entry, dict):
        return [f"{where}: must be a mapping"]
    problems = [f"{where}.{name}: unknown setting" for name in sorted(set(entry) - _KEYS, key=str)]
    mode = entry.get("mode", "local")
    if mode not in MODES:
        problems.append(f"{where}.mode: must be local or remote, not {mode!r}")
    values: dict[str, Any] = {}
    for name in _TEXT_KEYS:
        if name in entry:
            if not isinstance(entry[name], (str, int)) or isinstance(entry[name], bool):
                problems.append(f"{where}.{name}: must be a string")
            values[name] = str(entry[name])
    for name in _NUMBER_KEYS:
        if name in entry:
            if not isinstance(entry[name], (int, float)) or entry[name] <= 0:
                problems.append(f"{where}.{name}: must be a positive number")
            values[name] = float(entry[name]) if isinstance(entry[name], (int, float)) else 0.0
    scopes = entry.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        problems.append(f"{where}.scopes: must be a list of strings")
    for name, target in _SECRET_KEYS.items():
        if name in entry:
            variable = entry[name]
            if not isinstance(variable, str) or not environ.get(variable):
                problems.append(f"{where}.{name}: the environment variable {variable!r} is not set")
            else:
                values[target] = Secret(environ[variable])
    if problems:
        return problems
    if mode == "local":
        root = entry.get("repositories")
        return ProviderSettings(provider_type=provider_type, mode="local",
                                repositories_root=Path(root) if root else repositories / provider_type)
    return ProviderSettings(provider_type=provider_type, mode="remote", scopes=tuple(scopes), **values)


class Providers:
    """The providers of one server, made on first use and kept (adapters hold HTTP connection pools)."""

    def __init__(self, config: ProvidersConfig, *, default_redirect_uri: str) -> None:
        self.config = config
        self.redirect_uri = config.redirect_uri or default_redirect_uri
        self._made: dict[tuple[str, str, str], Provider] = {}
        self._lock = threading.Lock()

    def settings_for(self, provider_type: str) -> ProviderSettings:
        """The type's configured settings, else local mode under `<repositories>/<ProviderType>`."""
        found = self.config.settings.get(provider_type)
        if found is not None:
            return found
        return ProviderSettings(provider_type=provider_type, mode="local",
                                repositories_root=self.config.repositories / provider_type)

    def for_type(self, provider_type: str) -> Provider:
        """The provider serving connections of `provider_type` that have no host."""
        return self._provider(self.settings_for(provider_type), key=(provider_type, "", ""))

    def for_host(self, host: HostEndpoint) -> Provider:
        """The provider behind a host: local from a `file://` directory, else remote at its endpoint."""
        root = host.local_root
        if root is not None:
            settings = ProviderSettings(provider_type=host.provider_type, mode="local", repositories_root=root)
            return self._provider(settings, key=(host.provider_type, host.endpoint, ""))
        base = replace(self.settings_for(host.provider_type), mode="remote", repositories_root=None,
                       web_url=host.endpoint.rstrip("/"), api_url=None)
        if host.app is not None:
            base = replace(base, client_id=host.app.client_id, client_secret=host.app.client_secret,
                           app_slug=host.app.slug, app_id=host.app.app_id, app_private_key=host.app.private_key)
        return self._provider(base, key=(host.provider_type, host.endpoint, host.app.app_id if host.app else ""))

    def host_ready(self, host: HostEndpoint) -> bool:
        """Whether a local host is usable now: its directory exists (remote hosts: after app registration)."""
        root = host.local_root
        return root is not None and root.is_dir()

    def app_registration_url(self, host: HostEndpoint, *, state: str, name: str) -> str:
        """Where a person registers codeconn's app on `host` (GitHub Enterprise Server: the manifest flow)."""
        self._registrable(host)
        app = manifest(name, url=self.redirect_uri.rsplit("/oauth/", 1)[0], redirect_url=self.redirect_uri)
        return registration_url(host.endpoint, state=state, app_manifest=app)

    def register_app(self, host: HostEndpoint, code: str) -> RegisteredApp:
        """The app the registration `code` created on `host` (its secrets are `Secret`s)."""
        self._registrable(host)
        api_url, _ = github.resolve_urls(ProviderSettings(provider_type=host.provider_type, mode="remote",
                                                          web_url=host.endpoint.rstrip("/")))
        return convert_code(api_url, code, timeout=self.settings_for(host.provider_type).timeout)

    @staticmethod
    def _registrable(host: HostEndpoint) -> None:
        if host.provider_type not in APP_MANIFEST_TYPES or host.local_root is not None:
            raise ProviderRefused(f"{host.provider_type} host {host.endpoint} has no app to register")

    def _provider(self, settings: ProviderSettings, *, key: tuple[str, str, str]) -> Provider:
        with self._lock:
            made = self._made.get(key)
            if made is None:
                made = local.from_settings(settings) if settings.mode == "local" else \
                    ADAPTERS[settings.provider_type](settings)
                self._made[key] = made
            return made

    def close(self) -> None:
        """Release the adapters' HTTP connection pools."""
        with self._lock:
            for provider in self._made.values():
                close = getattr(provider, "close", None)
                if callable(close):
                    close()
            self._made.clear()


__all__ = [
    "ADAPTERS",
    "APP_MANIFEST_TYPES",
    "MODES",
    "PROVIDER_TYPES",
    "Providers",
    "ProvidersConfig",
    "ProvidersFileError",
    "load_providers_file",
    "parse_providers",
]
