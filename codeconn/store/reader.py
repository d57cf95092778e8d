"""Reads of the SQL store: statements built once, run on the DB-API cursor of an open transaction.

Reads run on the DB-API cursor of the transaction's connection, with statements
compiled once (`statements.py`): SQLAlchemy's per-call execution cost more than
the database's work (issue 13). `SqlStore.read` opens the transaction (`sql.py`);
`SqlTx` (`writer.py`) reads the same way inside a write transaction.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, func, select

from codeconn.store.base import InvalidCursor, NotFound, Page, Record, StoreError
from codeconn.store.schema import accounts, records
from codeconn.store.schema import tags as tag_rows
from codeconn.store.statements import Statement, Statements

_FIELD_NAME = re.compile(r"^[A-Za-z0-9_]+$")


# The hot reads (a key, a generation, a record, its tags: every request makes some)
# as statements built once, with bound parameters: building `records.c.kind == kind`
# anew was about a quarter of a GetConnection's store time (issue 13).
_BY_ID = select(records).where(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"),
                               records.c.id == bindparam("id"))
_BY_ARN = select(records).where(records.c.arn == bindparam("arn"))
_BY_LOOKUP = select(records).where(records.c.kind == bindparam("kind"), records.c.lookup == bindparam("lookup"))
_SEQ_BY_ARN = select(records.c.seq, records.c.account_id).where(records.c.arn == bindparam("arn"))
_ACCOUNT_IDS = select(accounts.c.account_id).order_by(accounts.c.account_id)
_TAGS_BY_ARN = (select(tag_rows.c.key, tag_rows.c.value)  # one row of NULLs for a record without tags
                .select_from(records.outerjoin(tag_rows, tag_rows.c.record_seq == records.c.seq))
                .where(records.c.arn == bindparam("arn")).order_by(tag_rows.c.key))
_TAGGED_BY_ID = (select(records, tag_rows.c.key, tag_rows.c.value)  # the record once per tag (once if none)
                 .select_from(records.outerjoin(tag_rows, tag_rows.c.record_seq == records.c.seq))
                 .where(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"),
                        records.c.id == bindparam("id"))
                 .order_by(tag_rows.c.key))


def _to_record(row: tuple[Any, ...]) -> Record:
    """A record from a `select(records)` row (the table's column order)."""
    (_seq, account_id, kind, id, arn, name, lookup, data, created_at, updated_at) = row
    return Record(account_id=account_id, kind=kind, id=id, arn=arn, name=name, data=data,
                  created_at=created_at, updated_at=updated_at, lookup=lookup)


def _decode_cursor(after: str) -> int:
    if not isinstance(after, str) or not after.isdigit():
        raise InvalidCursor("the page cursor is not one this store handed out")
    return int(after)


class SqlReader:
    """Reads inside one open database transaction; unusable once it has ended."""

    def __init__(self, cursor: Any, statements: Statements, account_id: str | None, *,
                 statements_left: int | None = None) -> None:
        self._cursor: Any = cursor
        self._statements = statements
        self._account_id = account_id
        self._statements_left = statements_left  # None: any number, in one transaction

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_id={self._account_id!r})"

    @property
    def account_id(self) -> str | None:
        return self._account_id

    def _live_cursor(self) -> Any:
        if self._cursor is None:
            raise StoreError("this transaction has ended; open a new one")
        return self._cursor

    def _rows(self, statement: Statement, values: Mapping[str, Any],
              shape: Hashable | None = None) -> list[tuple[Any, ...]]:
        cursor = self._live_cursor()
        if self._statements_left is not None:
            if self._statements_left < 1:
                raise StoreError("this read was opened for a single statement; open a read without single_statement")
            self._statements_left -= 1
        return self._statements.all(cursor, statement, values, shape=shape)

    def _close(self) -> None:
        self._cursor = None

    def _account(self) -> str:
        if self._account_id is None:
            raise StoreError("this read was opened without an account; pass one to read()")
        return self._account_id

    def _in_kind(self) -> ColumnElement[bool]:
        return and_(records.c.account_id == bindparam("account_id"), records.c.kind == bindparam("kind"))

    def _matching(self, where: Mapping[str, str] | None) -> dict[str, Any]:
        """The values to bind for `data[key] == value`, each pair checked: a field name of
        letters, digits or _, a string value (the keys are part of the statement's shape)."""
        values: dict[str, Any] = {}
        for index, (key, value) in enumerate((where or {}).items()):
            if not _FIELD_NAME.match(key):
                raise ValueError(f"where: field name {key!r} must be letters, digits or _")
            if not isinstance(value, str):
                raise ValueError(f"where: the value for {key!r} must be a string")
            values[f"where_{index}"] = value
        return values

    def _conditions(self, where: Mapping[str, str] | None) -> list[ColumnElement[bool]]:
        """`data[key] == value` for each pair of `_matching`, where the field is a JSON string (not 7 for "7").

        The type test keeps both backends in agreement: without it PostgreSQL's ->>
        and SQLite's json_extract would turn numbers and booleans into different texts.
        """
        conditions: list[ColumnElement[bool]] = []
        postgresql = self._statements.dialect_name == "postgresql"
        for index, key in enumerate(where or {}):
            is_string = (func.jsonb_typeof(records.c.data[key]) == "string" if postgresql
                         else func.json_type(records.c.data, f'$."{key}"') == "text")
            conditions += [is_string, records.c.data[key].as_string() == bindparam(f"where_{index}")]
        return conditions

    def _one(self, statement: Any, values: dict[str, str]) -> Record | None:
        rows = self._rows(statement, values)
        return _to_record(rows[0]) if rows else None

    def get(self, kind: str, id: str) -> Record | None:
        return self._one(_BY_ID, {"account_id": self._account(), "kind": kind, "id": id})

    def get_with_tags(self, kind: str, id: str) -> tuple[Record, dict[str, str]] | None:
        rows = self._rows(_TAGGED_BY_ID, {"account_id": self._account(), "kind": kind, "id": id})
        if not rows:
            return None
        record = _to_record(rows[0][:-2])
        self._saw(record, int(rows[0][0]))
        return record, {row[-2]: row[-1] for row in rows if row[-2] is not None}

    def _saw(self, record: Record, seq: int) -> None:
        """Told of each record read with its sequence number (`SqlTx` keeps them for tagging)."""

    def get_by_arn(self, arn: str) -> Record | None:
        return self._one(_BY_ARN, {"arn": arn})

    def get_by_lookup(self, kind: str, lookup: str) -> Record | None:
        return self._one(_BY_LOOKUP, {"kind": kind, "lookup": lookup})

    def list(self, kind: str, *, after: str | None = None, limit: int | None = None,
             where: Mapping[str, str] | None = None) -> Page:
        if limit is not None and limit < 1:
            raise ValueError("limit must be at least 1")
        values = self._matching(where) | {"account_id": self._account(), "kind": kind}
        if after is not None:
            values["after"] = _decode_cursor(after)
        if limit is not None:
            values["limit"] = limit + 1

        def query() -> Select[Any]:
            made = select(records).where(self._in_kind(), *self._conditions(where))
            if after is not None:
                made = made.where(records.c.seq > bindparam("after"))
            made = made.order_by(records.c.seq)
            return made.limit(bindparam("limit", type_=Integer)) if limit is not None else made

        rows = self._rows(query, values, ("list", tuple(where or ()), after is not None, limit is not None))
        more = limit is not None and len(rows) > limit
        rows = rows[:limit] if more else rows
        return Page(tuple(_to_record(row) for row in rows), str(rows[-1][0]) if more else None)

    def count(self, kind: str, *, where: Mapping[str, str] | None = None) -> int:
        values = self._matching(where) | {"account_id": self._account(), "kind": kind}

        def query() -> Select[Any]:
            return select(func.count()).select_from(records).where(self._in_kind(), *self._conditions(where))

        return int(self._rows(query, values, ("count", tuple(where or ())))[0][0])

    def _seq_of(self, arn: str) -> tuple[int, str]:
        """The record's sequence number and account; NotFound if no record has this ARN."""
        rows = self._rows(_SEQ_BY_ARN, {"arn": arn})
        if not rows:
            raise NotFound(f"no record has the ARN {arn}")
        return int(rows[0][0]), str(rows[0][1])

    def tags(self, arn: str) -> dict[str, str]:
        rows = self._rows(_TAGS_BY_ARN, {"arn": arn})
        if not rows:
            raise NotFound(f"no record has the ARN {arn}")
        return {key: value for key, value in rows if key is not None}

    def account_ids(self) -> tuple[str, ...]:
        return tuple(str(row[0]) for row in self._rows(_ACCOUNT_IDS, {}))


__all__ = ["SqlReader"]
