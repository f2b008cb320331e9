"""widen feedback.rating for basically_satisfied

Revision ID: 3ed755d4ed94
Revises: 7a27af80ef91
Create Date: 2026-11-21 20:57:10.987163

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3ed755d4ed94'
down_revision = '7a27af80ef91'
branch_labels = None
depends_on = None


# On SQLite, batch mode rebuilds "feedback", which drops the full-text trigger defined on it:
# drop it first and create it again afterwards.
FTS_TRIGGER = ("CREATE TRIGGER feedback_fts_delete AFTER DELETE ON feedback "
               "BEGIN DELETE FROM feedback_fts WHERE rowid = old.id; END")


def _alter(old, new):
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS feedback_fts_delete")
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.alter_column('rating', existing_type=old, type_=new, existing_nullable=True)
    if sqlite:
        op.execute(FTS_TRIGGER)


def upgrade():
    _alter(sa.VARCHAR(length=16), sa.String(length=32))


def downgrade():
    _alter(sa.String(length=32), sa.VARCHAR(length=16))
