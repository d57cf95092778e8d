"""A pipeline execution: its record, its action runs, and the state machine that says what runs next.

An execution is kept in its pipeline's account, with a copy of the declaration it
runs (an UpdatePipeline or DeletePipeline mid-run changes nothing for it):

    pipeline_execution   id = the pipelineExecutionId, name = the pipeline's name
        {"Region", "PipelineName", "PipelineVersion", "Status", "StatusSummary",
         "Trigger": {"triggerType", "triggerDetail"}, "Overrides": [SourceRevisionOverride],
         "Declaration": PipelineDeclaration, "Revisions": [ArtifactRevision], "Runs": [ActionRun]}

`next_step` is the whole state machine: from the runs recorded so far it answers
the one thing to do next (run an action, wait for an approval, or finish with a
status). The worker only carries that out and records what happened, so a worker
that stops at any point and another that reads the record later agree on what
comes next: an action recorded InProgress (the worker stopped while it ran) is run
again; an approval InProgress is waited for.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from codeconn.domain.arns import ResourceKind
from codeconn.domain.pipelines import Pipeline
from codeconn.store import Record

EXECUTION = ResourceKind("pipeline_execution", "execution", "Pipeline execution")


class ExecutionStatus(StrEnum):
    """AWS's PipelineExecutionStatus."""

    CANCELLED = "Cancelled"
    IN_PROGRESS = "InProgress"
    STOPPED = "Stopped"
    STOPPING = "Stopping"
    SUCCEEDED = "Succeeded"
    SUPERSEDED = "Superseded"
    FAILED = "Failed"

    @property
    def finished(self) -> bool:
        return self not in (ExecutionStatus.IN_PROGRESS, ExecutionStatus.STOPPING)


class ActionStatus(StrEnum):
    """AWS's ActionExecutionStatus."""

    IN_PROGRESS = "InProgress"
    ABANDONED = "Abandoned"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


SOURCE_CATEGORY = "Source"
APPROVAL_CATEGORY = "Approval"
RUN_CATEGORIES = frozenset({SOURCE_CATEGORY, APPROVAL_CATEGORY})
"""The action categories codeconn runs; any other is recorded as not run, and the execution fails there."""


@dataclass(frozen=True, slots=True)
class OutputArtifact:
    """An output artifact of a run and where it was put (ListActionExecutions' s3location)."""

    name: str
    bucket: str
    key: str


@dataclass(frozen=True, slots=True)
class ActionRun:
    """One execution of one action (AWS's ActionExecutionDetail)."""

    stage: str
    action: str
    run_id: str
    status: ActionStatus
    started: datetime
    updated: datetime
    action_type: Mapping[str, str] = field(default_factory=dict)
    configuration: Mapping[str, Any] = field(default_factory=dict)
    input_artifacts: tuple[str, ...] = ()
    outputs: tuple[OutputArtifact, ...] = ()
    summary: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    token: str | None = None  # a manual approval's token, for PutApprovalResult
    variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def category(self) -> str:
        return str(self.action_type.get("category", ""))

    def to_json(self) -> dict[str, Any]:
        return {"Stage": self.stage, "Action": self.action, "RunId": self.run_id, "Status": self.status.value,
                "Started": self.started.isoformat(), "Updated": self.updated.isoformat(),
                "ActionType": dict(self.action_type), "Configuration": dict(self.configuration),
                "InputArtifacts": list(self.input_artifacts),
                "Outputs": [{"Name": o.name, "Bucket": o.bucket, "Key": o.key} for o in self.outputs],
                "Summary": self.summary, "ErrorCode": self.error_code, "ErrorMessage": self.error_message,
                "Token": self.token, "Variables": dict(self.variables)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ActionRun:
        return cls(stage=data["Stage"], action=data["Action"], run_id=data["RunId"],
                   status=ActionStatus(data["Status"]), started=datetime.fromisoformat(data["Started"]),
                   updated=datetime.fromisoformat(data["Updated"]), action_type=dict(data["ActionType"]),
                   configuration=dict(data["Configuration"]), input_artifacts=tuple(data["InputArtifacts"]),
                   outputs=tuple(OutputArtifact(o["Name"], o["Bucket"], o["Key"]) for o in data["Outputs"]),
                   summary=data.get("Summary"), error_code=data.get("ErrorCode"),
                   error_message=data.get("ErrorMessage"), token=data.get("Token"),
                   variables=dict(data.get("Variables") or {}))


@dataclass(frozen=True, slots=True)
class Revision:
    """AWS's ArtifactRevision / SourceRevision: what a source action fetched."""

    action: str
    artifact: str
    revision_id: str
    summary: str | None = None
    url: str | None = None
    created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """AWS's SourceRevisionOverride (revisionType COMMIT_ID, IMAGE_DIGEST, S3_OBJECT_VERSION_ID, S3_OBJECT_KEY)."""

    action: str
    revision_type: str
    revision_value: str


@dataclass(frozen=True, slots=True)
class Execution:
    """A pipeline execution (see the module docstring)."""

    execution_id: str
    account_id: str
    region: str
    pipeline_arn: str
    pipeline_name: str
    pipeline_version: int
    declaration: Mapping[str, Any]
    status: ExecutionStatus
    started: datetime
    updated: datetime
    trigger_type: str
    trigger_detail: str = ""
    status_summary: str | None = None
    overrides: tuple[Override, ...] = ()
    revisions: tuple[Revision, ...] = ()
    runs: tuple[ActionRun, ...] = ()

    @property
    def arn(self) -> str:
        """The record's ARN (AWS gives executions none; this one only keeps the store's ARNs unique)."""
        return f"{self.pipeline_arn}:execution/{self.execution_id}"

    @classmethod
    def new(cls, pipeline: Pipeline, now: datetime, trigger_type: str, trigger_detail: str = "",
            overrides: Sequence[Override] = ()) -> Execution:
        return cls(str(uuid.uuid4()), pipeline.account_id, pipeline.region, pipeline.arn, pipeline.name,
                   pipeline.version, pipeline.declaration, ExecutionStatus.IN_PROGRESS, now, now, trigger_type,
                   trigger_detail, None, tuple(overrides))

    def latest_run(self, stage: str, action: str) -> ActionRun | None:
        return next((run for run in reversed(self.runs) if (run.stage, run.action) == (stage, action)), None)

    def run(self, run_id: str) -> ActionRun | None:
        return next((run for run in self.runs if run.run_id == run_id), None)

    def override_for(self, action: str) -> Override | None:
        return next((o for o in self.overrides if o.action == action), None)

    def with_run(self, run: ActionRun, now: datetime) -> Execution:
        """The execution with `run` recorded (replacing the run of the same id)."""
        runs = [existing for existing in self.runs if existing.run_id != run.run_id]
        return replace(self, runs=(*runs, run), updated=now)

    def with_revision(self, revision: Revision, now: datetime) -> Execution:
        kept = tuple(r for r in self.revisions if r.action != revision.action)
        return replace(self, revisions=(*kept, revision), updated=now)

    def finished(self, status: ExecutionStatus, summary: str | None, now: datetime) -> Execution:
        """The execution ended; runs still InProgress (an approval) are Abandoned."""
        runs = tuple(replace(run, status=ActionStatus.ABANDONED, updated=now)
                     if run.status is ActionStatus.IN_PROGRESS else run for run in self.runs)
        return replace(self, status=status, status_summary=summary, runs=runs, updated=now)

    def to_record(self) -> Record:
        return Record(account_id=self.account_id, kind=EXECUTION.kind, id=self.execution_id, arn=self.arn,
                      name=self.pipeline_name, created_at=self.started, updated_at=self.updated, data={
                          "Region": self.region, "PipelineName": self.pipeline_name,
                          "PipelineArn": self.pipeline_arn, "PipelineVersion": self.pipeline_version,
                          "Status": self.status.value, "StatusSummary": self.status_summary,
                          "Trigger": {"triggerType": self.trigger_type, "triggerDetail": self.trigger_detail},
                          "Overrides": [{"actionName": o.action, "revisionType": o.revision_type,
                                         "revisionValue": o.revision_value} for o in self.overrides],
                          "Declaration": dict(self.declaration),
                          "Revisions": [{"actionName": r.action, "name": r.artifact, "revisionId": r.revision_id,
                                         "revisionSummary": r.summary, "revisionUrl": r.url,
                                         "created": r.created.isoformat() if r.created else None}
                                        for r in self.revisions],
                          "Runs": [run.to_json() for run in self.runs]})

    @classmethod
    def from_record(cls, record: Record) -> Execution:
        data = record.data
        return cls(execution_id=record.id, account_id=record.account_id, region=data["Region"],
                   pipeline_arn=data["PipelineArn"], pipeline_name=data["PipelineName"],
                   pipeline_version=int(data["PipelineVersion"]), declaration=dict(data["Declaration"]),
                   status=ExecutionStatus(data["Status"]), started=record.created_at, updated=record.updated_at,
                   trigger_type=data["Trigger"]["triggerType"], trigger_detail=data["Trigger"]["triggerDetail"],
                   status_summary=data.get("StatusSummary"),
                   overrides=tuple(Override(o["actionName"], o["revisionType"], o["revisionValue"])
                                   for o in data["Overrides"]),
                   revisions=tuple(Revision(r["actionName"], r["name"], r["revisionId"], r.get("revisionSummary"),
                                            r.get("revisionUrl"),
                                            datetime.fromisoformat(r["created"]) if r.get("created") else None)
                                   for r in data["Revisions"]),
                   runs=tuple(ActionRun.from_json(run) for run in data["Runs"]))


# -- the state machine ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RunAction:
    """Run this action (declared in `stage`); `resumed` when a run of it was left InProgress."""

    stage: str
    action: Mapping[str, Any]
    resumed: bool = False


@dataclass(frozen=True, slots=True)
class WaitForApproval:
    """A manual approval is pending: nothing runs until PutApprovalResult."""

    run_id: str


@dataclass(frozen=True, slots=True)
class Finish:
    """The execution ends with `status`."""

    status: ExecutionStatus
    summary: str | None = None


Step = RunAction | WaitForApproval | Finish


def ordered_actions(stage: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A stage's actions in the order they run: by runOrder (default 1), then as declared."""
    indexed = list(enumerate(stage.get("actions") or ()))
    return [action for _, action in sorted(indexed, key=lambda pair: (pair[1].get("runOrder") or 1, pair[0]))]


def next_step(execution: Execution) -> Step:
    """What happens next (see the module docstring); a finished execution answers its own status."""
    if execution.status.finished:
        return Finish(execution.status, execution.status_summary)
    if execution.status is ExecutionStatus.STOPPING:
        return Finish(ExecutionStatus.STOPPED, execution.status_summary)
    for stage in execution.declaration.get("stages") or ():
        for action in ordered_actions(stage):
            run = execution.latest_run(stage["name"], action["name"])
            if run is None:
                return RunAction(stage["name"], action)
            if run.status is ActionStatus.SUCCEEDED:
                continue
            if run.status is ActionStatus.IN_PROGRESS:
                if run.category == APPROVAL_CATEGORY:
                    return WaitForApproval(run.run_id)
                return RunAction(stage["name"], action, resumed=True)
            if run.status is ActionStatus.ABANDONED:
                return Finish(ExecutionStatus.STOPPED, execution.status_summary)
            return Finish(ExecutionStatus.FAILED, f"Action {action['name']} in stage {stage['name']} failed: "
                                                  f"{run.error_message or run.error_code or 'no reason given'}")
    return Finish(ExecutionStatus.SUCCEEDED)


def new_run(stage: str, action: Mapping[str, Any], now: datetime) -> ActionRun:
    """An InProgress run of `action`, before anything of it happened."""
    return ActionRun(stage=stage, action=str(action["name"]), run_id=str(uuid.uuid4()),
                     status=ActionStatus.IN_PROGRESS, started=now, updated=now,
                     action_type={key: str(value) for key, value in (action.get("actionTypeId") or {}).items()},
                     configuration=dict(action.get("configuration") or {}),
                     input_artifacts=tuple(a["name"] for a in action.get("inputArtifacts") or ()))


__all__ = [
    "APPROVAL_CATEGORY",
    "EXECUTION",
    "RUN_CATEGORIES",
    "SOURCE_CATEGORY",
    "ActionRun",
    "ActionStatus",
    "Execution",
    "ExecutionStatus",
    "Finish",
    "OutputArtifact",
    "Override",
    "Revision",
    "RunAction",
    "Step",
    "WaitForApproval",
    "new_run",
    "next_step",
    "ordered_actions",
]
