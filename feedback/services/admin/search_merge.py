"""Merging the SQLite full-text index's segments, apart from the submissions that write them.

FTS5 stores each transaction's new rows as a new segment and, by default, makes that same
transaction do part of the work of merging segments. Submissions no longer do (migration
a7d3c9e1f5b8 sets ``automerge`` to 0): the ``search-merge`` job calls ``merge_segments``, which
runs FTS5's documented ``'merge'`` command a step at a time until it reports no more work.
Merging changes how the index is laid out, never what a search finds. PostgreSQL has nothing to
merge here (its GIN index's pending list is autovacuum's work).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import cast

from feedback.extensions import db, dialect_name

__all__ = ["MERGE_PAGES", "merge_segments"]

# Pages one step writes at most: about 0.1 s on the 2x10^5-row bench file, so a submission that
# waits for the write lock waits for one step, not for the whole merge.
MERGE_PAGES = 1000
_MERGE = "INSERT INTO feedback_fts (feedback_fts, rank) VALUES ('merge', ?)"


def merge_segments(
    *, max_seconds: float = 60.0, pages: int = MERGE_PAGES, after_step: Callable[[], None] | None = None
) -> dict[str, int]:
    """Merge segments until FTS5 has none left to merge or ``max_seconds`` have passed.

    Returns {"merge_steps": steps that did work, "merge_done": 1 when nothing is left to merge}.
    ``after_step`` (the job: commit) runs after each step that did work. FTS5 tells whether a
    step did any: the connection's total changes then grow by at least 2.
    """
    if dialect_name() != "sqlite":
        return {"merge_steps": 0, "merge_done": 1}
    steps = 0
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        connection = db.session.connection()
        raw = cast(sqlite3.Connection, connection.connection.driver_connection)
        before = raw.total_changes
        connection.exec_driver_sql(_MERGE, (pages,))
        if raw.total_changes - before < 2:
            return {"merge_steps": steps, "merge_done": 1}
        steps += 1
        if after_step is not None:
            after_step()
    return {"merge_steps": steps, "merge_done": 0}
