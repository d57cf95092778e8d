"""What the pipeline execution tests share: a repository of a few files, the role, the pipeline, waiting.

(A module of its own, not conftest.py, so that test modules import it by name.)
"""

from __future__ import annotations

import io
import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from handshake_clients import handshake_client, local_handshake

ACCOUNT = "000000000000"
ROLE_NAME = "PipelineRole"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
TRUST_CODEPIPELINE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
WAIT_SECONDS = 60.0


def repository(root: Path, owner: str, name: str, files: dict[str, bytes]) -> str:
    """A bare repository `<root>/GitHub/<owner>/<name>.git` whose main holds `files`; its commit."""
    bare = root / "GitHub" / owner / f"{name}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(bare)], check=True)
    work = root / f".work-{owner}-{name}"
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(work)], check=True)
    for path, content in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_bytes(content)
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", f"{name}: the first commit"], check=True)
    subprocess.run([*git, "push", "--quiet", str(bare), "HEAD:main"], check=True, capture_output=True)
    commit = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run(["rm", "-rf", str(work)], check=True)
    return commit


def files_of(count: int = 12) -> dict[str, bytes]:
    files = {f"src/module_{i}.py": f"VALUE = {i}\n".encode() * (i + 1) for i in range(count)}
    files["README.md"] = b"# api\n"
    files["assets/logo.bin"] = bytes(range(256)) * 4
    return files


def git_archive(bare: Path, commit: str) -> dict[str, bytes]:
    """`git archive --format=zip` of the commit: each file's name and bytes."""
    data = subprocess.run(["git", f"--git-dir={bare}", "archive", "--format=zip", commit], check=True,
                          capture_output=True).stdout
    return zip_files(data)


def zip_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}


def available_connection(url: str, service: str = "codestar-connections", owner: str = "acme") -> str:
    client = handshake_client(url, service)
    arn: str = client.create_connection(ProviderType="GitHub", ConnectionName="acme")["ConnectionArn"]
    assert local_handshake(client, arn, "GitHub", owner)["ConnectionStatus"] == "AVAILABLE"
    return arn


def use_only_api_main(connection_arn: str) -> dict[str, Any]:
    """UseConnection on the connection for acme/api on main only."""
    prefix = connection_arn.split(":")[2]
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": f"{prefix}:UseConnection", "Resource": connection_arn,
        "Condition": {"StringEquals": {f"{prefix}:FullRepositoryId": "acme/api", f"{prefix}:BranchName": "main"}}}]}


def pipeline_role(iam: Any, policy: dict[str, Any], trust: dict[str, Any] = TRUST_CODEPIPELINE) -> None:
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="use-connection", PolicyDocument=json.dumps(policy))


def declaration(connection_arn: str, repository: str = "acme/api", name: str = "api", *,
                output_format: str = "CODE_ZIP", build: bool = False) -> dict[str, Any]:
    """A source stage on the connection, then a manual approval (or a build, which codeconn does not run)."""
    second: dict[str, Any] = (
        {"name": "Build", "actions": [{"name": "Build", "actionTypeId": {
            "category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
            "configuration": {"ProjectName": "api"}, "inputArtifacts": [{"name": "SourceOutput"}]}]} if build else
        {"name": "Approve", "actions": [{"name": "Approve", "actionTypeId": {
            "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]})
    source = {"name": "Source", "actions": [{
        "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                           "provider": "CodeStarSourceConnection", "version": "1"},
        "configuration": {"ConnectionArn": connection_arn, "FullRepositoryId": repository, "BranchName": "main",
                          "OutputArtifactFormat": output_format},
        "outputArtifacts": [{"name": "SourceOutput"}]}]}
    return {"name": name, "roleArn": ROLE, "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [source, second]}


def wait_for(pipelines: Any, name: str, execution_id: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    """The execution once its status is one of `statuses` (bounded: AssertionError after WAIT_SECONDS)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        execution: dict[str, Any] = pipelines.get_pipeline_execution(
            pipelineName=name, pipelineExecutionId=execution_id)["pipelineExecution"]
        if execution["status"] in statuses:
            return execution
        if time.monotonic() > deadline:
            raise AssertionError(f"execution {execution_id} is still {execution['status']}")
        time.sleep(0.2)


def wait_for_approval(pipelines: Any, name: str, execution_id: str) -> str:
    """The token of the execution's pending approval, once it is pending."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        details = pipelines.list_action_executions(
            pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
        if any(d["actionName"] == "Approve" and d["status"] == "InProgress" for d in details):
            state = pipelines.get_pipeline_state(name=name)["stageStates"]
            action = next(a for s in state if s["stageName"] == "Approve" for a in s["actionStates"])
            return str(action["latestExecution"]["token"])
        failed = [d for d in details if d["status"] == "Failed"]
        if failed or time.monotonic() > deadline:
            raise AssertionError(f"no approval pending: {details}")
        time.sleep(0.2)


def latest_execution(pipelines: Any, name: str) -> str:
    summaries = pipelines.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"]
    return str(summaries[0]["pipelineExecutionId"])
