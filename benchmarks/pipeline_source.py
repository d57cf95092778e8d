"""A pipeline's source action, through the worker's own code path, beside `git archive` of the same commit.

    .venv/bin/python benchmarks/pipeline_source.py [--runs N] [--files F] [--json]

Makes a local repository `acme/api` of F files (nested directories, a few KB each)
and serves the real components in-process (SQLite in a temporary data directory):
an AVAILABLE connection on it (the local handshake), a role CodePipeline may assume
whose policy allows UseConnection for acme/api on main, a pipeline on it. Then it
times N runs of each side, one at a time:

- source action: what the worker does for one CodeStarSourceConnection action, CODE_ZIP
  (`assume_pipeline_role`, then `run_source_action`: three UseConnection decisions,
  GetBranch and the archive through the connection, the artifact put into the
  directory artifact store);
- git archive: `git archive --format=zip --output=FILE <commit>` on the bare repository.

The ratio (the source action's p50 over git's) is codeconn's cost on top of git;
the target is at most 1.5.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from providers import Result, git, timed  # the sibling benchmark's timing (benchmarks/ is sys.path[0])

from codeconn.domain.pipeline_executions import Execution, new_run
from codeconn.domain.pipelines import PIPELINE, Pipeline, pipeline_id
from codeconn.pipelines.directory_artifacts import DirectoryArtifactStore
from codeconn.pipelines.role_session import assume_pipeline_role
from codeconn.pipelines.runtime import ActionScope, Runtime
from codeconn.pipelines.source_action import run_source_action
from codeconn.providers.config import Providers, load_providers_file
from codeconn.server.app import create_app
from codeconn.server.audit import MemoryAudit
from codeconn.server.components import build_components
from codeconn.server.config import ServeConfig
from codeconn.server.runner import serving_in_thread
from codeconn.wire.model import MODEL_EXTRAS

ACCOUNT = "000000000000"
NO_RETRIES = Config(retries={"total_max_attempts": 1})
TARGET_RATIO = 1.5


def make_repository(root: Path, files: int) -> tuple[Path, str]:
    """`<root>/GitHub/acme/api.git` whose main holds `files` files; (the bare repository, its commit)."""
    bare = root / "GitHub" / "acme" / "api.git"
    git("init", "--bare", "--quiet", "--initial-branch=main", str(bare))
    work = root / "work"
    git("init", "--quiet", "--initial-branch=main", str(work))
    for index in range(files):
        path = work / f"pkg{index % 12}" / f"sub{index % 5}" / f"module_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"def f{line}_{index}(x):\n    return x * {line} + {index}\n\n"
                                for line in range(40 + index % 60)))
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    git(*identity, "add", "-A", cwd=work)
    git(*identity, "commit", "--quiet", "-m", "first", cwd=work)
    git("push", "--quiet", str(bare), "HEAD:main", cwd=work)
    return bare, git("rev-parse", "HEAD", cwd=work).strip()


def client(url: str, service: str, *, extras: bool = False) -> Any:
    session = botocore.session.get_session()
    if extras:  # the handshake operations are in codeconn's model extras
        session.set_config_variable("data_path", str(MODEL_EXTRAS))
    return boto3.Session(botocore_session=session).client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=NO_RETRIES)


def declare(url: str) -> None:
    """An AVAILABLE connection on acme/api, the pipeline role and a pipeline on the connection."""
    connections = client(url, "codestar-connections", extras=True)
    arn = connections.create_connection(ProviderType="GitHub", ConnectionName="bench")["ConnectionArn"]
    token = connections.get_individual_access_token(ProviderType="GitHub")["TokenId"]
    connections.update_connection_installation(ConnectionArn=arn, InstallationId="acme", TokenId=token)
    iam = client(url, "iam")
    iam.create_role(RoleName="PipelineRole", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    iam.put_role_policy(RoleName="PipelineRole", PolicyName="use", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "codestar-connections:UseConnection", "Resource": arn,
            "Condition": {"StringEquals": {"codestar-connections:FullRepositoryId": "acme/api",
                                           "codestar-connections:BranchName": "main"}}}]}))
    client(url, "codepipeline").create_pipeline(pipeline={
        "name": "api", "roleArn": f"arn:aws:iam::{ACCOUNT}:role/PipelineRole",
        "artifactStore": {"type": "S3", "location": "artifacts"},
        "stages": [{"name": "Source", "actions": [{
            "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                               "provider": "CodeStarSourceConnection", "version": "1"},
            "configuration": {"ConnectionArn": arn, "FullRepositoryId": "acme/api", "BranchName": "main"},
            "outputArtifacts": [{"name": "SourceOutput"}]}]},
            {"name": "Approve", "actions": [{"name": "Approve", "actionTypeId": {
                "category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]}]})


@contextmanager
def source_action(data: Path) -> Iterator[Callable[[], object]]:
    """One source action of the pipeline, as the worker runs it (the server's worker itself is not started)."""
    config = ServeConfig(host="127.0.0.1", port=0, data_dir=data)
    components = build_components(config)
    providers = Providers(load_providers_file(None, repositories=config.repositories_root),
                          default_redirect_uri=config.callback_url)
    try:
        app = create_app(config, store=components.store, secrets=components.secrets, directory=components.directory,
                         authorizer=components.authorizer, registry=components.registry, audit=MemoryAudit(),
                         service_models=components.service_models, iam_catalog=components.iam_catalog)
        with serving_in_thread(app, config.host) as url:
            declare(url)
        runtime = Runtime(components.store, components.secrets, components.authorizer, components.iam_catalog,
                          providers, DirectoryArtifactStore(data / "artifacts"))
        with components.store.read(ACCOUNT) as reader:
            record = reader.get(PIPELINE.kind, pipeline_id(config.region, "api"))
        assert record is not None
        pipeline = Pipeline.from_record(record)
        stage = pipeline.declaration["stages"][0]

        def once() -> object:
            execution = Execution.new(pipeline, runtime.clock(), "Benchmark")
            run = new_run("Source", stage["actions"][0], execution.started)
            session = assume_pipeline_role(runtime, pipeline.declaration["roleArn"], execution.execution_id,
                                           pipeline.region, runtime.clock())
            return run_source_action(runtime, execution, run, session,
                                     ActionScope(pipeline.name, execution.execution_id, "Source"), ("SourceOutput",))

        yield once
    finally:
        providers.close()
        components.close()


def run(runs: int, files: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="codeconn-bench-") as directory:
        data = Path(directory) / "data"
        bare, commit = make_repository(data / "repositories", files)
        output = Path(directory) / "git-archive.zip"
        with source_action(data) as once:
            outcome = once()
            assert getattr(outcome, "revision").revision_id == commit
            return [Result("SourceAction", "source action", timed(runs, once)),
                    Result("SourceAction", "git archive", timed(runs, lambda: git(
                        f"--git-dir={bare}", "archive", "--format=zip", f"--output={output}", commit)))]


def report(results: list[Result], runs: int, files: int) -> dict[str, Any]:
    by = {r.side: r for r in results}
    ratio = by["source action"].p50 / by["git archive"].p50
    return {"runs": runs, "files": files,
            "results": [{"side": r.side, "runs": len(r.latencies_ms), "p50_ms": round(r.p50, 3),
                         "p99_ms": round(r.p99, 3)} for r in results],
            "source_over_git_archive_p50": round(ratio, 3), "target": TARGET_RATIO}


def table(summary: dict[str, Any]) -> str:
    lines = [f"{summary['files']} files, {summary['runs']} runs each",
             f"{'side':<16}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}"]
    for row in summary["results"]:
        ratio = f"{summary['source_over_git_archive_p50']:.2f}" if row["side"] == "source action" else ""
        lines.append(f"{row['side']:<16}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}{ratio:>8}")
    lines.append(f"ratio: the source action's p50 over git archive's (target at most {summary['target']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per side")
    parser.add_argument("--files", type=int, default=400, help="files in the repository's commit")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    summary = report(run(args.runs, args.files), args.runs, args.files)
    print(json.dumps(summary, indent=2) if args.json else table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
