"""Where the git endpoint finds a connection's repository, and the credential that reaches it.

`GitRemotes.git_remote(call, connection, owner, name)` is the provider's
`git_remote` for the connection. The server's is `DirectoryGitRemotes`: the
connection's provider from the provider directory (by type, or by its host),
with the connection's stored credential, refreshed when it has expired; a
credential the provider refuses puts the connection in ERROR, as every use of a
connection does (`handshake_tokens.through_connection`). `LocalGitRemotes` serves
every provider type in local mode from `<repositories>/<ProviderType>` with no
credential, for tests and harnesses without a provider directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from codeconn.domain.connections import Connection
from codeconn.providers.base import Credential, CredentialKind, GitRemote, ProviderSettings
from codeconn.providers.local import from_settings
from codeconn.service.call import Call
from codeconn.service.connections.handshake_tokens import through_connection
from codeconn.service.connections.provider_directory import ProviderDirectory


class GitRemotes(Protocol):
    def git_remote(self, call: Call, connection: Connection, owner: str, name: str) -> GitRemote:
        """The repository's GitRemote; ProviderNotFound when it does not exist, ProviderError or a
        ServiceError (the connection's credential refused) when it cannot be reached."""
        ...


class DirectoryGitRemotes:
    """Through the server's provider directory, as the connection's own provider and credential."""

    def __init__(self, providers: ProviderDirectory) -> None:
        self._providers = providers

    def git_remote(self, call: Call, connection: Connection, owner: str, name: str) -> GitRemote:
        return through_connection(call, self._providers, connection,
                                  lambda provider, credential: provider.git_remote(credential, owner, name),
                                  keep_provider_errors=True)


class LocalGitRemotes:
    """Every provider type in local mode under `root/<ProviderType>`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def git_remote(self, call: Call, connection: Connection, owner: str, name: str) -> GitRemote:
        settings = ProviderSettings(provider_type=connection.provider_type,
                                    repositories_root=self.root / connection.provider_type)
        return from_settings(settings).git_remote(Credential(CredentialKind.LOCAL), owner, name)


__all__ = ["DirectoryGitRemotes", "GitRemotes", "LocalGitRemotes"]
