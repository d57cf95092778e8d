"""A store's reads without its write transactions: what a request answered on the event loop gets.

With SQLite (WAL) a read never waits: not for a writer, not on the network. A write
transaction may wait for the write lock another thread or process holds, and a
handler that reaches a code host waits on the network. So with a SQLite file
(`OnLoop.READS`) `Workers` answers a request on the event loop itself (saving two
thread hand-offs, a third of a GetConnection's cost, issue 13) only while the
request reads: `Edge.handle_on_loop` gives its handler this store, whose
`transaction()` raises `WritesRefused` before anything is written, and the request
is then answered again, from the start, in a worker thread.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import NoReturn

from codeconn.store import Reader, Store


class WritesRefused(Exception):
    """A write transaction was asked of `ReadsOnly`: the request must be answered in a worker thread.

    Not a StoreError, so no handler's error handling can mistake it for the store's answer.
    """


class ReadsOnly:
    """`store`'s reads; its `transaction()` raises WritesRefused."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self, account_id: str | None = None, *,
             single_statement: bool = False) -> AbstractContextManager[Reader]:
        return self._store.read(account_id, single_statement=single_statement)

    def transaction(self, account_id: str) -> NoReturn:
        raise WritesRefused(f"a write transaction on account {account_id} (only reads may run here)")

    def close(self) -> NoReturn:
        raise WritesRefused("a request may not close the server's store")


__all__ = ["ReadsOnly", "WritesRefused"]
