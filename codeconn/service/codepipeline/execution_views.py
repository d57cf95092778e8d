"""Executions in AWS's shapes: PipelineExecution, PipelineExecutionSummary, ActionExecutionDetail, StageState.

One function per shape, from the domain's `Execution` and `ActionRun`; the
operations only choose which executions to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codeconn.domain.pipeline_executions import (
    ActionRun,
    ActionStatus,
    Execution,
    ExecutionStatus,
    ordered_actions,
)
from codeconn.domain.pipelines import Pipeline

EXECUTION_MODE = "SUPERSEDED"
EXECUTION_TYPE = "STANDARD"


def _trigger(execution: Execution) -> dict[str, Any]:
    return {"triggerType": execution.trigger_type, "triggerDetail": execution.trigger_detail}


def _optional(**members: Any) -> dict[str, Any]:
    return {name: value for name, value in members.items() if value is not None}


def pipeline_execution(execution: Execution) -> dict[str, Any]:
    """GetPipelineExecution's PipelineExecution."""
    return {"pipelineName": execution.pipeline_name, "pipelineVersion": execution.pipeline_version,
            "pipelineExecutionId": execution.execution_id, "status": execution.status.value,
            **_optional(statusSummary=execution.status_summary),
            "artifactRevisions": [{"name": r.artifact, "revisionId": r.revision_id,
                                   **_optional(revisionSummary=r.summary, revisionUrl=r.url, created=r.created)}
                                  for r in execution.revisions],
            "variables": [], "trigger": _trigger(execution), "executionMode": EXECUTION_MODE,
            "executionType": EXECUTION_TYPE}


def execution_summary(execution: Execution) -> dict[str, Any]:
    """ListPipelineExecutions' PipelineExecutionSummary."""
    return {"pipelineExecutionId": execution.execution_id, "status": execution.status.value,
            **_optional(statusSummary=execution.status_summary),
            "startTime": execution.started, "lastUpdateTime": execution.updated,
            "sourceRevisions": [{"actionName": r.action, "revisionId": r.revision_id,
                                 **_optional(revisionSummary=r.summary, revisionUrl=r.url)}
                                for r in execution.revisions],
            "trigger": _trigger(execution), "executionMode": EXECUTION_MODE, "executionType": EXECUTION_TYPE}


def _input_locations(execution: Execution, run: ActionRun) -> list[dict[str, Any]]:
    """Each input artifact with the location its producing run put it at (the latest run that output it)."""
    produced = {output.name: output for earlier in execution.runs if earlier.status is ActionStatus.SUCCEEDED
                for output in earlier.outputs}
    return [{"name": name, **({"s3location": {"bucket": produced[name].bucket, "key": produced[name].key}}
                              if name in produced else {})} for name in run.input_artifacts]


def action_execution_detail(execution: Execution, run: ActionRun) -> dict[str, Any]:
    """ListActionExecutions' ActionExecutionDetail (the output's s3location is where the artifact is)."""
    role = execution.declaration.get("roleArn")
    result = _optional(externalExecutionSummary=run.summary,
                       errorDetails={"code": run.error_code, "message": run.error_message or ""}
                       if run.error_code else None)
    return {"pipelineExecutionId": execution.execution_id, "actionExecutionId": run.run_id,
            "pipelineVersion": execution.pipeline_version, "stageName": run.stage, "actionName": run.action,
            "startTime": run.started, "lastUpdateTime": run.updated, "status": run.status.value,
            "input": {"actionTypeId": dict(run.action_type), "configuration": dict(run.configuration),
                      "resolvedConfiguration": dict(run.configuration), **_optional(roleArn=role),
                      "region": execution.region, "inputArtifacts": _input_locations(execution, run)},
            "output": {"outputArtifacts": [{"name": o.name, "s3location": {"bucket": o.bucket, "key": o.key}}
                                           for o in run.outputs],
                       "executionResult": result, "outputVariables": dict(run.variables)}}


_STAGE_STATUS = {ActionStatus.IN_PROGRESS: "InProgress", ActionStatus.FAILED: "Failed",
                 ActionStatus.ABANDONED: "Stopped", ActionStatus.SUCCEEDED: "Succeeded"}


def _action_state(execution: Execution | None, stage: str, action: str) -> dict[str, Any]:
    run = execution.latest_run(stage, action) if execution is not None else None
    if run is None:
        return {"actionName": action}
    revision = next((r for r in execution.revisions if r.action == action), None) if execution else None
    latest = {"actionExecutionId": run.run_id, "status": run.status.value, "lastStatusChange": run.updated,
              **_optional(summary=run.summary, token=run.token if run.status is ActionStatus.IN_PROGRESS else None,
                          errorDetails={"code": run.error_code, "message": run.error_message or ""}
                          if run.error_code else None)}
    return {"actionName": action, "latestExecution": latest,
            **({"currentRevision": {"revisionId": revision.revision_id}} if revision else {})}


def _stage_status(execution: Execution, stage: str) -> str:
    runs = [run for run in execution.runs if run.stage == stage]
    statuses = {_STAGE_STATUS[run.status] for run in runs}
    for status in ("Failed", "Stopped", "InProgress"):
        if status in statuses:
            if status == "InProgress" and execution.status is ExecutionStatus.STOPPING:
                return "Stopping"
            return status
    return "Succeeded"


def stage_states(pipeline: Pipeline, executions: Sequence[Execution]) -> list[dict[str, Any]]:
    """GetPipelineState's StageStates: each stage as the latest execution in it (one with an action running
    there, else the latest that reached it) left it."""
    states = []
    for stage in pipeline.declaration.get("stages") or ():
        name = stage["name"]
        reached = [e for e in executions if any(run.stage == name for run in e.runs)]
        latest = next((e for e in reached if any(run.stage == name and run.status is ActionStatus.IN_PROGRESS
                                                 for run in e.runs)), reached[0] if reached else None)
        state: dict[str, Any] = {"stageName": name, "inboundTransitionState": {"enabled": True},
                                 "actionStates": [_action_state(latest, name, action["name"])
                                                  for action in ordered_actions(stage)]}
        if latest is not None:
            state["latestExecution"] = {"pipelineExecutionId": latest.execution_id,
                                        "status": _stage_status(latest, name)}
        states.append(state)
    return states


__all__ = ["action_execution_detail", "execution_summary", "pipeline_execution", "stage_states"]
