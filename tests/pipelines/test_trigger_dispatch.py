"""The trigger dispatcher against a real (in-memory SQLite) store: which pipelines a change reaches, and once.

A change reaches every account's pipelines whose connection has its provider type
and host (local mode: every connection of a type sees the same repositories); the
same (pipeline, action, commit) starts once however often it is reported, and a
failed start is forgotten so that a later report may try again.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from codeconn.domain.connections import Connection
from codeconn.domain.lifecycle import ConnectionStatus
from codeconn.domain.pipelines import Pipeline
from codeconn.pipelines.changes import ExecutionTrigger, SourceChange, SourceRevisionOverride
from codeconn.pipelines.triggers import TRIGGER_RECORD_KIND, TriggerDispatcher
from codeconn.store import Store
from codeconn.store.sql import open_store

NOW = datetime(2026, 1, 1, tzinfo=UTC)
A, B = "111111111111", "222222222222"
HOST = "arn:aws:codeconnections:us-east-1:111111111111:host/gh-1"


class Starter:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.starts: list[tuple[str, ExecutionTrigger, tuple[SourceRevisionOverride, ...]]] = []

    def start(self, pipeline_arn: str, trigger: ExecutionTrigger,
              source_revisions: Sequence[SourceRevisionOverride] = ()) -> str:
        if self.fail:
            raise RuntimeError("the worker is down")
        self.starts.append((pipeline_arn, trigger, tuple(source_revisions)))
        return "e"


@pytest.fixture
def store() -> Iterator[Store]:
    opened = open_store("sqlite://")
    try:
        yield opened
    finally:
        opened.close()


def _connection(store: Store, account: str, name: str, provider: str = "GitHub", host: str | None = None) -> str:
    arn = f"arn:aws:codeconnections:us-east-1:{account}:connection/{name}"
    with store.transaction(account) as tx:
        tx.insert(Connection(arn=arn, name=name, account_id=account, provider_type=provider,
                             status=ConnectionStatus.AVAILABLE, region="us-east-1", created_at=NOW, updated_at=NOW,
                             host_arn=host).to_record())
    return arn


def _pipeline(store: Store, account: str, name: str, connection_arn: str, **configuration: Any) -> str:
    declaration = {"name": name, "stages": [{"name": "Source", "actions": [{
        "name": "Src", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeStarSourceConnection",
                                        "version": "1"},
        "configuration": {"ConnectionArn": connection_arn, "FullRepositoryId": "acme/api", "BranchName": "main",
                          **configuration}}]}]}
    pipeline = Pipeline.new(account, "us-east-1", declaration, NOW)
    with store.transaction(account) as tx:
        tx.insert(pipeline.to_record())
    return pipeline.arn


def _change(commit: str = "a" * 40, provider: str = "GitHub", host: str | None = None) -> SourceChange:
    return SourceChange(provider, host, "acme/api", "main", commit, None, None)


def test_a_change_reaches_every_account_with_a_connection_of_its_type_and_host(store: Store) -> None:
    in_a = _pipeline(store, A, "a", _connection(store, A, "c1"))
    in_b = _pipeline(store, B, "b", _connection(store, B, "c2"))
    _pipeline(store, B, "gitlab", _connection(store, B, "c3", provider="GitLab"))
    _pipeline(store, A, "hosted", _connection(store, A, "c4", host=HOST))
    starter = Starter()
    TriggerDispatcher(store, starter).dispatch(_change())
    assert sorted(arn for arn, _, _ in starter.starts) == sorted([in_a, in_b])
    [(_, trigger, revisions)] = [s for s in starter.starts if s[0] == in_a]
    assert trigger == ExecutionTrigger("Webhook", f"arn:aws:codeconnections:us-east-1:{A}:connection/c1")
    assert revisions == (SourceRevisionOverride("Src", "COMMIT_ID", "a" * 40),)
    starter.starts.clear()
    TriggerDispatcher(store, starter).dispatch(_change(host=HOST))
    assert [arn.rsplit(":", 1)[1] for arn, _, _ in starter.starts] == ["hosted"]


def test_the_same_commit_starts_once_across_dispatchers(store: Store) -> None:
    arn = _pipeline(store, A, "a", _connection(store, A, "c1"))
    starter = Starter()
    first, second = TriggerDispatcher(store, starter), TriggerDispatcher(store, starter)  # two replicas
    assert first.dispatch(_change()) == ["e"]
    assert second.dispatch(_change()) == []
    assert second.dispatch(_change("b" * 40)) == ["e"]
    assert [s[0] for s in starter.starts] == [arn, arn]


def test_a_failed_start_is_forgotten(store: Store) -> None:
    _pipeline(store, A, "a", _connection(store, A, "c1"))
    failing = Starter(fail=True)
    TriggerDispatcher(store, failing).report(_change())  # logged, not raised
    with store.read(A) as reader:
        assert reader.count(TRIGGER_RECORD_KIND) == 0
    working = Starter()
    assert TriggerDispatcher(store, working).dispatch(_change()) == ["e"]


def test_detect_changes_false_and_other_repositories_start_nothing(store: Store) -> None:
    connection = _connection(store, A, "c1")
    _pipeline(store, A, "quiet", connection, DetectChanges="false")
    _pipeline(store, A, "web", connection, FullRepositoryId="acme/web")
    starter = Starter()
    assert TriggerDispatcher(store, starter).dispatch(_change()) == []
