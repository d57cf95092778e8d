"""CodePipeline: the pipeline resource's operations, and the passing of connections and roles.

Modules: `pipelines` (Create, Update, Get, List, Delete), `tags`, `structure`
(AWS's structure rules), `passing` (PassConnection and iam:PassRole), `executions`
(Start, Stop, Get, List, GetPipelineState, ListActionExecutions, PutApprovalResult)
with `execution_views` (AWS's shapes) and `starting` (the one way an execution is
queued), `errors`. The resources and records are `codeconn.domain.pipelines`',
`pipeline_executions`' and `pipeline_jobs`'; the worker that runs executions is
`codeconn.pipelines`.
"""

from __future__ import annotations

from codeconn.service.codepipeline import executions, pipelines, tags
from codeconn.service.connections import retrying
from codeconn.service.registry import Handler, Registry

SERVICE = "codepipeline"

OPERATIONS: dict[str, Handler] = {
    "CreatePipeline": pipelines.create_pipeline,
    "UpdatePipeline": pipelines.update_pipeline,
    "GetPipeline": pipelines.get_pipeline,
    "ListPipelines": pipelines.list_pipelines,
    "DeletePipeline": pipelines.delete_pipeline,
    "StartPipelineExecution": executions.start_pipeline_execution,
    "StopPipelineExecution": executions.stop_pipeline_execution,
    "GetPipelineExecution": executions.get_pipeline_execution,
    "ListPipelineExecutions": executions.list_pipeline_executions,
    "GetPipelineState": executions.get_pipeline_state,
    "ListActionExecutions": executions.list_action_executions,
    "PutApprovalResult": executions.put_approval_result,
    "TagResource": tags.tag_resource,
    "UntagResource": tags.untag_resource,
    "ListTagsForResource": tags.list_tags_for_resource,
}
"""The pipeline operations codeconn answers, by name."""


def register(registry: Registry) -> None:
    """Add the CodePipeline operations (retried when authorized tags change under them)."""
    for name, handler in OPERATIONS.items():
        registry.add((SERVICE,), name, retrying(handler))


__all__ = ["OPERATIONS", "SERVICE", "register"]
