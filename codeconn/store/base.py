"""The storage interface: records, pages, the Reader / Tx / Store protocols, errors.

The service layer owns every rule (quotas, which fields are secret, AWS error
texts); the store only persists documents and keeps three promises:

- a write transaction serialises against every other write transaction on the
  same account, so a check ("at most 250 connections") and the write that
  follows it are atomic, even across processes sharing one database;
- anything raised inside a transaction rolls back all of it, tags included;
- a read sees one consistent snapshot.

Errors:

    StoreError
    ├── Conflict        an insert or update would duplicate an id, ARN or lookup
    ├── NotFound        an update or tag change names a record that does not exist
    ├── OutsideAccount  a transaction tried to write another account's record
    ├── InvalidCursor   a page cursor that this store did not hand out
    ├── NestedUse       a thread opened a transaction or read while holding one
    ├── SchemaError     the database schema is newer than this code, or a step failed
    └── SecretError     a secret cannot be decrypted, or the key file is unusable
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable


class StoreError(Exception):
    """Base class of everything the store raises on purpose."""


class Conflict(StoreError):
    """An insert or update would duplicate a unique field (`field` says which)."""

    def __init__(self, message: str, *, field: Literal["id", "arn", "lookup"]) -> None:
        super().__init__(message)
        self.field = field


class NotFound(StoreError):
    """An update, or a tag change, names a record that does not exist."""


class OutsideAccount(StoreError):
    """A transaction of one account tried to write a record of another.

    Writes are serialised per account; writing another account's record under
    this account's lock would break that promise, so it is refused.
    """


class InvalidCursor(StoreError, ValueError):
    """`list(after=...)` got a cursor that no `Page.next_token` produced."""


class NestedUse(StoreError):
    """A thread opened a transaction or read while it already held one.

    Nesting would deadlock (the account lock is held by the outer one) or share
    one connection between two transactions, so it fails fast instead.
    """


class WouldWait(Exception):
    """`transaction(wait=False)` found another writer holding the lock it needs; nothing was begun.

    Not a StoreError: no handler's error handling can take it for the store's answer
    about the data. The caller (code on an event loop, `server.no_wait`) runs the
    work again where it may wait.
    """


class SchemaError(StoreError):
    """The database schema cannot be brought to this code's version."""


class SecretError(StoreError):
    """A secret could not be decrypted or the key file is unusable.

    The message never contains the plaintext, the token or the key.
    """


@dataclass(frozen=True, slots=True)
class Record:
    """One document of a `kind` in an account.

    `id` is unique per (account, kind); `arn` is unique across the store; `lookup`
    is an optional secondary key unique per kind across all accounts (an access
    key id, say). `data` is any JSON object; the store never looks inside it except
    to filter `list` by top-level string fields. Timestamps are timezone-aware and
    set by the caller: the store keeps what it is given.
    """

    account_id: str
    kind: str
    id: str
    arn: str
    name: str
    data: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    lookup: str | None = None

    def __post_init__(self) -> None:
        for label, value in (("account_id", self.account_id), ("kind", self.kind), ("id", self.id),
                             ("arn", self.arn)):
            if not isinstance(value, str) or not value:
                raise ValueError(f"Record.{label} must be a non-empty string")
        if self.lookup is not None and (not isinstance(self.lookup, str) or not self.lookup):
            raise ValueError("Record.lookup must be None or a non-empty string")
        if not isinstance(self.data, dict):
            raise ValueError("Record.data must be a dict")
        for label, stamp in (("created_at", self.created_at), ("updated_at", self.updated_at)):
            if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
                raise ValueError(f"Record.{label} must be a timezone-aware datetime")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of `list`: the records, and the cursor for the next page.

    `next_token` is None on the last page; otherwise pass it back as `after`.
    It is opaque and not signed: the service wraps it into its own NextToken.
    """

    records: tuple[Record, ...]
    next_token: str | None = None

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)


class Reader(Protocol):
    """What a read (or a transaction) can look at.

    `get`, `list` and `count` are scoped to the account the read was opened for;
    `get_by_arn`, `get_by_lookup`, `tags` and `account_ids` are global, because an ARN or a lookup
    key already names one record (authentication finds an access key before it
    knows the account).
    """

    @property
    def account_id(self) -> str | None: ...

    def get(self, kind: str, id: str) -> Record | None: ...

    def get_with_tags(self, kind: str, id: str) -> tuple[Record, dict[str, str]] | None:
        """`get` and the record's `tags`, in one statement: a single-statement read can look up both
        (on PostgreSQL one round trip, where a snapshot of two statements takes four)."""
        ...

    def get_by_arn(self, arn: str) -> Record | None: ...

    def get_by_lookup(self, kind: str, lookup: str) -> Record | None: ...

    def list(self, kind: str, *, after: str | None = None, limit: int | None = None,
             where: Mapping[str, str] | None = None) -> Page:
        """Records of `kind` in creation order; `where` matches top-level string fields of `data`."""
        ...

    def count(self, kind: str, *, where: Mapping[str, str] | None = None) -> int: ...

    def tags(self, arn: str) -> dict[str, str]:
        """The tags of the record with this ARN, sorted by key; NotFound if there is none."""
        ...

    def account_ids(self) -> tuple[str, ...]:
        """Every account that has had a write transaction, sorted (global: for the service's own
        background work, such as pipeline triggers, that must look at every account)."""
        ...


class Tx(Reader, Protocol):
    """A write transaction on one account: everything in it commits or nothing does."""

    @property
    def account_id(self) -> str: ...

    def insert(self, record: Record) -> None:
        """Add a record; Conflict if its id (in account and kind), ARN or lookup is taken."""
        ...

    def update(self, record: Record) -> None:
        """Replace the record with the same (account, kind, id); NotFound if there is none.

        The ARN may change (an IAM rename); the tags follow the record.
        """
        ...

    def delete(self, kind: str, id: str) -> bool:
        """Remove a record and its tags; False if there was none."""
        ...

    def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        """Merge `tags` into the record's tags (a key given replaces its value)."""
        ...

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        """Remove these keys from the record's tags; absent keys are ignored."""
        ...


@runtime_checkable
class Store(Protocol):
    """A database of records: transactions to write, reads to look.

    One thread (or one task, on an event loop) holds at most one transaction or
    read at a time (NestedUse); different threads and tasks may use one Store at once.
    """

    def transaction(self, account_id: str, *, wait: bool = True) -> AbstractContextManager[Tx]:
        """A write transaction on the account, its writers serialised.

        `wait=False` is for code that must not block (on an event loop): where the
        transaction would wait for another writer to finish (SQLite's write lock, held
        by another thread or process), it raises WouldWait at once instead, before
        anything is begun. PostgreSQL's waits are awaited on the store's loop engine
        (`sql.py`) and are never refused."""
        ...

    def read(self, account_id: str | None = None, *,
             single_statement: bool = False) -> AbstractContextManager[Reader]:
        """A consistent read-only snapshot; without an account only the global look-ups work.

        `single_statement`: the read makes one look-up (a second one raises StoreError),
        which is a snapshot by itself, so no transaction is opened around it: on
        PostgreSQL that saves two of its three round trips (the check of a known key
        on every request, the health check)."""
        ...

    def close(self) -> None: ...
