"""SQLAlchemy Core statements compiled once per dialect and run on the DB-API cursor.

Why: SQLAlchemy's execution of an already-cached statement (the Connection, its
events, the execution context, the result object) cost more than the database's
own work on every read; a GetConnection's two reads spent about 0.25 ms there
(issue 13). The statements are still written in SQLAlchemy Core and compiled by
it, with the dialect's own bind and result processors, so the SQL, the parameter
style and the values that come back (aware UTC datetimes, decoded JSON) are those
SQLAlchemy would give; only the per-call machinery is skipped.

    statements = Statements(engine.dialect)
    rows = statements.all(cursor, _BY_ARN, {"arn": arn})      # a list of tuples, processed

A statement is compiled the first time it is run and kept by identity, so callers
build the ones they run often once, at import; a statement made per call (a
listing's filter) is keyed by the `shape` its caller names instead, and a bounded
number of shapes are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

SHAPES_KEPT = 256
STATEMENTS_KEPT = 1024

Processor = Callable[[Any], Any]
Statement = ClauseElement | Callable[[], ClauseElement]  # a function only with a shape (`Statements.compiled`)


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement's SQL for a dialect, how to order its parameters, and how to read its rows."""

    sql: str
    names: tuple[str, ...] | None  # positional parameter order; None: the driver takes a mapping
    defaults: Mapping[str, Any]  # every parameter's value when the caller gives none (literals included)
    binds: Mapping[str, Processor]  # the dialect's conversions of parameter values
    converted: tuple[tuple[int, Processor], ...]  # (column index, conversion of what the driver returns)

    @classmethod
    def of(cls, statement: ClauseElement, dialect: Dialect) -> Compiled:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        binds = {}
        defaults = {name: bind.effective_value for name, bind in compiled.binds.items()}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
        names = tuple(compiled.positiontup or ()) if compiled.positional else None
        selected = statement.selected_columns if isinstance(statement, Select) else ()
        results = (column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected)
        converted = tuple((index, processor) for index, processor in enumerate(results) if processor is not None)
        return cls(compiled.string, names, defaults, binds, converted)

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        merged = {**self.defaults, **values}
        for name, processor in self.binds.items():
            merged[name] = processor(merged[name])
        if self.names is None:
            return merged
        return tuple(merged[name] for name in self.names)

    def row(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.converted:
            return tuple(raw)
        values = list(raw)
        for index, processor in self.converted:
            value = values[index]
            if value is not None:
                values[index] = processor(value)
        return tuple(values)


class Statements:
    """The compiled statements of one dialect (thread-safe; one per store)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.dialect_name: str = dialect.name
        self._by_statement: dict[int, tuple[ClauseElement, Compiled]] = {}
        self._by_shape: OrderedDict[Hashable, Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def compiled(self, statement: Statement, shape: Hashable | None = None) -> Compiled:
        """`statement` compiled: by its identity (kept for good), or by `shape` (the last SHAPES_KEPT).

        With a shape, `statement` may be a function that builds it, called only when the
        shape is not kept: building a listing's filter in SQLAlchemy Core cost a sixth of a
        ListConnections (issue 13).
        """
        if shape is None:
            assert isinstance(statement, ClauseElement), "a statement built on demand needs a shape"
            found = self._by_statement.get(id(statement))
            if found is not None and found[0] is statement:
                return found[1]
            made = Compiled.of(statement, self._dialect)
            with self._lock:  # the statement is kept alive with it, so its id is never reused
                if len(self._by_statement) < STATEMENTS_KEPT:  # past it, a caller builds statements per call
                    self._by_statement[id(statement)] = (statement, made)
            return made
        with self._lock:
            cached = self._by_shape.get(shape)
            if cached is not None:
                self._by_shape.move_to_end(shape)
                return cached
        made = Compiled.of(statement if isinstance(statement, ClauseElement) else statement(), self._dialect)
        with self._lock:
            self._by_shape[shape] = made
            while len(self._by_shape) > SHAPES_KEPT:
                self._by_shape.popitem(last=False)
        return made

    def run(self, cursor: Any, statement: Statement, values: Mapping[str, Any], *,
            shape: Hashable | None = None) -> int:
        """`statement` (a write) with `values` on the DB-API `cursor`; the rows it touched."""
        compiled = self.compiled(statement, shape)
        cursor.execute(compiled.sql, compiled.parameters(values))
        return int(cursor.rowcount)

    def run_many(self, cursor: Any, statement: ClauseElement, rows: list[Mapping[str, Any]]) -> None:
        """`statement` (an insert, an upsert) once per parameter set in `rows`, on the DB-API `cursor`
        (a lone one with execute: psycopg's executemany enters and leaves pipeline mode, a round trip more)."""
        compiled = self.compiled(statement)
        if len(rows) == 1:
            cursor.execute(compiled.sql, compiled.parameters(rows[0]))
            return
        cursor.executemany(compiled.sql, [compiled.parameters(values) for values in rows])

    def all(self, cursor: Any, statement: Statement, values: Mapping[str, Any], *,
            shape: Hashable | None = None) -> list[tuple[Any, ...]]:
        """Every row of `statement` with `values`, run on the DB-API `cursor`, converted."""
        compiled = self.compiled(statement, shape)
        cursor.execute(compiled.sql, compiled.parameters(values))
        return [compiled.row(raw) for raw in cursor.fetchall()]


__all__ = ["SHAPES_KEPT", "STATEMENTS_KEPT", "Compiled", "Statement", "Statements"]
