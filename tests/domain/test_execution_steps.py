"""The execution state machine (`next_step`): what comes next, from the runs recorded so far."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from codeconn.domain.pipeline_executions import (
    ActionStatus,
    Execution,
    ExecutionStatus,
    Finish,
    RunAction,
    WaitForApproval,
    new_run,
    next_step,
    ordered_actions,
)
from codeconn.domain.pipelines import Pipeline

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def act(name: str, category: str, run_order: int = 1) -> dict[str, Any]:
    return {"name": name, "runOrder": run_order,
            "actionTypeId": {"category": category, "owner": "AWS", "provider": "X", "version": "1"}}


DECLARATION = {"name": "p", "roleArn": "arn:aws:iam::111122223333:role/r",
               "artifactStore": {"type": "S3", "location": "b"},
               "stages": [{"name": "Source", "actions": [act("Src", "Source")]},
                          {"name": "Gate", "actions": [act("Later", "Approval", 2), act("First", "Approval", 1)]}]}


def execution(*runs: tuple[str, str, ActionStatus]) -> Execution:
    pipeline = Pipeline.new("111122223333", "us-east-1", DECLARATION, NOW)
    started = Execution.new(pipeline, NOW, "StartPipelineExecution")
    actions = {a["name"]: (s["name"], a) for s in DECLARATION["stages"] for a in s["actions"]}
    for name, _, status in runs:
        stage, declared = actions[name]
        started = started.with_run(replace(new_run(stage, declared, NOW), status=status), NOW)
    return started


def test_the_first_action_runs_first() -> None:
    step = next_step(execution())
    assert isinstance(step, RunAction) and step.action["name"] == "Src" and not step.resumed


def test_run_order_decides_within_a_stage() -> None:
    assert [a["name"] for a in ordered_actions(DECLARATION["stages"][1])] == ["First", "Later"]
    step = next_step(execution(("Src", "", ActionStatus.SUCCEEDED)))
    assert isinstance(step, RunAction) and step.action["name"] == "First"


def test_an_action_left_in_progress_is_run_again() -> None:
    step = next_step(execution(("Src", "", ActionStatus.IN_PROGRESS)))
    assert isinstance(step, RunAction) and step.resumed


def test_a_pending_approval_is_waited_for() -> None:
    assert isinstance(next_step(execution(("Src", "", ActionStatus.SUCCEEDED),
                                          ("First", "", ActionStatus.IN_PROGRESS))), WaitForApproval)


@pytest.mark.parametrize(("runs", "status"), [
    ((("Src", "", ActionStatus.FAILED),), ExecutionStatus.FAILED),
    ((("Src", "", ActionStatus.ABANDONED),), ExecutionStatus.STOPPED),
    ((("Src", "", ActionStatus.SUCCEEDED), ("First", "", ActionStatus.SUCCEEDED), ("Later", "", ActionStatus.SUCCEEDED)),
     ExecutionStatus.SUCCEEDED),
])
def test_finishing(runs: tuple[tuple[str, str, ActionStatus], ...], status: ExecutionStatus) -> None:
    step = next_step(execution(*runs))
    assert isinstance(step, Finish) and step.status is status


def test_a_failure_says_where() -> None:
    failed = execution()
    run = replace(new_run("Source", act("Src", "Source"), NOW), status=ActionStatus.FAILED, error_message="denied")
    step = next_step(failed.with_run(run, NOW))
    assert step == Finish(ExecutionStatus.FAILED, "Action Src in stage Source failed: denied")


def test_stopping_finishes_as_stopped_and_abandons_what_runs() -> None:
    running = execution(("Src", "", ActionStatus.SUCCEEDED), ("First", "", ActionStatus.IN_PROGRESS))
    step = next_step(replace(running, status=ExecutionStatus.STOPPING))
    assert isinstance(step, Finish) and step.status is ExecutionStatus.STOPPED
    stopped = running.finished(ExecutionStatus.STOPPED, "enough", NOW)
    assert [run.status for run in stopped.runs] == [ActionStatus.SUCCEEDED, ActionStatus.ABANDONED]


def test_the_record_round_trips() -> None:
    recorded = execution(("Src", "", ActionStatus.SUCCEEDED), ("First", "", ActionStatus.IN_PROGRESS))
    assert Execution.from_record(recorded.to_record()) == recorded
