"""Many rows into one table at once: on PostgreSQL one statement with each column as one array.

A job that writes thousands of rows at once (the deadline watch's notices, events and supervision
items) sent them as an executemany: SQLAlchemy batches 1,000 rows into one VALUES list, and
psycopg parses every batch's placeholders (thirteen thousand for the outbox) again in Python —
most of a catch-up's CPU (issue 12). Here the statement is

    INSERT INTO t (a, b, …) SELECT m.a, m.b, … FROM unnest(:a, :b, …) WITH ORDINALITY AS m(…, n)
    ORDER BY m.n [ON CONFLICT (…) DO NOTHING] [RETURNING …]

whatever the number of rows: its text is the same every time (psycopg parses it once), and the
rows are inserted in the list's order, so their ids follow it as before. Each value goes through
the bind processor SQLAlchemy would apply to its column (UTC time stamps made naive, JSON
serialised, as ``Session.execute`` writes them); a JSON column travels as text and is cast back.
ON CONFLICT DO NOTHING skips a row whose key is taken, or repeated in the list, as it skipped it
row by row. On SQLite, where a statement is a function call and there is nothing to parse, the
same INSERT … ON CONFLICT DO NOTHING … RETURNING runs as an executemany of the table's Core
statement (the ORM's bulk path would group the rows by which values are None and send them one
by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect

from feedback.extensions import db

__all__ = ["insert_rows"]

# (table, columns, conflict, returning) -> (statement, each column's bind processor or None)
_STATEMENTS: dict[tuple[str, tuple[str, ...], tuple[str, ...], str | None], tuple[Any, list[Any]]] = {}


def _prepared(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: str | None, dialect: Dialect
) -> tuple[Any, list[Any]]:
    key = (table.name, columns, conflict, returning)
    found = _STATEMENTS.get(key)
    if found is None:
        arrays: list[str] = []
        selected: list[str] = []
        processors: list[Any] = []
        for i, name in enumerate(columns):
            column_type = table.c[name].type
            is_json = isinstance(column_type, JSON)
            element = "text" if is_json else column_type.compile(dialect=dialect)
            arrays.append(f"CAST(:c{i} AS {element}[])")
            selected.append(f"CAST(m.c{i} AS json)" if is_json else f"m.c{i}")
            processors.append(column_type.dialect_impl(dialect).bind_processor(dialect))
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        sql = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {', '.join(selected)} "
            f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS m({names}, n) ORDER BY m.n"
        )
        if conflict:
            sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
        if returning:
            sql += f" RETURNING {returning}"
        found = _STATEMENTS[key] = (text(sql), processors)
    return found


def insert_rows(
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys: column names) into ``table``.

    ``conflict``: the unique columns of an ON CONFLICT DO NOTHING. ``returning``: a column whose
    value is returned for each row written (a skipped row returns nothing). Returns those values,
    else []. Runs in the session's transaction; never commits.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":  # SQLite, the only other database the project supports
        return _executemany(table, rows, conflict, returning)
    columns = tuple(rows[0])
    stmt, processors = _prepared(table, columns, tuple(conflict), returning, dialect)
    params = {}
    for i, (name, process) in enumerate(zip(columns, processors, strict=True)):
        values = [row[name] for row in rows]
        params[f"c{i}"] = [process(v) for v in values] if process is not None else values
    result = db.session.execute(stmt, params)
    return list(result.scalars()) if returning else []


def _executemany(
    table: Table, rows: Sequence[dict[str, Any]], conflict: Sequence[str], returning: str | None
) -> list[Any]:
    stmt: Any = sqlite.insert(table)
    if conflict:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        return list(db.session.execute(stmt.returning(table.c[returning]), list(rows)).scalars())
    db.session.execute(stmt, list(rows))
    return []
