"""The work queue of pipeline executions: one job per execution that still has something to run.

Jobs live in one store account of their own, `QUEUE_ACCOUNT`, so that a worker
finds every account's work in one list, and so that a claim is one write
transaction on that account: the store serialises those across processes
(PostgreSQL: the account's row lock; SQLite: the database's write lock), so two
replicas can never both take the same job.

    pipeline_job   id = the pipelineExecutionId
        {"AccountId", "State": "ready" | "waiting", "Owner": replica id or None,
         "LeaseUntil": ISO 8601 or None, "Claims": how many times a worker took it}

A job is `ready` while its execution has something to run, `waiting` while a manual
approval is pending (PutApprovalResult makes it ready again). A claim is a lease:
the owner renews it while it works and releases it when it stops; a lease that
runs out (the replica died) lets another replica, or the restarted one, take the
job. The job is deleted when its execution finishes.

The job is written before its execution, so a worker may meet a job whose
execution is not committed yet: it leaves such a job alone for `ORPHAN_AFTER`,
then deletes it (the execution's transaction failed).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from codeconn.store import Record

QUEUE_ACCOUNT = "codeconn-pipeline-work"
"""The store account that holds the jobs (not an AWS account: no caller can name it)."""
JOB_KIND = "pipeline_job"
ORPHAN_AFTER = timedelta(seconds=60)


class JobState(StrEnum):
    READY = "ready"
    WAITING = "waiting"


@dataclass(frozen=True, slots=True)
class Job:
    """A job of the queue (see the module docstring)."""

    execution_id: str
    account_id: str
    state: JobState
    created: datetime
    updated: datetime
    owner: str | None = None
    lease_until: datetime | None = None
    claims: int = 0

    def claimable(self, now: datetime) -> bool:
        """Ready, and nobody holds a lease on it that has not run out."""
        return self.state is JobState.READY and (self.owner is None or self.lease_until is None
                                                 or self.lease_until <= now)

    def claimed(self, owner: str, now: datetime, lease: timedelta) -> Job:
        return replace(self, owner=owner, lease_until=now + lease, claims=self.claims + 1, updated=now)

    def renewed(self, now: datetime, lease: timedelta) -> Job:
        return replace(self, lease_until=now + lease, updated=now)

    def released(self, now: datetime, state: JobState = JobState.READY) -> Job:
        return replace(self, owner=None, lease_until=None, state=state, updated=now)

    @classmethod
    def new(cls, execution_id: str, account_id: str, now: datetime) -> Job:
        return cls(execution_id, account_id, JobState.READY, now, now)

    def to_record(self) -> Record:
        return Record(account_id=QUEUE_ACCOUNT, kind=JOB_KIND, id=self.execution_id,
                      arn=f"codeconn:pipeline-job:{self.execution_id}", name=self.execution_id,
                      created_at=self.created, updated_at=self.updated,
                      data={"AccountId": self.account_id, "State": self.state.value, "Owner": self.owner,
                            "LeaseUntil": self.lease_until.isoformat() if self.lease_until else None,
                            "Claims": self.claims})

    @classmethod
    def from_record(cls, record: Record) -> Job:
        data = record.data
        lease = data.get("LeaseUntil")
        return cls(record.id, data["AccountId"], JobState(data["State"]), record.created_at, record.updated_at,
                   data.get("Owner"), datetime.fromisoformat(lease) if lease else None, int(data.get("Claims", 0)))


__all__ = ["JOB_KIND", "ORPHAN_AFTER", "QUEUE_ACCOUNT", "Job", "JobState"]
