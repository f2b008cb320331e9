"""feedback full-text search index (FTS5 on SQLite, tsvector + GIN on PostgreSQL)

Revision ID: 7a27af80ef91
Revises: e6492ae00e34
Create Date: 2026-11-21

Hand-written: the storage differs per dialect, so it is not modelled in SQLAlchemy and
``feedback.services.admin.search.include_name`` keeps these tables out of model comparison.
The application writes space-separated jieba tokens (feedback.services.admin.search); the
database only splits them at the blanks.

SQLite: a regular (content-storing) FTS5 table, rowid = feedback.id. Contentless
(content='') would be smaller, but on SQLite < 3.43 its rows cannot be replaced or
deleted without the old tokens, and SQLite is the single-machine/development database.
``remove_diacritics 0`` because PostgreSQL's 'simple' configuration keeps accents too.
A trigger deletes the index row with its feedback, as ON DELETE CASCADE does on PostgreSQL;
without it a reused rowid would inherit a deleted feedback's words.

PostgreSQL: ``to_tsvector('simple', tokens)``. Checked on this server (lc_ctype C.UTF-8)
and under lc_ctype C: the default parser ends a word at a blank and reads a run of CJK
characters as one word ("属地管理 属地 管理" -> '属地管理' '属地' '管理'), so each token is one
lexeme. Under C it would not split at CJK punctuation either, which is why the application
sends letters and digits only.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7a27af80ef91'
down_revision = 'e6492ae00e34'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE feedback_search ("
            " feedback_id BIGINT NOT NULL"
            "  CONSTRAINT pk_feedback_search PRIMARY KEY"
            "  CONSTRAINT fk_feedback_search_feedback_id_feedback REFERENCES feedback (id) ON DELETE CASCADE,"
            " tokens TEXT NOT NULL,"
            " vector tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED"
            ")"
        )
        op.execute("CREATE INDEX ix_feedback_search_vector ON feedback_search USING gin (vector)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE feedback_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback "
            "BEGIN DELETE FROM feedback_fts WHERE rowid = old.id; END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE feedback_search")
    else:
        op.execute("DROP TRIGGER feedback_fts_delete")
        op.execute("DROP TABLE feedback_fts")
