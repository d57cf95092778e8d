"""The concrete parts a running server is made of, chosen here and nowhere else.

`build_components(config)` opens the store (SQLite in the data directory, or the
`--database-url`), the secret box (its key in the data directory or
`--secret-key-file`), the code-host providers (`--providers`, `--repositories`;
handed to the handshake operations), the caller
directory over the store (with the default account's root key), the policy
authorizer (with the `--iam` mode, the organization's policies and the IAM
catalog), the registry of every operation, and the service models the protocols
route by: each loaded once, here. The app factory only receives them, so tests pass
in-memory twins instead. `codeconn serve` imports this module only when it
starts a server, so the rest of the command never loads the service layer.
"""

from __future__ import annotations

from codeconn.auth import (
    OrgPolicyError,
    PolicyAuthorizer,
    StoreDirectory,
    load_org_policies,
)
from codeconn.iam.catalog import IamCatalog
from codeconn.providers.config import Providers, ProvidersFileError, load_providers_file
from codeconn.server.config import ServeConfig
from codeconn.server.errors import ConfigError
from codeconn.server.git_remotes import DirectoryGitRemotes
from codeconn.server.runner import Components
from codeconn.service.operations import build_registry
from codeconn.store import SecretBox, StoreError
from codeconn.store.secrets import load_or_create_key
from codeconn.store.sql import open_store
from codeconn.wire.model import MODEL_EXTRAS, ServiceModels


def build_components(config: ServeConfig) -> Components:
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
        return Components(store, secrets, directory, authorizer, build_registry(providers), service_models,
                          iam_catalog, on_close=providers.close, git_remotes=DirectoryGitRemotes(providers))
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


__all__ = ["build_components", "secret_box"]
