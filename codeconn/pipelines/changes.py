"""The trigger seam: a new commit on a branch, and the one way to start a pipeline.

Triggers (a push through codeconn's git endpoint, a new commit seen on a watched
branch of a local repository) report a `SourceChange`; the trigger dispatcher finds
the pipelines whose source action watches that repository and branch, and asks a
`PipelineStarter` to start each, naming the commit as AWS's StartPipelineExecution
`sourceRevisions` would (revisionType COMMIT_ID).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class SourceChange:
    """A branch of a repository that now points at `commit_id`.

    `host_arn` is None for a provider's cloud service (github.com, gitlab.com, ...), else
    the connection host's ARN; `connection_arn` is the connection a push came through
    (None when the change was seen by watching a repository).
    """

    provider_type: str
    host_arn: str | None
    full_repository_id: str
    branch: str
    commit_id: str
    previous_commit_id: str | None
    connection_arn: str | None


@dataclass(frozen=True, slots=True)
class ExecutionTrigger:
    """AWS's ExecutionTrigger: `triggerType` (CreatePipeline, StartPipelineExecution,
    Webhook, WebhookV2, CloudWatchEvent, PollForSourceChanges, ...) and `triggerDetail`."""

    trigger_type: str
    trigger_detail: str


@dataclass(frozen=True, slots=True)
class SourceRevisionOverride:
    """AWS's SourceRevisionOverride: run `action_name` on this revision instead of the branch head."""

    action_name: str
    revision_type: str
    revision_value: str


class PipelineStarter(Protocol):
    """Starts an execution of a pipeline as AWS's StartPipelineExecution would (the
    pipeline's own role runs it; no caller is authorized: the trigger is the service's)."""

    def start(self, pipeline_arn: str, trigger: ExecutionTrigger,
              source_revisions: Sequence[SourceRevisionOverride] = ()) -> str:
        """Start an execution; return its pipelineExecutionId."""
        ...


__all__ = ["ExecutionTrigger", "PipelineStarter", "SourceChange", "SourceRevisionOverride"]
