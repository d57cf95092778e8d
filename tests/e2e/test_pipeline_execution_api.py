"""The execution operations' shapes and errors, on both protocols, with the real worker (in-process server).

sourceRevisions pins a commit; CODEBUILD_CLONE_REF writes the clone reference; a
build action is recorded as not run and fails the execution; a role that does not
trust codepipeline.amazonaws.com, or does not exist, fails the source action with
the reason; a rejection fails the approval; AWS's error codes for what is missing;
and the operations are decided as codepipeline:<Op> on the pipeline with its tags.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.model
import pytest
from botocore.exceptions import ClientError
from pipeline_support import (
    ROLE,
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
from real_server import NO_RETRIES, RealServer, real_server

pytestmark = pytest.mark.slow


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[RealServer, str, str]]:
    """A server with acme/api (two commits on main), an AVAILABLE connection and the pipeline role."""
    data = tmp_path / "data"
    first = repository(data / "repositories", "acme", "api", files_of(3))
    with real_server(data) as server:
        arn = available_connection(server.url)
        pipeline_role(server.client("iam"), use_only_api_main(arn))
        yield server, arn, first


def code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


def source_detail(pipelines: Any, execution_id: str, name: str = "api") -> dict[str, Any]:
    details = pipelines.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
    return dict(next(d for d in details if d["actionName"] == "Source"))


def test_source_revisions_pin_a_commit_and_clone_ref_writes_the_reference(live: tuple[RealServer, str, str]) -> None:
    server, arn, first = live
    bare = server.config.repositories_root / "GitHub" / "acme" / "api.git"
    second = _commit_on_main(bare)
    pipelines = server.client("codepipeline")
    pipelines.create_pipeline(pipeline=declaration(arn, output_format="CODEBUILD_CLONE_REF"))
    created = latest_execution(pipelines, "api")
    wait_for_approval(pipelines, "api", created)
    pinned = pipelines.start_pipeline_execution(name="api", sourceRevisions=[
        {"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": first}])["pipelineExecutionId"]
    wait_for_approval(pipelines, "api", pinned)
    revisions = {e: pipelines.get_pipeline_execution(pipelineName="api", pipelineExecutionId=e)[
        "pipelineExecution"]["artifactRevisions"][0]["revisionId"] for e in (created, pinned)}
    assert revisions == {created: second, pinned: first}
    location = source_detail(pipelines, pinned)["output"]["outputArtifacts"][0]["s3location"]
    with zipfile.ZipFile(server.config.data_dir / "artifacts" / location["bucket"] / location["key"]) as archive:
        reference = json.loads(archive.read("codeconn-clone-ref.json"))
    assert (reference["CommitId"], reference["FullRepositoryId"], reference["ConnectionArn"]) == (
        first, "acme/api", arn)
    with pytest.raises(ClientError) as wrong_type:
        pipelines.start_pipeline_execution(name="api", sourceRevisions=[
            {"actionName": "Source", "revisionType": "S3_OBJECT_KEY", "revisionValue": "x"}])
    assert code(wrong_type) == "ValidationException"


def _commit_on_main(bare: Path) -> str:
    work = bare.parent / ".second"
    subprocess.run(["git", "clone", "--quiet", str(bare), str(work)], check=True, capture_output=True)
    (work / "CHANGES").write_text("second\n")
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "CHANGES"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "second"], check=True)
    subprocess.run([*git, "push", "--quiet", "origin", "HEAD:main"], check=True, capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def test_a_build_action_is_not_run_and_fails_the_execution(live: tuple[RealServer, str, str]) -> None:
    server, arn, _ = live
    pipelines = server.client("codepipeline")
    pipelines.create_pipeline(pipeline=declaration(arn, build=True))
    execution_id = latest_execution(pipelines, "api")
    done = wait_for(pipelines, "api", execution_id, ("Succeeded", "Failed"))
    assert done["status"] == "Failed" and "Build" in done["statusSummary"]
    details = pipelines.list_action_executions(pipelineName="api")["actionExecutionDetails"]
    build = next(d for d in details if d["actionName"] == "Build")
    assert build["status"] == "Failed"
    assert "codeconn does not run Build actions" in build["output"]["executionResult"]["errorDetails"]["message"]
    source = next(d for d in details if d["actionName"] == "Source")
    assert build["input"]["inputArtifacts"] == [{"name": "SourceOutput",
                                                 "s3location": source["output"]["outputArtifacts"][0]["s3location"]}]
    state = {s["stageName"]: s["latestExecution"]["status"] for s in pipelines.get_pipeline_state(name="api")[
        "stageStates"]}
    assert state == {"Source": "Succeeded", "Build": "Failed"}


@pytest.mark.parametrize(("trust", "reason"), [
    ({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"},
                                              "Action": "sts:AssumeRole"}]},
     "its trust policy does not allow codepipeline.amazonaws.com"),
    (None, "the role does not exist"),
])
def test_a_role_codepipeline_cannot_assume_fails_the_source(tmp_path: Path, trust: Any, reason: str) -> None:
    data = tmp_path / "data"
    repository(data / "repositories", "acme", "api", files_of(1))
    with real_server(data) as server:
        arn = available_connection(server.url)
        if trust is not None:
            pipeline_role(server.client("iam"), use_only_api_main(arn), trust)
        pipelines = server.client("codepipeline")
        pipelines.create_pipeline(pipeline=declaration(arn))
        execution_id = latest_execution(pipelines, "api")
        assert wait_for(pipelines, "api", execution_id, ("Succeeded", "Failed"))["status"] == "Failed"
        message = source_detail(pipelines, execution_id)["output"]["executionResult"]["errorDetails"]["message"]
        assert message == f"CodePipeline is not authorized to perform AssumeRole on role {ROLE}: " + reason + (
            " to assume it." if trust is not None else ".")


def test_rejection_stop_and_errors(live: tuple[RealServer, str, str]) -> None:
    server, arn, _ = live
    pipelines = server.client("codepipeline")
    pipelines.create_pipeline(pipeline=declaration(arn))
    execution_id = latest_execution(pipelines, "api")
    token = wait_for_approval(pipelines, "api", execution_id)
    approve: dict[str, Any] = {"pipelineName": "api", "stageName": "Approve", "actionName": "Approve",
                               "result": {"summary": "no", "status": "Rejected"}}
    for wrong, expected in (({"token": "00000000-0000-0000-0000-000000000000"}, "InvalidApprovalTokenException"),
                            ({"stageName": "Nope", "token": token}, "StageNotFoundException"),
                            ({"actionName": "Nope", "token": token}, "ActionNotFoundException"),
                            ({"pipelineName": "nope", "token": token}, "PipelineNotFoundException")):
        with pytest.raises(ClientError) as raised:
            pipelines.put_approval_result(**{**approve, **wrong})
        assert code(raised) == expected
    pipelines.put_approval_result(**approve, token=token)
    with pytest.raises(ClientError) as again:
        pipelines.put_approval_result(**approve, token=token)
    assert code(again) == "ApprovalAlreadyCompletedException"
    done = wait_for(pipelines, "api", execution_id, ("Failed",))
    assert "Rejected: no" in done["statusSummary"]
    for call, expected in ((lambda: pipelines.get_pipeline_execution(
                               pipelineName="api", pipelineExecutionId="00000000-0000-0000-0000-000000000000"),
                            "PipelineExecutionNotFoundException"),
                           (lambda: pipelines.list_pipeline_executions(pipelineName="nope"),
                            "PipelineNotFoundException"),
                           (lambda: pipelines.start_pipeline_execution(name="nope"), "PipelineNotFoundException"),
                           (lambda: pipelines.stop_pipeline_execution(pipelineName="api",
                                                                      pipelineExecutionId=execution_id),
                            "PipelineExecutionNotStoppableException"),
                           (lambda: pipelines.list_pipeline_executions(pipelineName="api", nextToken="zz"),
                            "InvalidNextTokenException")):
        with pytest.raises(ClientError) as raised:
            call()
        assert code(raised) == expected
    second = pipelines.start_pipeline_execution(name="api")["pipelineExecutionId"]
    wait_for_approval(pipelines, "api", second)
    pipelines.stop_pipeline_execution(pipelineName="api", pipelineExecutionId=second, reason="enough")
    assert wait_for(pipelines, "api", second, ("Stopped",))["statusSummary"] == "enough"
    pipelines.delete_pipeline(name="api")
    pipelines.create_pipeline(pipeline=declaration(arn))
    assert len(pipelines.list_pipeline_executions(pipelineName="api")["pipelineExecutionSummaries"]) == 1


def test_cbor_and_authorization_on_the_pipeline(live: tuple[RealServer, str, str]) -> None:
    server, arn, _ = live
    server.client("codepipeline").create_pipeline(pipeline=declaration(arn), tags=[{"key": "team", "value": "api"}])
    iam = server.client("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["codepipeline:GetPipelineState", "codepipeline:ListPipelineExecutions"],
            "Resource": "arn:aws:codepipeline:us-east-1:000000000000:api",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "api"}}}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    ranked = ("smithy-rpc-v2-cbor", *(name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
                                      if name != "smithy-rpc-v2-cbor"))
    with pytest.MonkeyPatch.context() as patch:  # botocore ranks JSON first: CBOR is forced
        patch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
        reader = boto3.client("codepipeline", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                              config=NO_RETRIES)
    sent: list[Any] = []
    reader.meta.events.register("before-send", lambda request, **_: sent.append(request.headers["Content-Type"]))
    assert reader.get_pipeline_state(name="api")["pipelineName"] == "api"
    assert len(reader.list_pipeline_executions(pipelineName="api")["pipelineExecutionSummaries"]) == 1
    with pytest.raises(ClientError) as denied:
        reader.start_pipeline_execution(name="api")
    assert code(denied) == "AccessDeniedException"
    assert "codepipeline:StartPipelineExecution on resource: arn:aws:codepipeline:us-east-1:000000000000:api" in str(
        denied.value)
    assert {value.decode() if isinstance(value, bytes) else value for value in sent} == {"application/cbor"}
