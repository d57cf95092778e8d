"""What the worker's parts share: the store, the decider, the providers, the artifact store, the audit hook.

Built once by the server (`codeconn.server.components`) and handed to the worker;
the parts never choose a concrete store, provider or artifact store themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from codeconn.clock import Clock, utc_now
from codeconn.iam.catalog import IamCatalog
from codeconn.pipelines.artifact_store import ArtifactStore
from codeconn.service.call import Authorize, Call
from codeconn.service.connections.provider_directory import ProviderDirectory
from codeconn.store import SecretBox, Store


@dataclass(frozen=True, slots=True)
class ActionScope:
    """Which pipeline, execution and action a decision was made for (its audit line carries them)."""

    pipeline: str
    execution_id: str
    action: str


class DecisionLog(Protocol):
    """Where the worker reports the decisions of a call it made as the pipeline's role (the audit log).

    `details` maps a decision's index in `call.decisions` to what it was for
    (providerAction, repository, branch).
    """

    def record(self, call: Call, scope: ActionScope, details: Mapping[int, Mapping[str, str]],
               error_code: str | None) -> None: ...


class NoDecisionLog:
    """A DecisionLog that keeps nothing (unit tests, embedding without an audit log)."""

    def record(self, call: Call, scope: ActionScope, details: Mapping[int, Mapping[str, str]],
               error_code: str | None) -> None:
        return None


@dataclass(frozen=True)
class Runtime:
    """The worker's means (see the module docstring)."""

    store: Store
    secrets: SecretBox
    authorizer: Authorize
    iam_catalog: IamCatalog
    providers: ProviderDirectory
    artifacts: ArtifactStore
    log: DecisionLog = NoDecisionLog()
    clock: Clock = utc_now


__all__ = ["ActionScope", "DecisionLog", "NoDecisionLog", "Runtime"]
