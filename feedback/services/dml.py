"""Bulk UPDATE and DELETE statements whose callers need to know how many rows they touched."""

from __future__ import annotations

from sqlalchemy import CursorResult
from sqlalchemy.sql.dml import UpdateBase

from feedback.extensions import db


def rows_affected(stmt: UpdateBase) -> int:
    """Run ``stmt`` in the session and return its row count.

    ``Session.execute`` is typed to return a plain ``Result``, which has no ``rowcount``; for an
    UPDATE or DELETE without RETURNING the object is a ``CursorResult``, and saying so here keeps
    the type checker honest without a cast at every call site.
    """
    result = db.session.execute(stmt)
    if not isinstance(result, CursorResult):  # only a statement with RETURNING or an ORM bulk form
        raise TypeError(f"{type(stmt).__name__} did not produce a cursor result")
    return result.rowcount
