"""StartPipelineExecution, StopPipelineExecution, GetPipelineExecution, ListPipelineExecutions,
GetPipelineState, ListActionExecutions and PutApprovalResult.

Each is authorized as `codepipeline:<Op>` on the pipeline's ARN with its tags as
aws:ResourceTag/* (PutApprovalResult on the approval action's ARN,
`arn:...:<pipeline>/<stage>/<action>`, as the Service Authorization Reference
lists it), then looks the pipeline up (PipelineNotFoundException in AWS's words).
The execution's work is the worker's (`codeconn.pipelines`): these operations
only queue it, stop it, answer an approval, and read what it recorded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from codeconn.domain.pipeline_executions import (
    APPROVAL_CATEGORY,
    EXECUTION,
    ActionStatus,
    Execution,
    ExecutionStatus,
    Override,
)
from codeconn.domain.pipeline_jobs import JOB_KIND, QUEUE_ACCOUNT, Job, JobState
from codeconn.domain.pipelines import Pipeline
from codeconn.service.call import Call
from codeconn.service.codepipeline.errors import (
    ActionNotFoundException,
    ApprovalAlreadyCompletedException,
    DuplicatedStopRequestException,
    InvalidApprovalTokenException,
    InvalidNextTokenException,
    PipelineExecutionNotFoundException,
    PipelineExecutionNotStoppableException,
    StageNotFoundException,
)
from codeconn.service.codepipeline.execution_views import (
    action_execution_detail,
    execution_summary,
    pipeline_execution,
    stage_states,
)
from codeconn.service.codepipeline.pipelines import existing_pipeline, find_pipeline
from codeconn.service.codepipeline.starting import check_overrides, start_execution
from codeconn.store import Store

DEFAULT_PAGE_SIZE = 100


def _pipeline(call: Call, name: str, resource: str | None = None) -> Pipeline:
    """The pipeline `name`, after the operation is decided on it (or on `resource` under it)."""
    found = find_pipeline(call, name)
    call.authorize(resource=resource or found.arn, resource_tags=found.tags)
    return existing_pipeline(call, found, name)


def executions_of(store: Store, pipeline: Pipeline) -> list[Execution]:
    """The pipeline's executions, newest first."""
    with store.read(pipeline.account_id) as reader:
        records = reader.list(EXECUTION.kind, where={"PipelineName": pipeline.name, "Region": pipeline.region})
    found = [Execution.from_record(record) for record in records]
    return sorted((e for e in found if e.pipeline_arn == pipeline.arn), key=lambda e: e.started, reverse=True)


def _execution(call: Call, pipeline: Pipeline, execution_id: str) -> Execution:
    with call.store.read(call.account_id) as reader:
        record = reader.get(EXECUTION.kind, execution_id)
    if record is None or Execution.from_record(record).pipeline_arn != pipeline.arn:
        raise PipelineExecutionNotFoundException(
            f"Pipeline execution with id {execution_id} not found for pipeline with name {pipeline.name}.")
    return Execution.from_record(record)


def start_pipeline_execution(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """StartPipelineExecution: a new execution of the current version (sourceRevisions pin a commit)."""
    pipeline = _pipeline(call, params["name"])
    overrides = [Override(o["actionName"], o["revisionType"], o["revisionValue"])
                 for o in params.get("sourceRevisions") or ()]
    check_overrides(pipeline, overrides)
    principal = call.caller.principal
    execution = start_execution(call.store, pipeline, call.now, "StartPipelineExecution",
                                principal.session_arn or principal.arn, overrides)
    return {"pipelineExecutionId": execution.execution_id}


def stop_pipeline_execution(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """StopPipelineExecution: Stopping (the running action finishes, nothing after it starts), or at once
    Stopped with `abandon` (a running action is Abandoned)."""
    pipeline = _pipeline(call, params["pipelineName"])
    execution_id = params["pipelineExecutionId"]
    _execution(call, pipeline, execution_id)
    reason = params.get("reason") or None
    with call.store.transaction(call.account_id) as tx:
        record = tx.get(EXECUTION.kind, execution_id)
        assert record is not None  # executions are deleted only with their pipeline
        execution = Execution.from_record(record)
        if execution.status is ExecutionStatus.STOPPING and not params.get("abandon"):
            raise DuplicatedStopRequestException(
                f"Execution {execution_id} is already being stopped; use abandon to stop it at once.")
        if execution.status.finished:
            raise PipelineExecutionNotStoppableException(
                f"Unable to stop pipeline execution {execution_id}: it is {execution.status.value}.")
        stopped = (execution.finished(ExecutionStatus.STOPPED, reason, call.now) if params.get("abandon")
                   else replace(execution, status=ExecutionStatus.STOPPING, status_summary=reason, updated=call.now))
        tx.update(stopped.to_record())
    _wake(call.store, execution_id, call, delete=stopped.status.finished)
    return {"pipelineExecutionId": execution_id}


def _wake(store: Store, execution_id: str, call: Call, *, delete: bool = False) -> None:
    """Make the execution's job ready (a stop or an approval answered), or delete it (the execution ended)."""
    with store.transaction(QUEUE_ACCOUNT) as queue:
        record = queue.get(JOB_KIND, execution_id)
        if record is None:
            return
        if delete:
            queue.delete(record.kind, record.id)
            return
        job = Job.from_record(record)
        if job.state is JobState.WAITING:
            queue.update(job.released(call.now, JobState.READY).to_record())


def get_pipeline_execution(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    pipeline = _pipeline(call, params["pipelineName"])
    return {"pipelineExecution": pipeline_execution(_execution(call, pipeline, params["pipelineExecutionId"]))}


def _page(call: Call, params: dict[str, Any], items: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    token = params.get("nextToken")
    if token is not None and (not token.isdigit() or int(token) > len(items)):
        raise InvalidNextTokenException(f"The next token {token} is not valid.")
    start = int(token) if token else 0
    size = params.get("maxResults") or DEFAULT_PAGE_SIZE
    more = start + size < len(items)
    return items[start:start + size], ({"nextToken": str(start + size)} if more else {})


def list_pipeline_executions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListPipelineExecutions: newest first; `filter.succeededInStage.stageName` keeps those that succeeded there."""
    pipeline = _pipeline(call, params["pipelineName"])
    executions = executions_of(call.store, pipeline)
    stage = ((params.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
    if stage:
        executions = [e for e in executions if any(r.stage == stage for r in e.runs)
                      and all(r.status is ActionStatus.SUCCEEDED for r in e.runs if r.stage == stage)]
    page, more = _page(call, params, executions)
    return {"pipelineExecutionSummaries": [execution_summary(e) for e in page], **more}


def get_pipeline_state(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    pipeline = _pipeline(call, params["name"])
    return {"pipelineName": pipeline.name, "pipelineVersion": pipeline.version,
            "stageStates": stage_states(pipeline, executions_of(call.store, pipeline)),
            "created": pipeline.created_at, "updated": pipeline.updated_at}


def list_action_executions(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """ListActionExecutions: every action run, newest first (of one execution with `filter`)."""
    pipeline = _pipeline(call, params["pipelineName"])
    wanted = (params.get("filter") or {}).get("pipelineExecutionId")
    executions = [_execution(call, pipeline, wanted)] if wanted else executions_of(call.store, pipeline)
    details = [(run.started, action_execution_detail(execution, run))
               for execution in executions for run in execution.runs]
    details.sort(key=lambda pair: pair[0], reverse=True)
    page, more = _page(call, params, [detail for _, detail in details])
    return {"actionExecutionDetails": page, **more}


def put_approval_result(call: Call, params: dict[str, Any]) -> dict[str, Any]:
    """PutApprovalResult: Approved lets the execution go on, Rejected fails the action (and the execution)."""
    name, stage, action = params["pipelineName"], params["stageName"], params["actionName"]
    found = find_pipeline(call, name)
    pipeline = _pipeline(call, name, resource=f"{found.arn}/{stage}/{action}")
    declared = next((s for s in pipeline.declaration.get("stages") or () if s["name"] == stage), None)
    if declared is None:
        raise StageNotFoundException(f"Stage {stage} not found in pipeline {name}.")
    if not any(a["name"] == action for a in declared.get("actions") or ()):
        raise ActionNotFoundException(f"Action {action} not found in stage {stage} of pipeline {name}.")
    token, result = params["token"], params["result"]
    for execution in executions_of(call.store, pipeline):
        run = execution.latest_run(stage, action)
        if run is None or run.token != token:
            continue
        if run.status is not ActionStatus.IN_PROGRESS or run.category != APPROVAL_CATEGORY:
            raise ApprovalAlreadyCompletedException(f"The approval action {action} has already been completed.")
        approved = result["status"] == "Approved"
        answered = replace(run, status=ActionStatus.SUCCEEDED if approved else ActionStatus.FAILED,
                           updated=call.now, summary=result.get("summary") or None,
                           error_code=None if approved else "JobFailed",
                           error_message=None if approved else f"Rejected: {result.get('summary') or 'no summary'}")
        with call.store.transaction(call.account_id) as tx:
            current = tx.get(EXECUTION.kind, execution.execution_id)
            latest = Execution.from_record(current) if current is not None else None
            if latest is None or (latest.run(run.run_id) or run).status is not ActionStatus.IN_PROGRESS:
                raise ApprovalAlreadyCompletedException(f"The approval action {action} has already been completed.")
            tx.update(latest.with_run(answered, call.now).to_record())
        _wake(call.store, execution.execution_id, call)
        return {"approvedAt": call.now}
    raise InvalidApprovalTokenException(f"The token {token} is not valid for action {action} in stage {stage}.")


__all__ = [
    "executions_of",
    "get_pipeline_execution",
    "get_pipeline_state",
    "list_action_executions",
    "list_pipeline_executions",
    "put_approval_result",
    "start_pipeline_execution",
    "stop_pipeline_execution",
]
