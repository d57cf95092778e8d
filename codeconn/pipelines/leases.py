"""Claiming, renewing and releasing the queue's jobs (`codeconn.domain.pipeline_jobs`).

Every operation is one write transaction on the queue's account, which the store
serialises across processes: a claim reads the ready jobs and takes the first whose
lease has run out, so two replicas on one PostgreSQL database never hold the same
job at once. A renewal or a release by a replica that no longer owns the job (its
lease ran out and another took it) changes nothing and says so: that replica stops
working on the execution.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from codeconn.domain.pipeline_jobs import JOB_KIND, QUEUE_ACCOUNT, Job, JobState
from codeconn.store import Store

CLAIM_SCAN = 50
"""How many ready jobs one claim looks at (the oldest first)."""


class Leases:
    """The queue as one replica (`owner`) sees it."""

    def __init__(self, store: Store, owner: str, lease: timedelta) -> None:
        self.store = store
        self.owner = owner
        self.lease = lease

    def claim(self, now: datetime) -> Job | None:
        """Take the oldest ready job nobody holds; None when there is none.

        An idle worker polls twice a second: it looks in a read first, so that the queue's
        write lock (BEGIN IMMEDIATE on SQLite, the account's row lock on PostgreSQL) is
        taken only when there is a job to take, not on every poll of every replica.
        """
        if not self._any_claimable(now):
            return None
        with self.store.transaction(QUEUE_ACCOUNT) as tx:
            for record in tx.list(JOB_KIND, where={"State": JobState.READY.value}, limit=CLAIM_SCAN):
                job = Job.from_record(record)
                if job.claimable(now):
                    claimed = job.claimed(self.owner, now, self.lease)
                    tx.update(claimed.to_record())
                    return claimed
        return None

    def _any_claimable(self, now: datetime) -> bool:
        with self.store.read(QUEUE_ACCOUNT) as reader:
            ready = reader.list(JOB_KIND, where={"State": JobState.READY.value}, limit=CLAIM_SCAN)
        return any(Job.from_record(record).claimable(now) for record in ready)

    def _mine(self, tx_job: Job | None) -> bool:
        return tx_job is not None and tx_job.owner == self.owner

    def renew(self, execution_id: str, now: datetime) -> bool:
        """Extend this replica's lease; False when the job is no longer this replica's."""
        with self.store.transaction(QUEUE_ACCOUNT) as tx:
            record = tx.get(JOB_KIND, execution_id)
            job = Job.from_record(record) if record is not None else None
            if job is None or not self._mine(job):
                return False
            tx.update(job.renewed(now, self.lease).to_record())
            return True

    def release(self, execution_id: str, now: datetime, state: JobState = JobState.READY) -> None:
        """Give the job back (`ready` for another worker, `waiting` for an approval)."""
        with self.store.transaction(QUEUE_ACCOUNT) as tx:
            record = tx.get(JOB_KIND, execution_id)
            job = Job.from_record(record) if record is not None else None
            if job is not None and self._mine(job):
                tx.update(job.released(now, state).to_record())

    def wake(self, execution_id: str, now: datetime) -> None:
        """A waiting job is ready again (its approval was answered, or it was stopped)."""
        with self.store.transaction(QUEUE_ACCOUNT) as tx:
            record = tx.get(JOB_KIND, execution_id)
            job = Job.from_record(record) if record is not None else None
            if job is not None and job.state is JobState.WAITING:
                tx.update(job.released(now, JobState.READY).to_record())

    def finish(self, execution_id: str) -> None:
        """The execution ended (or never existed): the job goes."""
        with self.store.transaction(QUEUE_ACCOUNT) as tx:
            tx.delete(JOB_KIND, execution_id)


__all__ = ["CLAIM_SCAN", "Leases"]
