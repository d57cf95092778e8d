"""The pipeline parts a server is built with: triggers (dispatcher and watcher) and the artifact store.

`build_triggers(store, starter, roots, interval=...)` makes the `TriggerDispatcher`
that the git endpoint reports pushes to and the `BranchWatcher` that polls local
repositories, both starting pipelines through `starter` (the execution worker's
`PipelineStarter`). `repository_roots(store, providers)` says where a provider
type's (or a `file://` host's) local repositories are, as the providers file
configures them. `artifact_store_for(config)` is the S3-compatible store for
`--artifact-store-endpoint`, or None when artifacts stay in the data directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codeconn.pipelines.artifact_store import ArtifactStore
from codeconn.pipelines.changes import PipelineStarter
from codeconn.pipelines.s3_artifacts import S3ArtifactStore
from codeconn.pipelines.triggers import TriggerDispatcher
from codeconn.pipelines.watcher import BranchWatcher, RepositoryRoots, local_changed_files
from codeconn.providers.config import Providers
from codeconn.providers.hosts import HostEndpoint
from codeconn.server.config import ServeConfig
from codeconn.store import Store


@dataclass(frozen=True)
class PipelineTriggers:
    """The dispatcher (a `ChangeSink` for the git endpoint) and the watcher the server starts and stops."""

    dispatcher: TriggerDispatcher
    watcher: BranchWatcher

    def start(self) -> None:
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()


def build_triggers(store: Store, starter: PipelineStarter, roots: RepositoryRoots, *,
                   interval: float) -> PipelineTriggers:
    dispatcher = TriggerDispatcher(store, starter, changed_files=local_changed_files(roots))
    return PipelineTriggers(dispatcher, BranchWatcher(store, dispatcher, roots, interval=interval))


def repository_roots(store: Store, providers: Providers) -> RepositoryRoots:
    """Local repositories: a hostless type's in local mode, or a host whose endpoint is a `file://` directory."""
    def root(provider_type: str, host_arn: str | None) -> Path | None:
        if host_arn is None:
            settings = providers.settings_for(provider_type)
            return settings.repositories_root if settings.mode == "local" else None
        with store.read() as reader:
            host = reader.get_by_arn(host_arn)
        endpoint = host.data.get("ProviderEndpoint") if host is not None else None
        return HostEndpoint(provider_type, str(endpoint)).local_root if endpoint else None
    return root


def artifact_store_for(config: ServeConfig) -> ArtifactStore | None:
    """The S3-compatible store at `--artifact-store-endpoint` (credentials from the AWS chain); None without one."""
    if config.artifact_store_endpoint is None:
        return None
    return S3ArtifactStore.connect(config.artifact_store_endpoint, region=config.region)


__all__ = ["PipelineTriggers", "artifact_store_for", "build_triggers", "repository_roots"]
