"""Sync status and blockers: nothing to report before a sync has run; what a sync recorded after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from connections_env import ACCOUNT, NOW, REGION, Bench

from codeconn.service.connections.errors import SyncBlockerDoesNotExistException
from codeconn.domain.sync import (
    REPOSITORY_SYNC_STATUS,
    RESOURCE_SYNC_STATUS,
    SYNC_BLOCKER,
    from_stored,
    repository_sync_status_id,
    resource_sync_status_id,
    sync_blocker_id,
    to_stored,
)
from codeconn.service.errors import ResourceNotFoundException
from codeconn.store import Record

SYNC = {"SyncType": "CFN_STACK_SYNC"}
REVISION = {"Branch": "main", "Directory": "deployment.yaml", "OwnerId": "octo", "RepositoryName": "app",
            "ProviderType": "GitHub", "Sha": "a" * 40}


@dataclass
class Synced:
    link: str


@pytest.fixture
def synced(bench: Bench) -> Synced:
    link = str(bench.link(bench.connection(available=True))["RepositoryLinkId"])
    bench.sync_configuration(link)
    return Synced(link)


def _record(kind: str, record_id: str, data: dict[str, Any]) -> Record:
    return Record(account_id=ACCOUNT, kind=kind, id=record_id, arn=f"urn:test:{kind}:{record_id}", name=record_id,
                  data=to_stored(data), created_at=NOW, updated_at=NOW)


def _blocker(bench: Bench, blocker_id: str, created: timedelta, status: str = "ACTIVE") -> dict[str, Any]:
    blocker = {"Id": blocker_id, "Type": "AUTOMATED", "Status": status, "CreatedReason": "Stack update failed",
               "CreatedAt": NOW + created, "Contexts": [{"Key": "StackName", "Value": "my-stack"}]}
    bench.put(_record(SYNC_BLOCKER, sync_blocker_id(REGION, "CFN_STACK_SYNC", "my-stack", blocker_id),
                      {**blocker, "Region": REGION, "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack"}))
    return blocker


def test_no_status_before_a_sync_has_run(bench: Bench, synced: Synced) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetRepositorySyncStatus", RepositoryLinkId=synced.link, Branch="main", **SYNC)
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetResourceSyncStatus", ResourceName="my-stack", **SYNC)


def test_repository_status_of_a_missing_link_is_not_found(bench: Bench) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetRepositorySyncStatus", RepositoryLinkId="00000000-0000-0000-0000-000000000000",
                     Branch="main", **SYNC)


def test_the_latest_repository_sync_attempt(bench: Bench, synced: Synced) -> None:
    attempt = {"StartedAt": NOW, "Status": "SUCCEEDED", "Events": [
        {"Event": "Fetched main", "ExternalId": "e-1", "Time": NOW + timedelta(seconds=2), "Type": "INFO"}]}
    bench.put(_record(REPOSITORY_SYNC_STATUS, repository_sync_status_id(synced.link, "CFN_STACK_SYNC", "main"),
                      {"RepositoryLinkId": synced.link, "SyncType": "CFN_STACK_SYNC", "Branch": "main",
                       "LatestSync": attempt}))
    for service in ("codestar-connections", "codeconnections"):
        assert bench.invoke("GetRepositorySyncStatus", service, RepositoryLinkId=synced.link, Branch="main",
                            **SYNC) == {"LatestSync": attempt}
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetRepositorySyncStatus", RepositoryLinkId=synced.link, Branch="dev", **SYNC)


def test_the_resource_sync_status(bench: Bench, synced: Synced) -> None:
    attempt = {"Events": [{"Event": "Change set executed", "Time": NOW, "Type": "INFO"}],
               "InitialRevision": REVISION, "StartedAt": NOW, "Status": "SUCCEEDED",
               "TargetRevision": {**REVISION, "Sha": "b" * 40}, "Target": "my-stack"}
    status = {"DesiredState": {**REVISION, "Sha": "b" * 40}, "LatestSuccessfulSync": attempt, "LatestSync": attempt}
    bench.put(_record(RESOURCE_SYNC_STATUS, resource_sync_status_id(REGION, "CFN_STACK_SYNC", "my-stack"),
                      {"Region": REGION, "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack", **status}))
    assert bench.invoke("GetResourceSyncStatus", ResourceName="my-stack", **SYNC) == status


def test_a_blocker_summary_lists_the_newest_blocker_first(bench: Bench, synced: Synced) -> None:
    assert bench.invoke("GetSyncBlockerSummary", ResourceName="my-stack", **SYNC) == {
        "SyncBlockerSummary": {"ResourceName": "my-stack", "LatestBlockers": []}}
    older = _blocker(bench, "b-1", timedelta(minutes=1))
    newer = _blocker(bench, "b-2", timedelta(minutes=5))
    summary = bench.invoke("GetSyncBlockerSummary", "codeconnections", ResourceName="my-stack", **SYNC)
    assert summary["SyncBlockerSummary"]["LatestBlockers"] == [newer, older]


def test_a_blocker_summary_needs_a_configuration(bench: Bench) -> None:
    with pytest.raises(ResourceNotFoundException):
        bench.invoke("GetSyncBlockerSummary", ResourceName="nothing", **SYNC)


def test_resolving_a_blocker_records_why_and_when(bench: Bench, synced: Synced) -> None:
    blocker = _blocker(bench, "b-1", timedelta(0))
    bench.now = NOW + timedelta(hours=1)
    output = bench.invoke("UpdateSyncBlocker", Id="b-1", ResourceName="my-stack", ResolvedReason="fixed the stack",
                          **SYNC)
    resolved = {**blocker, "Status": "RESOLVED", "ResolvedReason": "fixed the stack", "ResolvedAt": bench.now}
    assert output == {"ResourceName": "my-stack", "SyncBlocker": resolved}
    bench.now += timedelta(hours=1)
    again = bench.invoke("UpdateSyncBlocker", Id="b-1", ResourceName="my-stack", ResolvedReason="again", **SYNC)
    assert again == output
    assert bench.invoke("GetSyncBlockerSummary", ResourceName="my-stack", **SYNC)["SyncBlockerSummary"][
        "LatestBlockers"] == [resolved]


def test_resolving_a_missing_blocker(bench: Bench, synced: Synced) -> None:
    with pytest.raises(SyncBlockerDoesNotExistException):
        bench.invoke("UpdateSyncBlocker", Id="nope", ResourceName="my-stack", ResolvedReason="x", **SYNC)


def test_deleting_the_configuration_forgets_the_resources_sync_state(bench: Bench, synced: Synced) -> None:
    _blocker(bench, "b-1", timedelta(0))
    bench.put(_record(RESOURCE_SYNC_STATUS, resource_sync_status_id(REGION, "CFN_STACK_SYNC", "my-stack"),
                      {"Region": REGION, "SyncType": "CFN_STACK_SYNC", "ResourceName": "my-stack",
                       "LatestSync": {"Events": [], "InitialRevision": REVISION, "StartedAt": NOW,
                                      "Status": "FAILED", "TargetRevision": REVISION, "Target": "my-stack"}}))
    bench.invoke("DeleteSyncConfiguration", ResourceName="my-stack", **SYNC)
    assert bench.count(SYNC_BLOCKER) == 0 and bench.count(RESOURCE_SYNC_STATUS) == 0


def test_stored_timestamps_come_back_as_datetimes() -> None:
    value = {"StartedAt": NOW, "Events": [{"Time": NOW, "Event": "x"}], "Sha": "2025-03-04T05:06:07+00:00"}
    assert from_stored(to_stored(value)) == value


def test_deleting_the_link_forgets_its_repository_sync_state(bench: Bench, synced: Synced) -> None:
    bench.put(_record(REPOSITORY_SYNC_STATUS, repository_sync_status_id(synced.link, "CFN_STACK_SYNC", "main"),
                      {"RepositoryLinkId": synced.link, "SyncType": "CFN_STACK_SYNC", "Branch": "main",
                       "LatestSync": {"StartedAt": NOW, "Status": "QUEUED", "Events": []}}))
    bench.invoke("DeleteSyncConfiguration", ResourceName="my-stack", **SYNC)
    bench.invoke("DeleteRepositoryLink", RepositoryLinkId=synced.link)
    assert bench.count(REPOSITORY_SYNC_STATUS) == 0
