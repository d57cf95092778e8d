"""The branch watcher: polls the local repositories that pipelines watch, and reports moved branch heads.

Every `interval` seconds (a background thread, started and stopped by the server)
the watcher finds in the store the repositories some pipeline's connection source
action watches (any account), keeps those that are local bare repositories
(`RepositoryRoots` says where a provider type's or a host's repositories live; None
for a remote provider, whose own webhooks are out of reach here), reads their branch
heads with the real git (`git for-each-ref`, a fixed argument list), and reports a
`SourceChange` to its sink for each branch whose head moved or appeared.

The heads last seen are kept in the store, one record of kind `watched-heads` per
account that watches the repository, compared and replaced in one transaction: the
first poll of a repository only records its heads (nothing is started for what was
already there), a restart neither retriggers what was seen nor misses a commit made
while the server was down, and of several replicas polling at once only the one
whose transaction moved the record reports the change. A deleted branch is
forgotten and starts nothing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from codeconn.clock import Clock, utc_now
from codeconn.domain.arns import CONNECTION, internal_arn
from codeconn.pipelines.branch_filters import watched_sources
from codeconn.pipelines.changes import SourceChange
from codeconn.pipelines.triggers import ChangeSink, all_pipelines
from codeconn.providers.base import ProviderError, ProviderRefused
from codeconn.providers.local import run_git
from codeconn.providers.names import check_commit, check_owner, check_repository
from codeconn.store import Record, Store

HEADS_RECORD_KIND = "watched-heads"
DEFAULT_POLL_SECONDS = 5.0
GIT_TIMEOUT = 30.0
_HEADS = "refs/heads/"

RepositoryRoots = Callable[[str, str | None], Path | None]
"""(provider type, host ARN or None) -> the directory of its local bare repositories, None when remote."""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WatchedRepository:
    """A repository some pipeline of `account_id` watches, and where it is on disk."""

    account_id: str
    provider_type: str
    host_arn: str | None
    full_repository_id: str
    path: Path

    @property
    def record_id(self) -> str:
        return hashlib.sha256(f"{self.provider_type}\n{self.host_arn or ''}\n{self.full_repository_id}"
                              .encode()).hexdigest()


def repository_path(root: Path, full_repository_id: str) -> Path | None:
    """`<root>/<owner>/<name>.git` for a valid `owner/name`, else None."""
    owner, _, name = full_repository_id.partition("/")
    try:
        return root / check_owner(owner) / f"{check_repository(name)}.git"
    except ProviderRefused:
        return None


def branch_heads(repository: Path) -> dict[str, str]:
    """Branch name -> commit id, read with `git for-each-ref` (empty for a repository that is not there)."""
    if not (repository / "HEAD").is_file():
        return {}
    result = run_git([f"--git-dir={repository}", "for-each-ref", "--format=%(objectname) %(refname)", _HEADS],
                     timeout=GIT_TIMEOUT)
    heads = {}
    for line in result.stdout.decode(errors="replace").splitlines():
        commit, _, ref = line.partition(" ")
        if ref.startswith(_HEADS):
            heads[ref[len(_HEADS):]] = commit
    return heads


def changed_paths(repository: Path, commit: str, previous: str | None) -> list[str] | None:
    """The files `commit` changed since `previous` (or since its parent); None when git cannot tell."""
    try:
        commit, previous = check_commit(commit), check_commit(previous) if previous else None
    except ProviderRefused:
        return None
    args = (["diff", "--name-only", "-z", previous, commit, "--"] if previous else
            ["diff-tree", "--root", "--no-commit-id", "--name-only", "-z", "-r", commit, "--"])
    try:
        result = run_git([f"--git-dir={repository}", *args], timeout=GIT_TIMEOUT, check=False)
    except ProviderError:
        return None
    if result.returncode != 0:
        return None
    return [path for path in result.stdout.decode(errors="replace").split("\0") if path]


def local_changed_files(roots: RepositoryRoots) -> Callable[[SourceChange], Sequence[str] | None]:
    """The dispatcher's `changed_files` for local repositories (None for remote ones)."""
    def changed(change: SourceChange) -> Sequence[str] | None:
        root = roots(change.provider_type, change.host_arn)
        path = repository_path(root, change.full_repository_id) if root is not None else None
        return changed_paths(path, change.commit_id, change.previous_commit_id) if path is not None else None
    return changed


class BranchWatcher:
    """Polls watched local repositories (see the module docstring); `poll()` is one round."""

    def __init__(self, store: Store, sink: ChangeSink, roots: RepositoryRoots, *,
                 interval: float = DEFAULT_POLL_SECONDS, clock: Clock = utc_now) -> None:
        self._store = store
        self._sink = sink
        self._roots = roots
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Poll in a daemon thread until `stop`."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="codeconn-branch-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to finish and wait for it (at most `timeout` seconds: one git call may be running)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - a bad round must not end the watcher
                log.exception("the branch watcher's poll failed")
            self._stopping.wait(self._interval)

    def poll(self) -> list[SourceChange]:
        """One round: every watched repository's heads compared with the last seen; the changes reported."""
        changes: list[SourceChange] = []
        for repository in self.watched():
            if self._stopping.is_set():
                break
            try:
                heads = branch_heads(repository.path)
            except ProviderError as error:
                log.warning("cannot read the branches of %s: %s", repository.path, error)
                continue
            for change in self._record(repository, heads):
                self._sink.report(change)
                changes.append(change)
        return changes

    def watched(self) -> list[WatchedRepository]:
        """The local repositories that some pipeline watches, once per account."""
        sources: set[tuple[str, str, str | None, str]] = set()  # account, provider type, host, repository
        with self._store.read() as reader:
            accounts = reader.account_ids()
        for account in accounts:
            with self._store.read(account) as reader:
                for pipeline in all_pipelines(reader):
                    for source in watched_sources(pipeline.declaration):
                        connection = reader.get_by_arn(source.connection_arn)
                        if connection is not None and connection.kind == CONNECTION.kind:
                            sources.add((account, str(connection.data.get("ProviderType", "")),
                                         connection.data.get("HostArn"), source.full_repository_id))
        found = []
        for account, provider_type, host_arn, full_id in sorted(sources, key=str):  # roots may read the store
            root = self._roots(provider_type, host_arn)
            path = repository_path(root, full_id) if root is not None else None
            if path is not None:
                found.append(WatchedRepository(account, provider_type, host_arn, full_id, path))
        return found

    def _record(self, repository: WatchedRepository, heads: Mapping[str, str]) -> list[SourceChange]:
        """Replace the last-seen heads with `heads`; the branches that moved (none on the first sighting)."""
        now = self._clock()
        with self._store.transaction(repository.account_id) as tx:
            record = tx.get(HEADS_RECORD_KIND, repository.record_id)
            seen: dict[str, str] | None = dict(record.data["Heads"]) if record is not None else None
            if seen == dict(heads):
                return []
            data = {"ProviderType": repository.provider_type, "FullRepositoryId": repository.full_repository_id,
                    "Heads": dict(heads), **({"HostArn": repository.host_arn} if repository.host_arn else {})}
            if record is None:
                tx.insert(Record(account_id=repository.account_id, kind=HEADS_RECORD_KIND, id=repository.record_id,
                                 arn=internal_arn(repository.account_id, HEADS_RECORD_KIND, repository.record_id),
                                 name=repository.full_repository_id, data=data, created_at=now, updated_at=now))
                return []
            tx.update(Record(account_id=record.account_id, kind=record.kind, id=record.id, arn=record.arn,
                             name=record.name, data=data, created_at=record.created_at, updated_at=now))
        assert seen is not None
        return [SourceChange(repository.provider_type, repository.host_arn, repository.full_repository_id, branch,
                             commit, seen.get(branch), None)
                for branch, commit in sorted(heads.items()) if seen.get(branch) != commit]


__all__ = ["DEFAULT_POLL_SECONDS", "HEADS_RECORD_KIND", "BranchWatcher", "RepositoryRoots", "WatchedRepository",
           "branch_heads", "changed_paths", "local_changed_files", "repository_path"]
