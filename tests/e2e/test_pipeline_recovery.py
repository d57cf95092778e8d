"""Executions survive the server: a restart resumes what was running, and replicas run each execution once.

Restart: the server is stopped while an execution waits for its approval, and the
store is then left as a killed server leaves it (the source action InProgress, its
job still leased by a replica that is gone, the lease run out); after the restart
the waiting execution is still waiting, and the interrupted one is resumed and
reaches its approval. Replicas: two `codeconn serve` on one PostgreSQL database
(own data directories, one secret key) run a batch of executions; each execution's
provider calls are decided exactly once, by one replica.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pipeline_support import (
    available_connection,
    declaration,
    files_of,
    latest_execution,
    pipeline_role,
    repository,
    use_only_api_main,
    wait_for,
    wait_for_approval,
)
from serve_process import serve

from codeconn.domain.pipeline_executions import EXECUTION, Execution, ExecutionStatus, new_run
from codeconn.domain.pipeline_jobs import JOB_KIND, QUEUE_ACCOUNT, Job, JobState
from codeconn.store.sql import open_store

pytestmark = pytest.mark.slow
ACCOUNT = "000000000000"


def leave_as_killed(data: Path, execution_id: str) -> None:
    """The source action InProgress, its job leased by a replica that died (the lease ran out)."""
    store = open_store(data_dir=data)
    try:
        with store.transaction(ACCOUNT) as tx:
            record = tx.get(EXECUTION.kind, execution_id)
            assert record is not None
            execution = Execution.from_record(record)
            source = execution.declaration["stages"][0]["actions"][0]
            interrupted = replace(execution, status=ExecutionStatus.IN_PROGRESS, revisions=(), runs=(),
                                  status_summary=None).with_run(new_run("Source", source, execution.started),
                                                                execution.started)
            tx.update(interrupted.to_record())
        with store.transaction(QUEUE_ACCOUNT) as tx:
            job_record = tx.get(JOB_KIND, execution_id)
            assert job_record is not None
            job = Job.from_record(job_record)
            tx.update(replace(job, state=JobState.READY, owner="worker-that-died",
                              lease_until=job.created - timedelta(seconds=1), claims=1).to_record())
    finally:
        store.close()


def test_a_restart_resumes_the_interrupted_execution_and_keeps_the_waiting_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    repository(data / "repositories", "acme", "api", files_of())
    with serve(data) as server:
        arn = available_connection(server.url)
        pipeline_role(server.client("iam"), use_only_api_main(arn))
        pipelines = server.client("codepipeline")
        pipelines.create_pipeline(pipeline=declaration(arn))
        interrupted = latest_execution(pipelines, "api")
        wait_for_approval(pipelines, "api", interrupted)
        waiting = pipelines.start_pipeline_execution(name="api")["pipelineExecutionId"]
        wait_for_approval(pipelines, "api", waiting)
        assert server.stop() == 0
    leave_as_killed(data, interrupted)

    with serve(data) as restarted:
        pipelines = restarted.client("codepipeline")
        assert pipelines.get_pipeline_execution(pipelineName="api", pipelineExecutionId=waiting)[
            "pipelineExecution"]["status"] == "InProgress"
        pipelines.stop_pipeline_execution(pipelineName="api", pipelineExecutionId=waiting, abandon=True,
                                          reason="not needed")
        stopped = wait_for(pipelines, "api", waiting, ("Stopped",))
        assert stopped["statusSummary"] == "not needed"
        token = wait_for_approval(pipelines, "api", interrupted)  # the source action ran again
        runs = pipelines.list_action_executions(pipelineName="api", filter={"pipelineExecutionId": interrupted})
        assert [d["status"] for d in runs["actionExecutionDetails"] if d["actionName"] == "Source"] == ["Succeeded"]
        pipelines.put_approval_result(pipelineName="api", stageName="Approve", actionName="Approve",
                                      result={"summary": "ok", "status": "Approved"}, token=token)
        assert wait_for(pipelines, "api", interrupted, ("Succeeded", "Failed"))["status"] == "Succeeded"
        assert restarted.stop() == 0


EXECUTIONS = 6


def test_two_replicas_run_each_execution_once(tmp_path: Path, postgres_url: str) -> None:
    key = tmp_path / "secret.key"
    one_data, two_data = tmp_path / "one", tmp_path / "two"
    for data in (one_data, two_data):
        repository(data / "repositories", "acme", "api", files_of(4))
    shared = ("--database-url", postgres_url, "--secret-key-file", str(key))
    with serve(one_data, *shared) as one, serve(two_data, *shared) as two:
        arn = available_connection(one.url)
        pipeline_role(one.client("iam"), use_only_api_main(arn))
        one.client("codepipeline").create_pipeline(pipeline=declaration(arn))
        started = [latest_execution(one.client("codepipeline"), "api")]
        started += [(one, two)[n % 2].client("codepipeline").start_pipeline_execution(name="api")[
            "pipelineExecutionId"] for n in range(EXECUTIONS - 1)]
        for execution_id in started:
            wait_for_approval(two.client("codepipeline"), "api", execution_id)
        assert one.stop() == 0 and two.stop() == 0
    decided: dict[str, list[tuple[str, str]]] = {}
    for data in (one_data, two_data):
        audit = data / "audit.jsonl"
        for line in audit.read_text().splitlines() if audit.exists() else ():
            record = json.loads(line)
            for decision in record.get("decisions") or ():
                if decision["action"].endswith(":UseConnection"):
                    decided.setdefault(decision["pipelineExecutionId"], []).append(
                        (data.name, decision["providerAction"]))
    assert sorted(decided) == sorted(started)
    for execution_id, decisions in decided.items():
        assert len({replica for replica, _ in decisions}) == 1, decisions
        assert sorted(action for _, action in decisions) == [
            "GetBranch", "GetUploadArchiveToS3Status", "StartUploadArchiveToS3"], decisions
