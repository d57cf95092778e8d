"""A push to a watched branch starts an execution that runs (issue 11's "a push to a watched branch
starts an execution"), with everything real: `codeconn serve`, boto3's codepipeline client,
the stock git CLI pushing through the git endpoint, the trigger dispatcher, the worker's
queue and the source action as the pipeline role's session.

The execution the push starts is AWS's shape for a connection's change detection
(a `Webhook` trigger naming the connection), runs on the pushed commit, and its
source artifact holds that commit's files; a push to another branch starts nothing.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from git_support import git, git_env
from pipeline_support import (
    WAIT_SECONDS,
    available_connection,
    declaration,
    files_of,
    git_archive,
    pipeline_role,
    repository,
    use_only_api_main,
    wait_for_approval,
    zip_files,
)
from serve_process import serve

pytestmark = pytest.mark.slow


def _executions(pipelines: Any) -> list[dict[str, Any]]:
    summaries: list[dict[str, Any]] = pipelines.list_pipeline_executions(pipelineName="api")[
        "pipelineExecutionSummaries"]
    return summaries


def _wait_for_count(pipelines: Any, count: int) -> list[dict[str, Any]]:
    """The executions once there are `count` of them (bounded: AssertionError after WAIT_SECONDS)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while len(found := _executions(pipelines)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} executions, expected {count}: {found}")
        time.sleep(0.2)
    return found


def test_a_push_to_main_runs_the_pipeline_on_the_pushed_commit(tmp_path: Path) -> None:
    data = tmp_path / "data"
    repositories = data / "repositories"
    repository(repositories, "acme", "api", files_of(3))
    with serve(data) as server:
        arn = available_connection(server.url)
        pipeline_role(server.client("iam"), use_only_api_main(arn))
        pipelines = server.client("codepipeline")
        pipelines.create_pipeline(pipeline=declaration(arn))
        [created] = _wait_for_count(pipelines, 1)
        assert created["trigger"]["triggerType"] == "CreatePipeline"

        env = git_env(tmp_path / "home", {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                                          "AWS_DEFAULT_REGION": "us-east-1"})
        work = tmp_path / "work"
        git(["clone", "-q", f"{server.url}/git/{arn.rsplit('/', 1)[1]}/acme/api.git", str(work)], env)
        (work / "pushed.txt").write_text("a pushed change\n")
        git(["add", "pushed.txt"], env, cwd=work)
        git(["commit", "-q", "-m", "pushed"], env, cwd=work)
        git(["push", "-q", "origin", "HEAD:refs/heads/main"], env, cwd=work)
        pushed = git(["rev-parse", "HEAD"], env, cwd=work).stdout.strip()

        newest = _wait_for_count(pipelines, 2)[0]
        assert newest["trigger"] == {"triggerType": "Webhook", "triggerDetail": arn}
        execution_id = newest["pipelineExecutionId"]
        wait_for_approval(pipelines, "api", execution_id)  # the source action has succeeded
        source = next(d for d in pipelines.list_action_executions(
            pipelineName="api", filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
            if d["actionName"] == "Source")
        assert source["output"]["outputVariables"]["CommitId"] == pushed
        location = source["output"]["outputArtifacts"][0]["s3location"]
        artifact = data / "artifacts" / location["bucket"] / location["key"]
        bare = repositories / "GitHub" / "acme" / "api.git"
        files = zip_files(artifact.read_bytes())
        assert files == git_archive(bare, pushed) and files["pushed.txt"] == b"a pushed change\n"

        git(["push", "-q", "origin", "HEAD:refs/heads/topic"], env, cwd=work)  # reported before push returns
        assert len(_executions(pipelines)) == 2
        assert server.stop() == 0
