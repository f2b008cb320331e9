"""feedback_search on PostgreSQL keeps only the stripped tsvector, not the token text

At 10^6 feedback the table took 2.2 GB: per row the token text (~0.6 KB) and a tsvector with a
position for every lexeme (~1.5 KB), though nothing reads the text and no query uses positions
(plainto_tsquery of single words ANDs them, ts_rank weighs each distinct token once either way).
Now ``vector`` is a plain column written by the application as strip(to_tsvector('simple', tokens))
(feedback.services.admin.search._upsert); the table is rewritten once, about half the size.

SQLite's FTS5 table is unchanged. Downgrade rebuilds the text from the lexemes (sorted, not in the
order first seen: the same index).

Revision ID: e8b3a5d1c7f2
Revises: d4f7b2c9e1a6
Create Date: 2026-12-05 17:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e8b3a5d1c7f2'
down_revision = 'd4f7b2c9e1a6'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE feedback_search ALTER COLUMN vector DROP EXPRESSION")
    op.execute("ALTER TABLE feedback_search DROP COLUMN tokens")
    # Rewrites the table (and its GIN index) without the dropped text and the positions.
    op.execute("ALTER TABLE feedback_search ALTER COLUMN vector TYPE tsvector USING strip(vector)")
    op.execute("ALTER TABLE feedback_search ALTER COLUMN vector SET NOT NULL")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE feedback_search ADD COLUMN tokens TEXT")
    op.execute("UPDATE feedback_search SET tokens = array_to_string(tsvector_to_array(vector), ' ')")
    op.execute("ALTER TABLE feedback_search ALTER COLUMN tokens SET NOT NULL")
    op.execute("DROP INDEX ix_feedback_search_vector")
    op.execute("ALTER TABLE feedback_search DROP COLUMN vector")
    op.execute(
        "ALTER TABLE feedback_search ADD COLUMN vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED"
    )
    op.execute("CREATE INDEX ix_feedback_search_vector ON feedback_search USING gin (vector)")
