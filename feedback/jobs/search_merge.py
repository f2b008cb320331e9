"""Job ``search-merge``: merge the full-text index's segments outside any submission (SQLite).

See feedback/services/admin/search_merge.py. Commits after every step, like the retention job:
a merge of a large index takes seconds, and a submission must never wait for all of it.
Idempotent; on PostgreSQL it does nothing.
"""

from __future__ import annotations

from feedback.extensions import db
from feedback.jobs.context import JobContext
from feedback.services.admin.search_merge import merge_segments


def run(ctx: JobContext) -> dict[str, int]:
    return merge_segments(after_step=db.session.commit)
