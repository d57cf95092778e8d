"""CreatePipeline, UpdatePipeline, GetPipeline, ListPipelines, DeletePipeline.

Each is authorized as `codepipeline:<Op>` on the pipeline's ARN (ListPipelines on
`*`, as the Service Authorization Reference lists it), with the pipeline's tags as
aws:ResourceTag/* and a create's tags as aws:RequestTag/* and aws:TagKeys. Create
and Update then check the structure rules (`structure`) and the passes (`passing`)
before anything is written; the write rechecks, inside its transaction, that the
tags authorized on are still the pipeline's (`resources.recheck`).

CreatePipeline starts an execution (trigger CreatePipeline), as AWS's does; the
worker (`codeconn.pipelines`) runs it. DeletePipeline deletes the pipeline's
executions with it.
"""

from __future__ import annotations

from typing import Any

from codeconn.domain.pipeline_executions import EXECUTION
from codeconn.domain.pipelines import PIPELINE, PIPELINE_QUOTA, Pipeline, pipeline_arn, pipeline_id
from codeconn.service.call import Call
from codeconn.service.codepipeline.errors import (
    InvalidNextTokenException,
    PipelineNameInUseException,
    PipelineNotFoundException,
    PipelineVersionNotFoundException,
)
from codeconn.service.codepipeline.passing import authorize_passing
from codeconn.service.codepipeline.starting import start_execution
from codeconn.service.codepipeline.structure import check_structure
from codeconn.service.codepipeline.tags import tags_from_request, wire_tags
from codeconn.service.connections.resources import Found, check_quota, recheck
from codeconn.service.errors import ConcurrentModificationException
from codeconn.service.tagging import authorize_tagging_on_create, request_tag_context
from codeconn.store import Conflict

DEFAULT_PAGE_SIZE = 100


def find_pipeline(call: Call, name: str) -> Found:
    """The pipeline `name` in the caller's account and Region, with its tags (record None if none)."""
    arn = pipeline_arn(call.region, call.account_id, name)
    with call.store.read(call.account_id) as reader:
        record = reader.get(PIPELINE.kind, pipeline_id(call.region, name))
        return Found(PIPELINE, arn, record, reader.tags(arn) if record is not None else {})


def existing_pipeline(call: Call, found: Found, name: str) -> Pipeline:
    """The pipeline found; PipelineNotFoundException in AWS's words if there is none."""
    if found.record is None:
        raise PipelineNotFoundException(f"Account '{call.account_id}' does not have a pipeline with name '{name}'")
    return Pipeline.from_record(found.record)


def create_pipeline(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """CreatePipeline: version 1 of the declaration, after its structure and passes are checked."""
    declaration = params["pipeline"]
    tags = tags_from_request(params.get("tags"))
    pipeline = Pipeline.new(call.account_id, call.region, declaration, call.now)
    call.authorize(resource=pipeline.arn, context=request_tag_context(tags))
    authorize_tagging_on_create(call, pipeline.arn, tags)
    check_structure(declaration)
    authorize_passing(call, declaration)
    with call.store.transaction(call.account_id) as tx:
        check_quota(tx, call, PIPELINE_QUOTA)
        try:
            tx.insert(pipeline.to_record())
        except Conflict:
            raise PipelineNameInUseException(
                f"A pipeline with name '{pipeline.name}' already exists in account '{call.account_id}'") from None
        if tags:
            tx.set_tags(pipeline.arn, tags)
    principal = call.caller.principal
    execution = start_execution(call.store, pipeline, call.now, "CreatePipeline",
                                principal.session_arn or principal.arn)
    for details in call.decision_details.values():
        if "pipeline" in details:
            details["pipelineExecutionId"] = execution.execution_id
    return {"pipeline": dict(pipeline.declaration), **({"tags": wire_tags(tags)} if tags else {})}


def update_pipeline(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """UpdatePipeline: the next version; the passes of the new declaration are checked again."""
    declaration = params["pipeline"]
    found = find_pipeline(call, declaration["name"])
    call.authorize(resource=found.arn, resource_tags=found.tags)
    current = existing_pipeline(call, found, declaration["name"])
    check_structure(declaration)
    authorize_passing(call, declaration)
    with call.store.transaction(call.account_id) as tx:
        latest = Pipeline.from_record(recheck(tx, found))
        if latest.version != current.version:
            raise ConcurrentModificationException(
                f"Pipeline {found.arn} was updated while the request was being handled. Retry the request.")
        updated = latest.updated(declaration, call.now)
        tx.update(updated.to_record())
    return {"pipeline": dict(updated.declaration)}


def get_pipeline(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """GetPipeline: the declaration (the current version, or the one asked for) and its metadata."""
    found = find_pipeline(call, params["name"])
    call.authorize(resource=found.arn, resource_tags=found.tags)
    pipeline = existing_pipeline(call, found, params["name"])
    version = params.get("version", pipeline.version)
    if version not in pipeline.declarations:
        raise PipelineVersionNotFoundException(
            f"Pipeline '{pipeline.name}' does not have version '{version}'")
    return {"pipeline": dict(pipeline.declarations[version]),
            "metadata": {"pipelineArn": pipeline.arn, "created": pipeline.created_at, "updated": pipeline.updated_at}}


def summary(pipeline: Pipeline) -> dict[str, Any]:
    """A PipelineSummary, as ListPipelines answers it."""
    declared = pipeline.declaration
    return {"name": pipeline.name, "version": pipeline.version, "created": pipeline.created_at,
            "updated": pipeline.updated_at,
            **{key: declared[key] for key in ("pipelineType", "executionMode") if key in declared}}


def list_pipelines(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListPipelines: the Region's pipelines by name, `maxResults` (default 100) at a time."""
    call.authorize(resource="*")
    with call.store.read(call.account_id) as reader:
        pipelines = sorted((Pipeline.from_record(record) for record in reader.list(PIPELINE.kind,
                            where={"Region": call.region})), key=lambda pipeline: pipeline.name)
    start = _start(params.get("nextToken"), [pipeline.name for pipeline in pipelines])
    size = params.get("maxResults") or DEFAULT_PAGE_SIZE
    page = pipelines[start:start + size]
    more = start + size < len(pipelines)
    return {"pipelines": [summary(pipeline) for pipeline in page],
            **({"nextToken": page[-1].name} if more and page else {})}


def _start(token: str | None, names: list[str]) -> int:
    """The index after the name `token` (the last name of the previous page)."""
    if token is None:
        return 0
    if not names or token > names[-1] and token not in names:
        raise InvalidNextTokenException("The next token was not returned by a previous ListPipelines call.")
    return next((index for index, name in enumerate(names) if name > token), len(names))


def delete_pipeline(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """DeletePipeline: the pipeline, its versions and tags; a missing pipeline is no error, as in AWS."""
    found = find_pipeline(call, params["name"])
    call.authorize(resource=found.arn, resource_tags=found.tags)
    if found.record is None:
        return {}
    with call.store.transaction(call.account_id) as tx:
        current = tx.get(PIPELINE.kind, found.record.id)
        if current is not None:
            tx.delete(PIPELINE.kind, current.id)
            for execution in tx.list(EXECUTION.kind, where={"PipelineName": found.record.name,
                                                            "Region": call.region}):
                tx.delete(EXECUTION.kind, execution.id)
    return {}


__all__ = [
    "create_pipeline",
    "delete_pipeline",
    "existing_pipeline",
    "find_pipeline",
    "get_pipeline",
    "list_pipelines",
    "summary",
    "update_pipeline",
]
