"""A self-managed host as the providers see it, and the app codeconn registers on one.

Plain values shared by the composition root (`codeconn.providers.config`) and the
service's handshake (`codeconn.service.connections.provider_directory`), so that
the service names a host without importing any adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from codeconn.store import Secret


@dataclass(frozen=True, slots=True)
class RegisteredApp:
    """An app registered on a host (GitHub App from a manifest); `client_secret` and `private_key` are secrets."""

    app_id: str
    slug: str
    client_id: str
    client_secret: Secret = field(repr=False)
    private_key: Secret = field(repr=False)


@dataclass(frozen=True, slots=True)
class HostEndpoint:
    """A host's provider type, its ProviderEndpoint, and the app registered on it (if any)."""

    provider_type: str
    endpoint: str
    app: RegisteredApp | None = field(default=None, repr=False)

    @property
    def local_root(self) -> Path | None:
        """The directory of a `file://` endpoint (local mode); None for a remote host."""
        parts = urlsplit(self.endpoint)
        return Path(unquote(parts.path)) if parts.scheme == "file" else None


__all__ = ["HostEndpoint", "RegisteredApp"]
