"""A store that never makes its caller wait: what a request answered on the event loop gets.

With SQLite (WAL) a read never waits, and a write waits only when another writer
holds the database's write lock (another thread of this process, or another
process). A handler that reaches a code host waits on the network. So with a
SQLite file (`OnLoop.NO_WAIT`) `Workers` answers a request on the event loop
itself, saving the two thread hand-offs that were a third of a GetConnection's
cost and nearly a third of a TagResource's (issue 13), as long as nothing it does
would wait: `Edge.handle_on_loop` gives its handler this store, whose
`transaction()` takes the write locks without waiting (`Store.transaction(wait=False)`)
and raises `NotOnLoop` before anything is begun when one is taken; the request is
then answered again, from the start, in a worker thread, where it may wait.

Only the request's first transaction may be refused so. Once one has begun, what
it wrote must not be written again by a second answer (a StopPipelineExecution
stops the execution, then wakes its job: answered again, it found the execution
already Stopped), so the request's later transactions wait where they are, on the
loop: SQLite's writers hold the lock for milliseconds, and the wait is bounded by
its busy timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import NoReturn

from codeconn.store import Reader, Store, Tx, WouldWait


class NotOnLoop(Exception):
    """The request cannot be answered on the event loop (it would wait): answer it in a worker thread.

    Not a StoreError, so no handler's error handling can mistake it for the store's answer.
    """


class NoWaiting:
    """`store` for one request, whose first `transaction()` raises NotOnLoop where it would have to
    wait for another writer; the ones after it wait."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._begun = False  # a transaction of this request has begun: the request can no longer move

    def read(self, account_id: str | None = None, *,
             single_statement: bool = False) -> AbstractContextManager[Reader]:
        return self._store.read(account_id, single_statement=single_statement)

    @contextmanager
    def transaction(self, account_id: str, *, wait: bool = True) -> Iterator[Tx]:
        """The store's transaction: the request's first taken without waiting whatever `wait` says
        (NotOnLoop if it would), the later ones as `wait` says."""
        if self._begun:
            with self._store.transaction(account_id, wait=wait) as tx:
                yield tx
            return
        try:
            with self._store.transaction(account_id, wait=False) as tx:
                self._begun = True
                yield tx
        except WouldWait as busy:  # raised as the transaction begins: nothing was written
            raise NotOnLoop(f"a write transaction on account {account_id} would wait ({busy})") from None

    def close(self) -> NoReturn:
        raise NotOnLoop("a request may not close the server's store")


__all__ = ["NoWaiting", "NotOnLoop"]
