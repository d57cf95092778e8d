"""The watcher and the dispatcher on a connection of a `file://` host, through the server's `repository_roots`.

The host's directory is found by reading the host record from the store, outside any
other read (a nested read would be refused); a V2 file-path filter is decided with
the files `git diff` says the new commit changed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from codeconn.domain.connections import Connection, Host
from codeconn.domain.lifecycle import ConnectionStatus, HostStatus
from codeconn.domain.pipelines import Pipeline
from codeconn.pipelines.changes import SourceChange
from codeconn.pipelines.watcher import BranchWatcher
from codeconn.providers.config import Providers, load_providers_file
from codeconn.providers.local import create_repository
from codeconn.server.pipeline_wiring import build_triggers, repository_roots
from codeconn.store import Store
from codeconn.store.sql import open_store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ACCOUNT = "111111111111"
HOST = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:host/ghes-1"
CONNECTION = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:connection/c1"


class Sink:
    def __init__(self) -> None:
        self.changes: list[SourceChange] = []

    def report(self, change: SourceChange) -> None:
        self.changes.append(change)


class Starter:
    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, pipeline_arn: str, trigger: object, source_revisions: object = ()) -> str:
        self.started.append(pipeline_arn.rsplit(":", 1)[1])
        return "e"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store("sqlite://")
    with opened.transaction(ACCOUNT) as tx:
        tx.insert(Host(arn=HOST, id="ghes-1", name="ghes", account_id=ACCOUNT, provider_type="GitHubEnterpriseServer",
                       provider_endpoint=(tmp_path / "ghes").as_uri(), status=HostStatus.AVAILABLE,
                       region="us-east-1", created_at=NOW, updated_at=NOW).to_record())
        tx.insert(Connection(arn=CONNECTION, name="c1", account_id=ACCOUNT, provider_type="GitHubEnterpriseServer",
                             status=ConnectionStatus.AVAILABLE, region="us-east-1", created_at=NOW, updated_at=NOW,
                             host_arn=HOST).to_record())
        source = {"name": "Src", "actionTypeId": {"category": "Source", "owner": "AWS",
                                                  "provider": "CodeStarSourceConnection", "version": "1"},
                  "configuration": {"ConnectionArn": CONNECTION, "FullRepositoryId": "acme/api",
                                    "BranchName": "main"}}
        tx.insert(Pipeline.new(ACCOUNT, "us-east-1", {"name": "docs-only", "pipelineType": "V2", "stages": [
            {"name": "Source", "actions": [source]}], "triggers": [{"gitConfiguration": {
                "sourceActionName": "Src", "push": [{"branches": {"includes": ["main"]},
                                                     "filePaths": {"includes": ["docs/**"]}}]}}]},
            NOW).to_record())
    try:
        yield opened
    finally:
        opened.close()


def _commit(bare: Path, work: Path, path: str) -> str:
    git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    if not work.exists():
        subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True, capture_output=True)
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(path)
    subprocess.run([*git, "add", path], check=True)
    subprocess.run([*git, "commit", "-q", "-m", path], check=True)
    subprocess.run([*git, "push", "-q", "origin", "HEAD:refs/heads/main"], check=True, capture_output=True)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def test_a_host_repository_is_watched_and_its_file_paths_decide(store: Store, tmp_path: Path) -> None:
    bare = create_repository(tmp_path / "ghes", "acme", "api")
    work = tmp_path / "work"
    _commit(bare, work, "README")
    providers = Providers(load_providers_file(None, repositories=tmp_path / "repositories"),
                          default_redirect_uri="http://127.0.0.1/oauth/callback")
    roots = repository_roots(store, providers)
    assert roots("GitHubEnterpriseServer", HOST) == tmp_path / "ghes"
    sink = Sink()
    watcher = BranchWatcher(store, sink, roots)
    assert watcher.poll() == []
    code = _commit(bare, work, "src/app.py")
    assert [(c.host_arn, c.branch, c.commit_id) for c in watcher.poll()] == [(HOST, "main", code)]

    starter = Starter()
    triggers = build_triggers(store, starter, roots, interval=1.0)
    triggers.dispatcher.dispatch(sink.changes[-1])
    assert starter.started == []  # src/app.py is not under docs/
    docs = _commit(bare, work, "docs/guide.md")
    [change] = triggers.watcher.poll()
    assert change.commit_id == docs and change.previous_commit_id == code
    assert starter.started == ["docs-only"]
