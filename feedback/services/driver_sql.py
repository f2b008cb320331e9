"""Statements of the submission's path run straight on the session's DBAPI cursor (issue 12).

A cadre's submission is the one request whose worker CPU is measured against a bare insert; it
writes six tables, in one statement on PostgreSQL (a CTE) and one statement per table on SQLite.
SQLAlchemy's execution layer (the compiled-cache look-up, an execution context, a result object)
cost about as much CPU per statement as SQLite itself: 0.55 ms of a 2.77 ms submission on the
2x10^5-row bench file. Here a statement is compiled by SQLAlchemy once per dialect and set of
columns, and its values go through the bind processors SQLAlchemy would apply to them
(``TypeEngine.dialect_impl(dialect).bind_processor``): the driver receives exactly what
``Session.execute`` would have passed, so the rows written are the same, in the session's
transaction, committed or rolled back with it.

What is lost is only what the execution layer adds: no ``before_cursor_execute`` events, no
wrapping of driver errors in ``sqlalchemy.exc`` (none of the callers catches one; a driver error
ends the request with a 500 and the session's rollback, like any other), and no column defaults
computed in Python: every such column must be given (a missing one is a KeyError, never a NULL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from feedback.extensions import db

__all__ = ["execute", "executemany"]


class _Prepared:
    """One statement compiled for one dialect: its SQL, its parameter names and their processors."""

    def __init__(self, stmt: ClauseElement, dialect: Dialect, keys: Sequence[str] | None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None)
        if not isinstance(compiled, SQLCompiler):  # a DDL statement has no parameters to bind
            raise TypeError(f"{type(stmt).__name__} is not a statement with parameters")
        self.stmt = stmt  # kept alive: the cache is keyed by its id()
        self.sql = compiled.string
        self.positional = compiled.positiontup is not None
        # The name each value takes in the SQL (qmark: in order) and the key it is given under.
        sql_names = {compiled.bind_names[b]: b.key for b in compiled.binds.values()}
        self.names = list(compiled.positiontup) if compiled.positiontup is not None else list(sql_names)
        self.processors: list[tuple[str, Callable[[Any], Any] | None]] = []
        for name in self.names:
            bind = compiled.binds[sql_names[name]]
            self.processors.append((bind.key, bind.type.dialect_impl(dialect).bind_processor(dialect)))

    def parameters(self, values: dict[str, Any]) -> tuple | dict:
        out = [process(values[key]) if process is not None else values[key] for key, process in self.processors]
        return tuple(out) if self.positional else dict(zip(self.names, out, strict=True))


_PREPARED: dict[tuple[int, str, tuple[str, ...] | None], _Prepared] = {}


def _prepared(stmt: ClauseElement, values: dict[str, Any], insert_columns: bool) -> tuple[Any, _Prepared]:
    connection = db.session.connection()
    dialect = connection.dialect
    keys = tuple(values) if insert_columns else None
    key = (id(stmt), dialect.name, keys)
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _Prepared(stmt, dialect, keys)
    return connection.connection.cursor(), prepared


def execute(stmt: ClauseElement, values: dict[str, Any], *, insert_columns: bool = False) -> list[tuple]:
    """Run ``stmt`` once with ``values``; return the rows it returns (RETURNING), else [].

    ``insert_columns``: ``stmt`` is an ``insert(table)`` whose VALUES are the keys of ``values`` that
    name columns (as ``Session.execute(insert(table), values)`` takes them); other keys feed the
    statement's own bind parameters (the idempotency claim's ``ON CONFLICT … WHERE … <= :moment``).
    """
    cursor, prepared = _prepared(stmt, values, insert_columns)
    try:
        cursor.execute(prepared.sql, prepared.parameters(values))
        return cursor.fetchall() if cursor.description is not None else []
    finally:
        cursor.close()


def executemany(stmt: ClauseElement, rows: list[dict[str, Any]], *, insert_columns: bool = False) -> None:
    """Run ``stmt`` once per row of ``rows`` (every row with the same keys); nothing is returned."""
    if not rows:
        return
    cursor, prepared = _prepared(stmt, rows[0], insert_columns)
    try:
        cursor.executemany(prepared.sql, [prepared.parameters(row) for row in rows])
    finally:
        cursor.close()
