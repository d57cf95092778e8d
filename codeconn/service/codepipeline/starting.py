"""Starting an execution: the one path StartPipelineExecution, CreatePipeline and the triggers share.

`start_execution` writes the queue's job (`codeconn.domain.pipeline_jobs`) first and
the execution second, each in its own account's transaction: if the second fails,
the worker finds a job without an execution and drops it; the other order could
leave an InProgress execution that no worker would ever see.

`check_overrides` is StartPipelineExecution's check of `sourceRevisions`: each names
a source action of the pipeline, and a CodeStarSourceConnection source takes a
COMMIT_ID (a full or abbreviated hexadecimal commit id), as in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from codeconn.domain.pipeline_executions import SOURCE_CATEGORY, Execution, Override
from codeconn.domain.pipeline_jobs import QUEUE_ACCOUNT, Job
from codeconn.domain.pipelines import Pipeline
from codeconn.service.codepipeline.structure import actions
from codeconn.service.errors import ValidationException
from codeconn.store import Store

COMMIT_ID = "COMMIT_ID"
_COMMIT = re.compile(r"^[0-9a-fA-F]{4,64}$")


def start_execution(store: Store, pipeline: Pipeline, now: datetime, trigger_type: str, trigger_detail: str = "",
                    overrides: Sequence[Override] = ()) -> Execution:
    """Queue and record a new InProgress execution of the pipeline's current version."""
    execution = Execution.new(pipeline, now, trigger_type, trigger_detail, overrides)
    with store.transaction(QUEUE_ACCOUNT) as queue:
        queue.insert(Job.new(execution.execution_id, pipeline.account_id, now).to_record())
    with store.transaction(pipeline.account_id) as tx:
        tx.insert(execution.to_record())
    return execution


def check_overrides(pipeline: Pipeline, overrides: Sequence[Override]) -> None:
    """ValidationException naming every override that names no source action or takes the wrong revision type."""
    sources = {action["name"]: action for _, _, action in actions(pipeline.declaration)
               if (action.get("actionTypeId") or {}).get("category") == SOURCE_CATEGORY}
    problems: list[str] = []
    seen: set[str] = set()
    for index, override in enumerate(overrides):
        where = f"sourceRevisions[{index}]"
        if override.action in seen:
            problems.append(f"{where}: action '{override.action}' is overridden twice")
        seen.add(override.action)
        action = sources.get(override.action)
        if action is None:
            problems.append(f"{where}: the pipeline has no source action named '{override.action}'")
        elif override.revision_type != COMMIT_ID:
            problems.append(f"{where}: a {action['actionTypeId'].get('provider')} source action takes revisionType "
                            f"COMMIT_ID, not {override.revision_type}")
        elif not _COMMIT.match(override.revision_value):
            problems.append(f"{where}: revisionValue '{override.revision_value}' is not a commit id")
    if problems:
        raise ValidationException("; ".join(problems))


__all__ = ["COMMIT_ID", "check_overrides", "start_execution"]
