"""Pipeline triggers end to end: pushes with the stock git CLI through the real git endpoint, and commits
made directly in a local bare repository, start the pipelines that watch the branch, once each.

The pipelines are created with boto3's codepipeline client against the real server;
what starts them is a recording PipelineStarter (the execution worker is not part of
this test): the starts it records are the trigger path's whole output. Covered: a
pipeline watching main starts on a push to main with the pushed commit as its
source revision (triggerType Webhook, the connection ARN as detail), and not on
other branches; DetectChanges "false" starts nothing; a V2 pipeline's push trigger
decides by its branch includes/excludes and file paths instead of BranchName
(WebhookV2); the watcher's first poll only records heads, a later commit made
without the endpoint starts the watching pipelines, a push seen by both the hook and
the watcher starts once, and a new watcher on the same store (a restart) starts
nothing again; and the watcher's thread, as the server runs it, finds a new commit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from git_support import git, git_env
from real_server import ACCOUNT, RealServer, real_server

from codeconn.pipelines.changes import ExecutionTrigger, SourceRevisionOverride
from codeconn.pipelines.watcher import BranchWatcher
from codeconn.store import Store

pytestmark = pytest.mark.slow

ROLE = f"arn:aws:iam::{ACCOUNT}:role/pipeline-role"
PROVIDER = "GitHub"


@dataclass
class RecordingStarter:
    """A PipelineStarter that records each start (pipeline ARN, trigger, source revisions)."""

    starts: list[tuple[str, ExecutionTrigger, tuple[SourceRevisionOverride, ...]]] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def start(self, pipeline_arn: str, trigger: ExecutionTrigger,
              source_revisions: Sequence[SourceRevisionOverride] = ()) -> str:
        self.starts.append((pipeline_arn, trigger, tuple(source_revisions)))
        self.started.set()
        return f"execution-{len(self.starts)}"

    def take(self) -> list[tuple[str, str, str, str]]:
        """(pipeline name, triggerType, action, commit) of each start since the last take."""
        taken = [(arn.rsplit(":", 1)[1], trigger.trigger_type, revisions[0].action_name, revisions[0].revision_value)
                 for arn, trigger, revisions in self.starts]
        self.starts.clear()
        return taken


def _source(connection_arn: str, **configuration: str) -> dict[str, Any]:
    return {"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                               "provider": "CodeStarSourceConnection", "version": "1"},
            "configuration": {"ConnectionArn": connection_arn, "FullRepositoryId": "acme/api", "BranchName": "main",
                              **configuration},
            "outputArtifacts": [{"name": "SourceOutput"}]}


def _declaration(name: str, source: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "roleArn": ROLE, "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [{"name": "Source", "actions": [source]},
                       {"name": "Approve", "actions": [{
                           "name": "Approve", "inputArtifacts": [{"name": "SourceOutput"}],
                           "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual",
                                            "version": "1"}}]}],
            **extra}


@dataclass
class Setup:
    server: RealServer
    starter: RecordingStarter
    bare: Path
    work: Path
    env: dict[str, str]

    def commit(self, branch: str, path: str = "README.md", *, push: bool = True) -> str:
        """A commit on `branch` (made in the clone); pushed through the git endpoint unless `push` is False."""
        git(["checkout", "-q", "-B", branch, "origin/main"], self.env, cwd=self.work) if branch not in self.branches() \
            else git(["checkout", "-q", branch], self.env, cwd=self.work)
        target = self.work / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(target.read_text() + "x\n" if target.exists() else "x\n")
        git(["add", path], self.env, cwd=self.work)
        git(["commit", "-q", "-m", f"change {path}"], self.env, cwd=self.work)
        commit = git(["rev-parse", "HEAD"], self.env, cwd=self.work).stdout.strip()
        remote = "origin" if push else str(self.bare)
        git(["push", "-q", remote, f"HEAD:refs/heads/{branch}"], self.env, cwd=self.work)
        return commit

    def branches(self) -> list[str]:
        return git(["branch", "--format=%(refname:short)"], self.env, cwd=self.work).stdout.split()

    @property
    def store(self) -> Store:
        return self.server.components.store


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    starter = RecordingStarter()
    with real_server(tmp_path / "data", starter_for=lambda store: starter) as server:
        client = server.client("codeconnections")
        arn = client.create_connection(ProviderType=PROVIDER, ConnectionName="gh")["ConnectionArn"]
        server.complete_handshake(arn, "acme", "api")
        pipelines = server.client("codepipeline")
        pipelines.create_pipeline(pipeline=_declaration("on-main", _source(arn)))
        pipelines.create_pipeline(pipeline=_declaration("quiet", _source(arn, DetectChanges="false")))
        pipelines.create_pipeline(pipeline=_declaration("other-repo", _source(arn, FullRepositoryId="acme/web")))
        pipelines.create_pipeline(pipeline=_declaration(
            "features", _source(arn), pipelineType="V2",
            triggers=[{"providerType": "CodeStarSourceConnection", "gitConfiguration": {
                "sourceActionName": "Source",
                "push": [{"branches": {"includes": ["feature/**"], "excludes": ["feature/skip*"]}},
                         {"branches": {"includes": ["release"]}, "filePaths": {"includes": ["src/**"]}}]}}]))
        starter.take()  # CreatePipeline's own starts (if any) are not the triggers' business
        env = git_env(tmp_path / "home", {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                                          "AWS_DEFAULT_REGION": "us-east-1"})
        work = tmp_path / "work"
        url = f"{server.url}/git/{arn.rsplit('/', 1)[1]}/acme/api.git"
        git(["clone", "-q", url, str(work)], env)
        bare = server.config.repositories_root / PROVIDER / "acme" / "api.git"
        yield Setup(server, starter, bare, work, env)


def test_a_push_to_main_starts_the_pipeline_watching_main_once(setup: Setup) -> None:
    commit = setup.commit("main")
    assert setup.starter.take() == [("on-main", "Webhook", "Source", commit)]
    setup.commit("topic")
    assert setup.starter.take() == []


def test_the_trigger_names_the_connection(setup: Setup) -> None:
    setup.commit("main")
    [(_, trigger, _)] = setup.starter.starts
    assert trigger.trigger_detail.startswith("arn:aws:codeconnections:us-east-1:")


def test_v2_push_filters_decide_by_branch_and_file_path(setup: Setup) -> None:
    feature = setup.commit("feature/login/form")
    assert setup.starter.take() == [("features", "WebhookV2", "Source", feature)]
    setup.commit("feature/skip-this")
    assert setup.starter.take() == []
    setup.commit("release", "docs/notes.md")
    assert setup.starter.take() == []
    release = setup.commit("release", "src/app/main.py")
    assert setup.starter.take() == [("features", "WebhookV2", "Source", release)]


def test_the_watcher_starts_on_commits_made_without_the_endpoint_once_each(setup: Setup) -> None:
    triggers = setup.server.components.triggers
    assert triggers is not None
    assert triggers.watcher.poll() == []  # the first poll only records heads
    direct = setup.commit("main", push=False)
    changes = triggers.watcher.poll()
    assert [(c.branch, c.commit_id) for c in changes] == [("main", direct)]
    assert setup.starter.take() == [("on-main", "Webhook", "Source", direct)]
    assert triggers.watcher.poll() == []

    pushed = setup.commit("main")  # the hook starts it; the watcher then sees the same commit
    assert setup.starter.take() == [("on-main", "Webhook", "Source", pushed)]
    assert [c.commit_id for c in triggers.watcher.poll()] == [pushed]
    assert setup.starter.take() == []

    restarted = BranchWatcher(setup.store, triggers.dispatcher, _roots(setup))
    assert restarted.poll() == []
    while_down = setup.commit("main", push=False)
    assert [c.commit_id for c in restarted.poll()] == [while_down]
    assert setup.starter.take() == [("on-main", "Webhook", "Source", while_down)]


def test_the_watcher_thread_finds_a_new_commit(setup: Setup) -> None:
    triggers = setup.server.components.triggers
    assert triggers is not None
    watcher = BranchWatcher(setup.store, triggers.dispatcher, _roots(setup), interval=0.1)
    watcher.poll()
    setup.starter.started.clear()
    watcher.start()
    try:
        commit = setup.commit("main", push=False)
        assert setup.starter.started.wait(60), "the watcher thread reported nothing"
    finally:
        watcher.stop()
    assert setup.starter.take() == [("on-main", "Webhook", "Source", commit)]


def _roots(setup: Setup) -> Any:
    root = setup.server.config.repositories_root
    return lambda provider_type, host_arn: root / provider_type if host_arn is None else None
