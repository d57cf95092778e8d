"""The trigger dispatcher: a new commit on a branch starts the pipelines that watch it, once each.

`TriggerDispatcher.dispatch(change)` looks at every account's pipelines (current
declarations) and starts those with a CodeStarSourceConnection source action
whose connection has the change's provider type and host, whose FullRepositoryId
is the change's repository, and which the branch rules of `branch_filters` start
(BranchName with DetectChanges, or a V2 pipeline's push triggers).

Which connections a change concerns. In AWS a repository event (an app's webhook)
reaches every connection installed on that repository, in whatever account, and so
every pipeline that watches it through one of them. codeconn's local mode is one
directory of bare repositories per provider type (or per `file://` host) that every
connection of that type (or host) sees, so a change reaches every account and
Region: each connection of the provider type and host, not only the one a push
came through.

Once per (pipeline, source action, commit). The git endpoint's hook and the
watcher may both see one push, and several replicas may watch one repository; a
record of kind `pipeline-trigger` with an id derived from the three is inserted in
the pipeline's account in the same store before the start, and the store's unique
id makes a second insert a Conflict: whoever loses does not start. If the start
fails the record is removed, so a later sighting may try again.

How AWS reports such an execution (API Reference, ExecutionTrigger,
https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ExecutionTrigger.html):
a V2 trigger's start is `WebhookV2`; the default change detection of a connection
source action is `Webhook`; both name the connection ARN in `triggerDetail`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from codeconn.clock import Clock, utc_now
from codeconn.domain.arns import CONNECTION, internal_arn
from codeconn.domain.pipelines import PIPELINE, Pipeline
from codeconn.pipelines.branch_filters import WatchedSource, starts, watched_sources
from codeconn.pipelines.changes import ExecutionTrigger, PipelineStarter, SourceChange, SourceRevisionOverride
from codeconn.store import Conflict, Reader, Record, Store

TRIGGER_RECORD_KIND = "pipeline-trigger"
DEFAULT_TRIGGER = "Webhook"
V2_TRIGGER = "WebhookV2"
COMMIT_ID = "COMMIT_ID"

ChangedFilesOf = Callable[[SourceChange], Sequence[str] | None]
"""The paths a change touched (for filePaths filters); None when they cannot be known."""

log = logging.getLogger(__name__)


class ChangeSink(Protocol):
    """Where triggers report source changes (the git endpoint's hook, the watcher)."""

    def report(self, change: SourceChange) -> None: ...


@dataclass(frozen=True, slots=True)
class Start:
    """One pipeline a change starts, at one source action."""

    account_id: str
    pipeline_arn: str
    source: WatchedSource

    @property
    def trigger(self) -> ExecutionTrigger:
        kind = DEFAULT_TRIGGER if self.source.push_filters is None else V2_TRIGGER
        return ExecutionTrigger(kind, self.source.connection_arn)


def trigger_record_id(pipeline_arn: str, action_name: str, commit_id: str) -> str:
    """The dedupe record's id: one per (pipeline, action, commit), whatever saw the commit first."""
    return hashlib.sha256(f"{pipeline_arn}\n{action_name}\n{commit_id}".encode()).hexdigest()


class TriggerDispatcher:
    """Turns a SourceChange into pipeline starts through `starter` (see the module docstring)."""

    def __init__(self, store: Store, starter: PipelineStarter, *, clock: Clock = utc_now,
                 changed_files: ChangedFilesOf | None = None) -> None:
        self._store = store
        self._starter = starter
        self._clock = clock
        self._changed_files = changed_files

    def report(self, change: SourceChange) -> None:
        """The ChangeSink face: start what the change starts; a failure is logged, never raised."""
        try:
            self.dispatch(change)
        except Exception:  # noqa: BLE001 - a trigger must never break a push or the watcher
            log.exception("pipeline triggers for %s %s failed", change.full_repository_id, change.branch)

    def dispatch(self, change: SourceChange) -> list[str]:
        """Start every pipeline the change starts, once each; the pipelineExecutionIds started."""
        started = []
        for start in self.starts_for(change):
            if not self._claim(start, change):
                continue
            try:
                started.append(self._starter.start(start.pipeline_arn, start.trigger, [
                    SourceRevisionOverride(start.source.action_name, COMMIT_ID, change.commit_id)]))
            except Exception:
                self._release(start, change)
                raise
        return started

    def starts_for(self, change: SourceChange) -> list[Start]:
        """The (pipeline, source action) pairs the change starts, before dedupe."""
        files: list[Sequence[str] | None] = []

        def changed() -> Sequence[str] | None:  # computed once, and only if a filePaths filter asks
            if not files:
                files.append(self._changed_files(change) if self._changed_files is not None else None)
            return files[0]

        watching = []
        with self._store.read() as reader:
            accounts = reader.account_ids()
        for account in accounts:
            with self._store.read(account) as reader:
                connections = concerned_connections(reader, change)
                if not connections:
                    continue
                for pipeline in all_pipelines(reader):
                    watching += [Start(account, pipeline.arn, source)
                                 for source in watched_sources(pipeline.declaration)
                                 if source.connection_arn in connections
                                 and source.full_repository_id == change.full_repository_id]
        # Outside the reads: the changed files may need the store (a host's directory) and git.
        return [start for start in watching if starts(start.source, change.branch, changed)]

    def _claim(self, start: Start, change: SourceChange) -> bool:
        now = self._clock()
        record_id = trigger_record_id(start.pipeline_arn, start.source.action_name, change.commit_id)
        record = Record(account_id=start.account_id, kind=TRIGGER_RECORD_KIND, id=record_id,
                        arn=internal_arn(start.account_id, TRIGGER_RECORD_KIND, record_id),
                        name=start.source.action_name,
                        created_at=now, updated_at=now,
                        data={"PipelineArn": start.pipeline_arn, "ActionName": start.source.action_name,
                              "CommitId": change.commit_id, "Branch": change.branch,
                              "FullRepositoryId": change.full_repository_id})
        try:
            with self._store.transaction(start.account_id) as tx:
                tx.insert(record)
        except Conflict:
            return False
        return True

    def _release(self, start: Start, change: SourceChange) -> None:
        with self._store.transaction(start.account_id) as tx:
            tx.delete(TRIGGER_RECORD_KIND,
                      trigger_record_id(start.pipeline_arn, start.source.action_name, change.commit_id))


def concerned_connections(reader: Reader, change: SourceChange) -> set[str]:
    """The ARNs of the account's connections of the change's provider type and host."""
    return {record.arn for record in _every(reader, CONNECTION.kind, {"ProviderType": change.provider_type})
            if record.data.get("HostArn") == change.host_arn}


def all_pipelines(reader: Reader) -> Iterator[Pipeline]:
    """Every pipeline of the reader's account, in every Region."""
    for record in _every(reader, PIPELINE.kind):
        yield Pipeline.from_record(record)


def _every(reader: Reader, kind: str, where: dict[str, str] | None = None) -> Iterator[Record]:
    after = None
    while True:
        page = reader.list(kind, after=after, limit=500, where=where)
        yield from page
        if page.next_token is None:
            return
        after = page.next_token


__all__ = ["COMMIT_ID", "DEFAULT_TRIGGER", "TRIGGER_RECORD_KIND", "V2_TRIGGER", "ChangeSink", "ChangedFilesOf",
           "Start", "TriggerDispatcher", "all_pipelines", "concerned_connections", "trigger_record_id"]
