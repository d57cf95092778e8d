"""The concrete parts a running server is made of, chosen here and nowhere else.

`build_components(config)` opens the store (SQLite in the data directory, or the
`--database-url`), the secret box (its key in the data directory or
`--secret-key-file`), the code-host providers (`--providers`, `--repositories`;
handed to the handshake operations), the caller
directory over the store (with the default account's root key), the policy
authorizer (with the `--iam` mode, the organization's policies and the IAM
catalog), the registry of every operation, the service models the protocols
route by, the pipeline worker (started by the runner once the audit log is open;
artifacts under `<data-dir>/artifacts`, or at `--artifact-store-endpoint`) and the
pipeline triggers (the dispatcher the git endpoint reports pushes to, and the branch
watcher), which start executions through the worker's queue (`StoreStarter`; tests
may pass another `starter_for`): each loaded once, here. The app factory only
receives them, so tests pass in-memory twins instead. `codeconn serve` imports this
module only when it starts a server, so the rest of the command never loads the
service layer.
"""

from __future__ import annotations

from collections.abc import Callable

from codeconn.auth import (
    OrgPolicyError,
    PolicyAuthorizer,
    StoreDirectory,
    load_org_policies,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.pipelines.changes import PipelineStarter
from codeconn.pipelines.directory_artifacts import DirectoryArtifactStore
from codeconn.pipelines.runtime import Runtime
from codeconn.pipelines.starter import StoreStarter
from codeconn.pipelines.worker import PipelineWorker
from codeconn.providers.config import Providers, ProvidersFileError, load_providers_file
from codeconn.server.audit import AuditSink
from codeconn.server.config import ServeConfig
from codeconn.server.errors import ConfigError
from codeconn.server.git_remotes import DirectoryGitRemotes
from codeconn.server.pipeline_audit import AuditDecisionLog
from codeconn.server.pipeline_wiring import artifact_store_for, build_triggers, repository_roots
from codeconn.server.runner import Components
from codeconn.service.operations import build_registry
from codeconn.store import SecretBox, Store, StoreError
from codeconn.store.secrets import load_or_create_key
from codeconn.store.sql import open_store
from codeconn.wire.model import MODEL_EXTRAS, ServiceModels


StarterFactory = Callable[[Store], PipelineStarter]


def build_components(config: ServeConfig, *, starter_for: StarterFactory | None = None) -> Components:
    """The real parts for `config`; the data directory must exist.

    A malformed --org-policies directory or a database that cannot be opened is a
    ConfigError: `codeconn serve` prints it and exits, with no traceback.
    """
    service_models = ServiceModels.load(data_paths=[MODEL_EXTRAS])  # the handshake operations too
    served = service_models.regions.get("codestar-connections", ())
    if config.region not in served:
        raise ConfigError([f"--region {config.region} is not a Region of the connections services; "
                           f"the served Regions are {', '.join(served)}"])
    try:
        org = load_org_policies(config.org_policies) if config.org_policies is not None else None
    except OrgPolicyError as error:
        raise ConfigError([f"--org-policies {config.org_policies}: {p}" for p in error.problems]) from None
    try:
        providers = Providers(load_providers_file(config.providers_file, repositories=config.repositories_root),
                              default_redirect_uri=config.callback_url)
    except ProvidersFileError as error:
        raise ConfigError([f"--providers: {problem}" for problem in error.problems]) from None
    try:
        store = open_store(config.database_url, data_dir=config.data_dir, pool_size=config.limits.worker_threads)
    except StoreError as error:
        raise ConfigError([f"cannot open the database: {error}"]) from None
    try:
        secrets = secret_box(config)
        directory = StoreDirectory(store, secrets, root_credentials=config.root_credentials,
                                   default_account=config.account_id)
        iam_catalog = IamCatalog.load()
        authorizer = PolicyAuthorizer(mode=config.iam, org=org, catalog=iam_catalog)
        artifacts = artifact_store_for(config) or DirectoryArtifactStore(config.data_dir / ARTIFACTS_DIRECTORY)
        wake = WakeWorker()
        starter = starter_for(store) if starter_for is not None else StoreStarter(store, on_start=wake)
        triggers = build_triggers(store, starter, repository_roots(store, providers),
                                  interval=config.trigger_poll_seconds)

        def pipeline_worker(audit: AuditSink) -> PipelineWorker:
            worker = PipelineWorker(Runtime(store, secrets, authorizer, iam_catalog, providers, artifacts,
                                            AuditDecisionLog(audit)))
            wake.worker = worker
            return worker

        return Components(store, secrets, directory, authorizer, build_registry(providers), service_models,
                          iam_catalog, on_close=providers.close, git_remotes=DirectoryGitRemotes(providers),
                          providers=providers, background=pipeline_worker, triggers=triggers)
    except BaseException:
        store.close()
        providers.close()
        raise


def secret_box(config: ServeConfig) -> SecretBox:
    """The box whose key is `--secret-key-file` (created 0600 if missing), else `secret.key` in the data directory."""
    if config.secret_key_file is None:
        return SecretBox.for_data_dir(config.data_dir)
    try:
        return SecretBox(load_or_create_key(config.secret_key_file))
    except (OSError, StoreError) as error:
        raise ConfigError([f"--secret-key-file {config.secret_key_file}: {error}"]) from None


class WakeWorker:
    """The trigger starter's `on_start`: wakes the worker at once (it is built later, by the
    runner, once the audit log is open; until then the worker's own poll finds the execution)."""

    def __init__(self) -> None:
        self.worker: PipelineWorker | None = None

    def __call__(self) -> None:
        if self.worker is not None:
            self.worker.notify()


ARTIFACTS_DIRECTORY = "artifacts"
"""The directory artifact store's root in the data directory: `<data-dir>/artifacts/<bucket>/<key>`
(unless `--artifact-store-endpoint` names an S3-compatible endpoint)."""

__all__ = ["ARTIFACTS_DIRECTORY", "StarterFactory", "WakeWorker", "build_components", "secret_box"]
