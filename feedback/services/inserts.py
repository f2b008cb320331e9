"""Inserting a row whose unique key another transaction may be inserting at the same moment.

Used wherever two requests or two job processes can race on one key (a notice's dedupe key, a
supervision, an idempotency key, a ledger day). A failed INSERT would poison the whole session and
force a rollback of everything the request had done; a savepoint would work on PostgreSQL but not
on SQLite's Python driver, where releasing the outermost savepoint commits. This works on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from feedback.extensions import db, dialect_name


def insert_if_absent(model: Any, values: dict[str, Any], unique: list[str]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new row's id, or None if the key was taken.

    Unlike a pre-check or a savepoint, this is atomic on SQLite and PostgreSQL alike: of two
    concurrent transactions inserting the same key, PostgreSQL makes the second wait for the
    first and then do nothing; SQLite serialises the writers.
    """
    if dialect_name() == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    else:  # SQLite, the only other database the project supports
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)
    return db.session.execute(stmt.returning(model.id)).scalar_one_or_none()
