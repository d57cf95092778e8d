"""StoreStarter: the trigger seam's PipelineStarter queues an execution with the trigger and any pinned commit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from codeconn.domain.pipeline_executions import EXECUTION, Execution, Override
from codeconn.domain.pipeline_jobs import JOB_KIND, QUEUE_ACCOUNT
from codeconn.domain.pipelines import Pipeline
from codeconn.pipelines.changes import ExecutionTrigger, PipelineStarter, SourceRevisionOverride
from codeconn.pipelines.starter import PipelineGone, StoreStarter
from codeconn.store import Store
from codeconn.store.sql import open_store

ACCOUNT = "111122223333"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
DECLARATION = {"name": "api", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
               "artifactStore": {"type": "S3", "location": "b"}, "stages": []}


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store("sqlite://")
    yield opened
    opened.close()


def test_starts_an_execution_with_the_trigger_and_the_commit(store: Store) -> None:
    pipeline = Pipeline.new(ACCOUNT, "us-east-1", DECLARATION, NOW)
    with store.transaction(ACCOUNT) as tx:
        tx.insert(pipeline.to_record())
    woken: list[bool] = []
    starter: PipelineStarter = StoreStarter(store, clock=lambda: NOW, on_start=lambda: woken.append(True))
    execution_id = starter.start(pipeline.arn, ExecutionTrigger("WebhookV2", "refs/heads/main"),
                                 [SourceRevisionOverride("Source", "COMMIT_ID", "abc123")])
    with store.read(ACCOUNT) as reader:
        record = reader.get(EXECUTION.kind, execution_id)
    assert record is not None
    execution = Execution.from_record(record)
    assert (execution.trigger_type, execution.trigger_detail) == ("WebhookV2", "refs/heads/main")
    assert execution.overrides == (Override("Source", "COMMIT_ID", "abc123"),)
    with store.read(QUEUE_ACCOUNT) as reader:
        assert reader.get(JOB_KIND, execution_id) is not None
    assert woken == [True]


def test_a_pipeline_that_is_gone_is_said(store: Store) -> None:
    with pytest.raises(PipelineGone):
        StoreStarter(store).start(f"arn:aws:codepipeline:us-east-1:{ACCOUNT}:nope", ExecutionTrigger("Webhook", ""))
    with pytest.raises(PipelineGone):
        StoreStarter(store).start("not-an-arn", ExecutionTrigger("Webhook", ""))
