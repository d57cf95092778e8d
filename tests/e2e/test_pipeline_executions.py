"""Pipeline executions end to end: boto3's codepipeline client against `codeconn serve` (issue 11 part B).

A pipeline whose role may only use the connection for acme/api on main runs its
source action (every provider call a UseConnection decision as the role's session),
waits for its manual approval, and succeeds; its CODE_ZIP artifact, where
ListActionExecutions says it is, holds exactly the files of `git archive` of the
commit. The same pipeline pointed at acme/web fails, and the failure names
UseConnection, the connection and the role. Each decision is in the audit log with
the pipeline, the execution and the action.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from pipeline_support import (
    ROLE,
    available_connection,
    declaration,
    files_of,
    git_archive,
    latest_execution,
    pipeline_role,
    repository,
    use_only_api_main,
    wait_for,
    wait_for_approval,
    zip_files,
)
from serve_process import serve

pytestmark = pytest.mark.slow


def test_source_artifact_is_the_commit_and_other_repositories_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    repositories = data / "repositories"
    api_commit = repository(repositories, "acme", "api", files_of())
    repository(repositories, "acme", "web", {"index.html": b"<p>web</p>\n"})
    with serve(data) as server:
        arn = available_connection(server.url)
        pipeline_role(server.client("iam"), use_only_api_main(arn))
        pipelines = server.client("codepipeline")
        pipelines.create_pipeline(pipeline=declaration(arn))

        execution_id = latest_execution(pipelines, "api")
        summary = pipelines.list_pipeline_executions(pipelineName="api")["pipelineExecutionSummaries"][0]
        assert summary["trigger"]["triggerType"] == "CreatePipeline"
        token = wait_for_approval(pipelines, "api", execution_id)
        pipelines.put_approval_result(pipelineName="api", stageName="Approve", actionName="Approve",
                                      result={"summary": "looks good", "status": "Approved"}, token=token)
        done = wait_for(pipelines, "api", execution_id, ("Succeeded", "Failed"))
        assert done["status"] == "Succeeded", done
        assert [(r["name"], r["revisionId"]) for r in done["artifactRevisions"]] == [("SourceOutput", api_commit)]
        listed = pipelines.list_pipeline_executions(pipelineName="api")["pipelineExecutionSummaries"][0]
        assert listed["sourceRevisions"][0]["revisionId"] == api_commit

        details = pipelines.list_action_executions(
            pipelineName="api", filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
        source = next(d for d in details if d["actionName"] == "Source")
        location = source["output"]["outputArtifacts"][0]["s3location"]
        assert location["bucket"] == "artifacts"
        artifact = data / "artifacts" / location["bucket"] / location["key"]
        archived = git_archive(repositories / "GitHub" / "acme" / "api.git", api_commit)
        assert zip_files(artifact.read_bytes()) == archived
        assert sorted(archived) == sorted(files_of())

        with pytest.raises(ClientError) as stopped_twice:
            pipelines.stop_pipeline_execution(pipelineName="api", pipelineExecutionId=execution_id)
        assert stopped_twice.value.response["Error"]["Code"] == "PipelineExecutionNotStoppableException"

        pipelines.update_pipeline(pipeline=declaration(arn, repository="acme/web"))
        web_id = pipelines.start_pipeline_execution(name="api")["pipelineExecutionId"]
        failed = wait_for(pipelines, "api", web_id, ("Succeeded", "Failed"))
        assert failed["status"] == "Failed"
        web_source = next(d for d in pipelines.list_action_executions(
            pipelineName="api", filter={"pipelineExecutionId": web_id})["actionExecutionDetails"]
            if d["actionName"] == "Source")
        message = web_source["output"]["executionResult"]["errorDetails"]["message"]
        assert "is not authorized to perform: codestar-connections:UseConnection on resource: " + arn in message
        assert "assumed-role/PipelineRole/" in message and ROLE in message
        assert web_source["status"] == "Failed"
        assert server.stop() == 0

    audit = subprocess.run([sys.executable, "-m", "codeconn", "audit", "--data-dir", str(data), "--pipeline", "api",
                            "--json"], capture_output=True, text=True, check=True).stdout
    lines = [json.loads(line) for line in audit.splitlines()]
    uses = [d for line in lines for d in line["decisions"] if d["action"].endswith(":UseConnection")]
    assert {(d["providerAction"], d["decision"]) for d in uses if d["pipelineExecutionId"] == execution_id} == {
        ("GetBranch", "allowed"), ("StartUploadArchiveToS3", "allowed"), ("GetUploadArchiveToS3Status", "allowed")}
    assert [(d["providerAction"], d["repository"], d["decision"], d["actionName"]) for d in uses
            if d["pipelineExecutionId"] == web_id] == [("GetBranch", "acme/web", "implicitDeny", "Source")]
    passes = [d for line in lines for d in line["decisions"] if d["action"].endswith(":PassConnection")]
    assert passes and all(d["actionName"] == "Source" and d["pipeline"] == "api" for d in passes)
    assert any(d.get("pipelineExecutionId") == execution_id for d in passes)
    only_web = subprocess.run([sys.executable, "-m", "codeconn", "audit", "--data-dir", str(data), "--execution",
                               web_id, "--json"], capture_output=True, text=True, check=True).stdout
    assert len(only_web.splitlines()) == 1
