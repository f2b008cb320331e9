"""SQLite full-text index: segments merged by the search-merge job, not by each submission

Every commit that writes an FTS5 row flushes it as a new segment; with FTS5's default settings
(automerge 4, crisismerge 16) the same commit then does a share of merging those segments, and on
the 2x10^5-row bench file that merging was 0.5–0.7 ms of a submission's CPU, most of its commit
(issue 12). automerge 0 leaves merging to the ``search-merge`` job (feedback/jobs/search_merge.py),
as PostgreSQL leaves its GIN index's pending list to autovacuum. crisismerge 64 bounds the segments
of one level should the job not run: a level is then merged at once when it reaches 64 (16 would
put a merge back into every 16th submission). The index's contents and every search result stay
the same; only how its segments are laid out changes. PostgreSQL: nothing to do.

Revision ID: a7d3c9e1f5b8
Revises: f1a9c3e5b7d2
Create Date: 2026-12-05 22:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7d3c9e1f5b8'
down_revision = 'f1a9c3e5b7d2'
branch_labels = None
depends_on = None

_SET = "INSERT INTO feedback_fts (feedback_fts, rank) VALUES ('{name}', {value})"


def _configure(automerge: int, crisismerge: int) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(_SET.format(name="automerge", value=automerge))
    op.execute(_SET.format(name="crisismerge", value=crisismerge))


def upgrade():
    _configure(automerge=0, crisismerge=64)


def downgrade():
    _configure(automerge=4, crisismerge=16)  # FTS5's defaults
