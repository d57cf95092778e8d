"""Writes of the SQL store: one account's transaction, on the DB-API cursor like the reads.

A write that breaks a unique constraint (the database's constraints keep id, ARN
and lookup key unique) is undone alone and reported once, as the Conflict naming
the field; a caller that catches it may go on with the transaction. An insert
does nothing on a conflict (ON CONFLICT DO NOTHING, and no row written says so);
an update runs in a savepoint, since an UPDATE has no such clause (the savepoint
cost PostgreSQL two round trips more on every insert, issue 13). The statements
are built once with bound parameters (`statements.py`); the few whose shape varies
(the number of tag keys removed, a conflict's clauses) are kept by shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from codeconn.store.base import Conflict, NotFound, OutsideAccount, Record, StoreError
from codeconn.store.reader import SqlReader
from codeconn.store.schema import accounts, records
from codeconn.store.schema import tags as tag_rows
from codeconn.store.statements import Statements

_WRITTEN = ("arn", "name", "lookup", "data", "created_at", "updated_at")


def _new(name: str) -> Any:
    """The bound parameter of column `name`'s new value (typed, so its dialect's conversion applies)."""
    return bindparam(f"new_{name}", type_=records.c[name].type)


def _upserts_of(table: Any, make: Any) -> Any:
    statement = make(table)
    return statement.on_conflict_do_update(index_elements=list(table.primary_key.columns),
                                           set_={"value": statement.excluded.value})


_IN_ACCOUNT_KIND = and_(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"))
_INSERTS = {name: make(records).values({column: _new(column) for column in ("account_id", "kind", "id", *_WRITTEN)})
            .on_conflict_do_nothing() for name, make in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}
_SEQ_OF_ID = select(records.c.seq).where(_IN_ACCOUNT_KIND, records.c.id == bindparam("id"))
_UPDATE = update(records).where(records.c.seq == bindparam("target_seq")).values(
    {name: _new(name) for name in _WRITTEN})
_DELETE = delete(records).where(_IN_ACCOUNT_KIND, records.c.id == bindparam("id"))
# Made on every tagging and every transaction, per dialect (both have ON CONFLICT).
_TAG_UPSERTS = {"sqlite": _upserts_of(tag_rows, sqlite_insert), "postgresql": _upserts_of(tag_rows, postgresql_insert)}
_ACCOUNT_INSERTS = {name: make(accounts).values(account_id=bindparam("account_id")).on_conflict_do_nothing()
                    for name, make in (("sqlite", sqlite_insert), ("postgresql", postgresql_insert))}
_ACCOUNT_LOCK = select(accounts.c.account_id).where(accounts.c.account_id == bindparam("account_id")).with_for_update()


def begin_locked(account_id: str) -> str:
    """BEGIN and the account's row lock as one simple query, one round trip instead of two, for a
    PostgreSQL connection in autocommit (the loop engine's, `sql.py`). The upsert locks the row
    whether it was there or not: a second inserter waits for the first to commit, then locks it."""
    from psycopg.sql import quote  # only with PostgreSQL

    return (f"BEGIN; INSERT INTO {accounts.name} (account_id) VALUES ({quote(account_id)}) "
            "ON CONFLICT (account_id) DO UPDATE SET account_id = EXCLUDED.account_id")


class SqlTx(SqlReader):
    """A write transaction on one account (see `sql.py` for how writers are serialised)."""

    def __init__(self, cursor: Any, statements: Statements, account_id: str, *,
                 integrity_error: type[Exception]) -> None:
        super().__init__(cursor, statements, account_id)
        self._owner = account_id
        self._integrity_error = integrity_error
        # The sequence numbers of this account's records read in this transaction, by ARN, for
        # tagging without reading them again (a round trip on PostgreSQL, issue 13). The account's
        # writers are serialised, so none changes while this transaction lives but by its own
        # update or delete, which forget them all.
        self._seqs: dict[str, int] = {}

    def _saw(self, record: Record, seq: int) -> None:
        self._seqs[record.arn] = seq

    @property
    def account_id(self) -> str:
        return self._owner

    def _own(self, record: Record) -> None:
        if record.account_id != self._owner:
            raise OutsideAccount(f"a transaction of account {self._owner} cannot write a record of "
                                 f"account {record.account_id}")

    def lock_account(self) -> None:
        """Hold the account's row lock until the transaction ends (a no-op clause on SQLite)."""
        values = {"account_id": self._owner}
        if not self._rows(_ACCOUNT_LOCK, values):
            self._statements.run(self._live_cursor(), _ACCOUNT_INSERTS[self._statements.dialect_name], values)
            if not self._rows(_ACCOUNT_LOCK, values):
                raise StoreError(f"the row of account {self._owner} could not be made")

    def _conflict(self, record: Record, *, besides: int | None = None) -> Conflict:
        """The Conflict for a unique violation by `record`: the first of its unique fields another record holds.

        Only this account's writers are serialised; a writer of another account (the
        ARN and the lookup key are unique across accounts) has committed by the time
        its row violates ours, so the holder is found.
        """
        same_id = and_(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"),
                       records.c.id == bindparam("id"))
        clash: ColumnElement[bool] = or_(same_id, records.c.arn == bindparam("arn"))
        if record.lookup is not None:
            clash = or_(clash, and_(records.c.kind == bindparam("kind"), records.c.lookup == bindparam("lookup")))
        query = select(records.c.account_id, records.c.kind, records.c.id, records.c.arn).where(clash)
        if besides is not None:
            query = query.where(records.c.seq != bindparam("besides"))
        values = {"account_id": record.account_id, "kind": record.kind, "id": record.id, "arn": record.arn,
                  "lookup": record.lookup, "besides": besides}
        rows = self._rows(query, values, ("conflict", record.lookup is not None, besides is not None))
        for account_id, kind, id, _arn in rows:
            if (account_id, kind, id) == (record.account_id, record.kind, record.id):
                return Conflict(f"{record.kind} {record.id!r} already exists in account {record.account_id}",
                                field="id")
        for _account_id, kind, id, arn in rows:
            if arn == record.arn:
                return Conflict(f"the ARN {record.arn} is already used by {kind} {id!r}", field="arn")
        if rows:
            return Conflict(f"the lookup key of {record.kind} {record.id!r} is already used by another "
                            f"{record.kind}", field="lookup")
        return Conflict(f"{record.kind} {record.id!r} collides with a record written concurrently", field="lookup")

    def _write(self, statement: Any, values: Mapping[str, Any], record: Record, *, besides: int | None = None) -> None:
        """Run one update in a savepoint; a unique violation becomes the Conflict naming the field."""
        cursor = self._live_cursor()
        cursor.execute("SAVEPOINT codeconn_write")
        try:
            self._statements.run(cursor, statement, values)
        except self._integrity_error:
            pass  # outside the except block, so the driver's error (with its parameters) is not chained
        else:
            cursor.execute("RELEASE SAVEPOINT codeconn_write")
            return
        cursor.execute("ROLLBACK TO SAVEPOINT codeconn_write")
        cursor.execute("RELEASE SAVEPOINT codeconn_write")
        raise self._conflict(record, besides=besides)

    def _values(self, record: Record) -> dict[str, Any]:
        return {f"new_{name}": getattr(record, name) for name in _WRITTEN}

    def insert(self, record: Record) -> None:
        self._own(record)
        values = {"new_account_id": record.account_id, "new_kind": record.kind, "new_id": record.id,
                  **self._values(record)}
        if not self._statements.run(self._live_cursor(), _INSERTS[self._statements.dialect_name], values):
            raise self._conflict(record)

    def update(self, record: Record) -> None:
        self._own(record)
        self._seqs.clear()  # the ARN may change
        rows = self._rows(_SEQ_OF_ID, {"account_id": record.account_id, "kind": record.kind, "id": record.id})
        if not rows:
            raise NotFound(f"{record.kind} {record.id!r} does not exist in account {record.account_id}")
        seq = int(rows[0][0])
        self._write(_UPDATE, {"target_seq": seq, **self._values(record)}, record, besides=seq)

    def delete(self, kind: str, id: str) -> bool:
        # The tags go with the record: ON DELETE CASCADE (foreign keys are on for SQLite too).
        self._seqs.clear()
        return self._statements.run(self._live_cursor(), _DELETE, {"account_id": self._owner, "kind": kind, "id": id}) > 0

    def _owned_seq(self, arn: str) -> int:
        known = self._seqs.get(arn)
        if known is not None:
            return known
        seq, account_id = self._seq_of(arn)
        if account_id != self._owner:
            raise OutsideAccount(f"a transaction of account {self._owner} cannot tag {arn}")
        return seq

    def set_tags(self, arn: str, tags: Mapping[str, str]) -> None:
        seq = self._owned_seq(arn)
        if not tags:
            return
        for key, value in tags.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise ValueError("tag keys and values must be strings")
        self._statements.run_many(self._live_cursor(), _TAG_UPSERTS[self._statements.dialect_name],
                                  [{"record_seq": seq, "key": key, "value": value} for key, value in tags.items()])

    def remove_tags(self, arn: str, keys: Iterable[str]) -> None:
        seq = self._owned_seq(arn)
        keys = list(dict.fromkeys(keys))
        if keys:
            names = [f"key_{index}" for index in range(len(keys))]
            statement = delete(tag_rows).where(tag_rows.c.record_seq == bindparam("seq"),
                                               tag_rows.c.key.in_([bindparam(name) for name in names]))
            self._statements.run(self._live_cursor(), statement, {"seq": seq, **dict(zip(names, keys, strict=True))},
                                 shape=("remove_tags", len(keys)))


__all__ = ["SqlTx", "begin_locked"]
