"""The execution worker: claims queued executions and carries out what `next_step` says, one step at a time.

A replica's worker is one thread (and a heartbeat thread that renews the lease of
the job it holds). It loops: claim a ready job (`leases`), then step its execution
until it finishes, waits for an approval, loses its lease or the worker is asked to
stop; an idle worker polls every `poll_interval` seconds. Every step is written to
the store before the next begins, so a worker that stops anywhere leaves a record
another can continue from:

- stopped cleanly (SIGTERM): the job is released at once and the next worker to
  start (this replica restarted, or another) resumes it;
- killed: the lease runs out after `lease` and then another worker resumes it;
- an action found InProgress is run again from its start (a source action is
  idempotent: the same commit, the same artifact key), but not forever: a job
  claimed more than `max_claims` times while its action was InProgress fails the
  execution with the reason.

Writes merge into the execution as it is in the store (a StopPipelineExecution with
`abandon` that finished it meanwhile wins; a Stopping is kept).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from codeconn.domain.pipeline_executions import (
    APPROVAL_CATEGORY,
    EXECUTION,
    SOURCE_CATEGORY,
    ActionRun,
    ActionStatus,
    Execution,
    Finish,
    RunAction,
    WaitForApproval,
    new_run,
    next_step,
)
from codeconn.domain.pipeline_jobs import ORPHAN_AFTER, Job, JobState
from codeconn.pipelines.leases import Leases
from codeconn.pipelines.role_session import RoleUnusable, assume_pipeline_role
from codeconn.pipelines.runtime import ActionScope, Runtime
from codeconn.pipelines.source_action import ActionFailed, run_source_action, succeeded

LOG = logging.getLogger(__name__)
SOURCE_PROVIDER = "CodeStarSourceConnection"
MAX_STEPS = 1000
"""Steps one claim may take (a bound on the loop; a declaration has at most 50 stages of 50 actions)."""


class PipelineWorker:
    """One replica's worker (see the module docstring). `start` and `stop` are the server's."""

    def __init__(self, runtime: Runtime, *, owner: str | None = None, lease: timedelta = timedelta(seconds=15),
                 poll_interval: float = 0.5, max_claims: int = 3) -> None:
        self.runtime = runtime
        self.leases = Leases(runtime.store, owner or f"worker-{uuid.uuid4()}", lease)
        self.poll_interval = poll_interval
        self.max_claims = max_claims
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._holding: str | None = None
        self._lost: str | None = None  # the execution whose lease the heartbeat could not renew
        self._threads: list[threading.Thread] = []

    def __repr__(self) -> str:
        return f"PipelineWorker(owner={self.leases.owner!r})"

    # -- the server's side ----------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._threads = [threading.Thread(target=self._loop, name="codeconn-pipeline-worker", daemon=True),
                         threading.Thread(target=self._heartbeat, name="codeconn-pipeline-lease", daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the threads to stop and wait (at most `timeout` seconds each); a held job is released."""
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def notify(self) -> None:
        """Work has been queued: look now rather than at the next poll."""
        self._wake.set()

    # -- the loop -------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                worked = self.run_once()
            except Exception:  # noqa: BLE001 - one bad execution must not stop the worker; it is logged
                LOG.exception("the pipeline worker failed on a job; it goes on with the next")
                worked = False
            if not worked:
                self._wake.wait(self.poll_interval)
                self._wake.clear()

    def _heartbeat(self) -> None:
        interval = max(self.leases.lease.total_seconds() / 3, 0.05)
        while not self._stopping.wait(interval):
            held = self._holding
            if held is not None and not self.leases.renew(held, self.runtime.clock()) and self._holding == held:
                self._lost = held

    def run_once(self) -> bool:
        """Claim one job and work it until it finishes, waits or is let go; whether there was one."""
        job = self.leases.claim(self.runtime.clock())
        if job is None:
            return False
        self._holding, self._lost = job.execution_id, None
        try:
            self._work(job)
        finally:
            self._holding = None
        return True

    def _work(self, job: Job) -> None:
        execution = self._load(job.account_id, job.execution_id)
        if execution is None:
            if self.runtime.clock() - job.created > ORPHAN_AFTER:
                self.leases.finish(job.execution_id)
            else:
                self.leases.release(job.execution_id, self.runtime.clock())
            return
        for _ in range(MAX_STEPS):
            if self._stopping.is_set() or self._lost == job.execution_id:
                self.leases.release(job.execution_id, self.runtime.clock())
                return
            step = next_step(execution)
            if isinstance(step, Finish):
                status, summary, now = step.status, step.summary, self.runtime.clock()
                self._save(execution, lambda e: e.finished(status, summary, now))
                self.leases.finish(job.execution_id)
                return
            if isinstance(step, WaitForApproval):
                self.leases.release(job.execution_id, self.runtime.clock(), JobState.WAITING)
                latest = self._load(job.account_id, job.execution_id)
                if latest is None or not isinstance(next_step(latest), WaitForApproval):
                    self.leases.wake(job.execution_id, self.runtime.clock())  # answered meanwhile
                return
            updated = self._run(execution, step, job)
            if updated is None:  # finished meanwhile (abandoned) or gone
                self.leases.finish(job.execution_id)
                return
            execution = updated
        self.leases.release(job.execution_id, self.runtime.clock())

    # -- one action -----------------------------------------------------------------------------

    def _run(self, execution: Execution, step: RunAction, job: Job) -> Execution | None:
        now = self.runtime.clock()
        existing = execution.latest_run(step.stage, step.action["name"]) if step.resumed else None
        run = existing or new_run(step.stage, step.action, now)
        category = run.category
        if step.resumed and job.claims > self.max_claims:
            return self._save(execution, _ended(run, "JobFailed", f"codeconn stopped {job.claims - 1} times while "
                                                f"this action ran; it is not tried again.", now))
        if category == APPROVAL_CATEGORY:
            token = str(uuid.uuid4())
            return self._save(execution, lambda e: e.with_run(replace(run, token=token), now))
        provider = run.action_type.get("provider")
        if category != SOURCE_CATEGORY or provider != SOURCE_PROVIDER:
            return self._save(execution, _ended(run, "JobFailed", (
                f"codeconn does not run {category} actions ({run.action_type.get('owner')}/{provider}): the action "
                f"was not run, and the execution stops here."), now))
        started = self._save(execution, lambda e: e.with_run(run, now))
        if started is None:
            return None
        return self._save(started, self._source(started, step, run))

    def _source(self, execution: Execution, step: RunAction, run: ActionRun) -> Callable[[Execution], Execution]:
        """Run the source action; the change to record (its success, or its failure with the reason)."""
        scope = ActionScope(execution.pipeline_name, execution.execution_id, run.action)
        role_arn = str(step.action.get("roleArn") or execution.declaration.get("roleArn"))
        outputs = tuple(str(a["name"]) for a in step.action.get("outputArtifacts") or ())
        try:
            session = assume_pipeline_role(self.runtime, role_arn, execution.execution_id, execution.region,
                                           self.runtime.clock())
            outcome = run_source_action(self.runtime, execution, run, session, scope, outputs)
        except RoleUnusable as unusable:
            return _ended(run, "AccessDeniedException", str(unusable), self.runtime.clock())
        except ActionFailed as failed:
            return _ended(run, failed.code, str(failed), self.runtime.clock())
        now = self.runtime.clock()
        return lambda e: e.with_run(succeeded(run, outcome, now), now).with_revision(outcome.revision, now)

    # -- the store ------------------------------------------------------------------------------

    def _load(self, account_id: str, execution_id: str) -> Execution | None:
        with self.runtime.store.read(account_id) as reader:
            record = reader.get(EXECUTION.kind, execution_id)
        return Execution.from_record(record) if record is not None else None

    def _save(self, execution: Execution, change: Callable[[Execution], Execution]) -> Execution | None:
        """Apply `change` to the execution as stored; None (nothing written) once it has finished or is gone."""
        with self.runtime.store.transaction(execution.account_id) as tx:
            record = tx.get(EXECUTION.kind, execution.execution_id)
            if record is None:
                return None
            current = Execution.from_record(record)
            if current.status.finished:
                return None
            changed = change(current)
            tx.update(changed.to_record())
            return changed


def _ended(run: ActionRun, code: str, message: str, now: datetime) -> Callable[[Execution], Execution]:
    """The change that records `run` Failed with errorDetails (code, message)."""
    def change(execution: Execution) -> Execution:
        return execution.with_run(replace(run, status=ActionStatus.FAILED, updated=now, error_code=code,
                                          error_message=message), now)
    return change


__all__ = ["MAX_STEPS", "PipelineWorker", "SOURCE_PROVIDER"]
