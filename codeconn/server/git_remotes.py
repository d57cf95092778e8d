"""Where the git endpoint finds a connection's repository: a seam the provider directory will fill.

`GitRemotes.git_remote(connection, owner, name)` is the provider's `git_remote`
for the connection, with its stored credential. Until the handshake's provider
directory is wired in, `LocalGitRemotes` serves every provider type in local mode
from `<repositories>/<ProviderType>` (handshake-api.md, "Providers": the layout of
`codeconn serve --repositories`, `<data-dir>/repositories` by default), with no credential. Tests give their own `GitRemotes` to reach a
remote provider's test server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codeconn.domain.connections import Connection
from codeconn.providers.base import Credential, CredentialKind, GitRemote, ProviderSettings
from codeconn.providers.local import from_settings


class GitRemotes(Protocol):
    def git_remote(self, connection: Connection, owner: str, name: str) -> GitRemote:
        """The repository's GitRemote; ProviderNotFound when it does not exist, ProviderError when unreachable."""
        ...


class LocalGitRemotes:
    """Every provider type in local mode under `root/<ProviderType>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def git_remote(self, connection: Connection, owner: str, name: str) -> GitRemote:
        settings = ProviderSettings(provider_type=connection.provider_type,
                                    repositories_root=self.root / connection.provider_type)
        return from_settings(settings).git_remote(Credential(CredentialKind.LOCAL), owner, name)


__all__ = ["GitRemotes", "LocalGitRemotes"]
