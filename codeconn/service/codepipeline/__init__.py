"""CodePipeline: the pipeline resource's operations, and the passing of connections and roles.

Modules: `pipelines` (Create, Update, Get, List, Delete), `tags`, `structure`
(AWS's structure rules), `passing` (PassConnection and iam:PassRole), `errors`.
The resource, its ARN, quota and record are `codeconn.domain.pipelines`'s.
Executions (StartPipelineExecution and the source action) are issue 11 part B.
"""

from __future__ import annotations

from codeconn.service.codepipeline import pipelines, tags
from codeconn.service.connections import retrying
from codeconn.service.registry import Handler, Registry

SERVICE = "codepipeline"

OPERATIONS: dict[str, Handler] = {
    "CreatePipeline": pipelines.create_pipeline,
    "UpdatePipeline": pipelines.update_pipeline,
    "GetPipeline": pipelines.get_pipeline,
    "ListPipelines": pipelines.list_pipelines,
    "DeletePipeline": pipelines.delete_pipeline,
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
