"""StoreStarter: the PipelineStarter of the trigger seam, starting executions with no caller.

A trigger (a push through the git endpoint, a new commit on a watched branch) is the
service's own doing, as AWS's webhooks and change detection are: nothing is
authorized for it. The execution is queued as StartPipelineExecution queues one
(`codeconn.service.codepipeline.starting`), with the trigger's type and detail, and
any COMMIT_ID the trigger names pinned by sourceRevisions; the worker runs it as the
pipeline's role, as any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from codeconn.clock import Clock, utc_now
from codeconn.domain.pipeline_executions import Override
from codeconn.domain.pipelines import PIPELINE, Pipeline, parse_pipeline_arn, pipeline_id
from codeconn.pipelines.changes import ExecutionTrigger, SourceRevisionOverride
from codeconn.service.codepipeline.starting import start_execution
from codeconn.store import Store


class PipelineGone(LookupError):
    """The pipeline named by the ARN does not exist (deleted since the trigger matched it)."""


class StoreStarter:
    """Starts executions in `store`; `on_start` (the worker's `notify`) is told of each."""

    def __init__(self, store: Store, *, clock: Clock = utc_now, on_start: Callable[[], None] | None = None) -> None:
        self._store = store
        self._clock = clock
        self._on_start = on_start

    def __repr__(self) -> str:
        return f"StoreStarter({self._store!r})"

    def start(self, pipeline_arn: str, trigger: ExecutionTrigger,
              source_revisions: Sequence[SourceRevisionOverride] = ()) -> str:
        parts = parse_pipeline_arn(pipeline_arn)
        if parts is None:
            raise PipelineGone(f"{pipeline_arn} is not a pipeline ARN")
        region, account, name = parts
        with self._store.read(account) as reader:
            record = reader.get(PIPELINE.kind, pipeline_id(region, name))
        if record is None or record.arn != pipeline_arn:
            raise PipelineGone(f"pipeline {pipeline_arn} does not exist")
        overrides = [Override(o.action_name, o.revision_type, o.revision_value) for o in source_revisions]
        execution = start_execution(self._store, Pipeline.from_record(record), self._clock(), trigger.trigger_type,
                                    trigger.trigger_detail, overrides)
        if self._on_start is not None:
            self._on_start()
        return execution.execution_id


__all__ = ["PipelineGone", "StoreStarter"]
