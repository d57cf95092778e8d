"""The worker's loop and its leases on an in-memory store: claims, approvals, stops, resumption, bounds.

These executions hold no source action (the source action needs IAM and a provider:
the end-to-end tests run it); the worker meets what the state machine says the
same way whatever the action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from codeconn.domain.pipeline_executions import EXECUTION, ActionStatus, Execution, ExecutionStatus, new_run
from codeconn.domain.pipeline_jobs import JOB_KIND, QUEUE_ACCOUNT, Job, JobState
from codeconn.domain.pipelines import Pipeline
from codeconn.pipelines.leases import Leases
from codeconn.pipelines.runtime import Runtime
from codeconn.pipelines.worker import PipelineWorker
from codeconn.service.codepipeline.starting import start_execution
from codeconn.store import Store
from codeconn.store.sql import open_store

ACCOUNT = "111122223333"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def act(name: str, category: str, provider: str = "Manual") -> dict[str, Any]:
    return {"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"}}


DECLARATION = {"name": "p", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r", "artifactStore": {"type": "S3", "location": "b"},
               "stages": [{"name": "Gate", "actions": [act("Approve", "Approval")]},
                          {"name": "Build", "actions": [act("Build", "Build", "CodeBuild")]}]}


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store("sqlite://")
    yield opened
    opened.close()


def worker(store: Store, clock: Clock, owner: str = "a", **options: Any) -> PipelineWorker:
    runtime = Runtime(store, cast(Any, None), cast(Any, None), cast(Any, None), cast(Any, None), cast(Any, None),
                      clock=clock)
    return PipelineWorker(runtime, owner=owner, lease=timedelta(seconds=30), **options)


def started(store: Store, clock: Clock) -> Execution:
    return start_execution(store, Pipeline.new(ACCOUNT, "us-east-1", DECLARATION, clock()), clock(), "CreatePipeline")


def load(store: Store, execution_id: str) -> Execution:
    with store.read(ACCOUNT) as reader:
        record = reader.get(EXECUTION.kind, execution_id)
    assert record is not None
    return Execution.from_record(record)


def job(store: Store, execution_id: str) -> Job | None:
    with store.read(QUEUE_ACCOUNT) as reader:
        record = reader.get(JOB_KIND, execution_id)
    return Job.from_record(record) if record is not None else None


def approve(store: Store, clock: Clock, execution_id: str) -> None:
    execution = load(store, execution_id)
    run = execution.latest_run("Gate", "Approve")
    assert run is not None and run.token
    with store.transaction(ACCOUNT) as tx:
        tx.update(execution.with_run(replace(run, status=ActionStatus.SUCCEEDED), clock()).to_record())
    Leases(store, "api", timedelta(seconds=1)).wake(execution_id, clock())


def test_approval_waits_then_an_unrun_category_fails_the_execution(store: Store) -> None:
    clock = Clock()
    execution = started(store, clock)
    one = worker(store, clock)
    assert one.run_once()
    assert job(store, execution.execution_id).state is JobState.WAITING  # type: ignore[union-attr]
    assert not one.run_once()  # nothing ready while the approval waits
    approve(store, clock, execution.execution_id)
    assert one.run_once()
    done = load(store, execution.execution_id)
    assert done.status is ExecutionStatus.FAILED
    build = done.latest_run("Build", "Build")
    assert build is not None and build.status is ActionStatus.FAILED
    assert build.error_message is not None and "codeconn does not run Build actions" in build.error_message
    assert job(store, execution.execution_id) is None


def test_a_job_is_claimed_by_one_worker_until_its_lease_runs_out(store: Store) -> None:
    clock = Clock()
    execution = started(store, clock)
    first, second = Leases(store, "a", timedelta(seconds=30)), Leases(store, "b", timedelta(seconds=30))
    assert first.claim(clock()) is not None
    assert second.claim(clock()) is None
    clock.now += timedelta(seconds=31)  # replica a died: its lease ran out
    taken = second.claim(clock())
    assert taken is not None and taken.owner == "b" and taken.claims == 2
    assert not first.renew(execution.execution_id, clock())  # a learns it lost the job
    assert second.renew(execution.execution_id, clock())


def test_an_action_left_in_progress_is_resumed_but_not_forever(store: Store) -> None:
    clock = Clock()
    declaration = {**DECLARATION, "stages": [DECLARATION["stages"][1], DECLARATION["stages"][0]]}
    execution = start_execution(store, Pipeline.new(ACCOUNT, "us-east-1", declaration, clock()), clock(), "x")
    interrupted = execution.with_run(new_run("Build", declaration["stages"][0]["actions"][0], clock()), clock())
    with store.transaction(ACCOUNT) as tx:
        tx.update(interrupted.to_record())
    with store.transaction(QUEUE_ACCOUNT) as tx:
        tx.update(replace(Job.new(execution.execution_id, ACCOUNT, clock()), claims=3).to_record())
    assert worker(store, clock, max_claims=3).run_once()
    done = load(store, execution.execution_id)
    assert done.status is ExecutionStatus.FAILED
    assert "codeconn stopped 3 times while this action ran" in (done.status_summary or "")


def test_stopping_is_honoured_at_the_next_step(store: Store) -> None:
    clock = Clock()
    execution = started(store, clock)
    with store.transaction(ACCOUNT) as tx:
        tx.update(replace(execution, status=ExecutionStatus.STOPPING, status_summary="no").to_record())
    assert worker(store, clock).run_once()
    done = load(store, execution.execution_id)
    assert (done.status, done.status_summary) == (ExecutionStatus.STOPPED, "no")


def test_a_job_without_its_execution_is_dropped_after_a_while(store: Store) -> None:
    clock = Clock()
    with store.transaction(QUEUE_ACCOUNT) as tx:
        tx.insert(Job.new("gone", ACCOUNT, clock()).to_record())
    one = worker(store, clock)
    assert one.run_once()
    assert job(store, "gone") is not None  # its execution may not be committed yet
    clock.now += timedelta(minutes=2)
    assert one.run_once()
    assert job(store, "gone") is None


def test_the_worker_threads_start_and_stop(store: Store) -> None:
    clock = Clock()
    one = worker(store, clock, poll_interval=0.01)
    one.start()
    one.stop(5.0)
    assert one._threads == []
