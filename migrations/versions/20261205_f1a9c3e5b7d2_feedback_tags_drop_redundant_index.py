"""feedback_tags: drop ix_feedback_tags_feedback_id, a prefix of the unique (feedback_id, tag_id)

Every look-up by feedback_id uses the unique index as well; the single-column index was only one
more B-tree every automatic tag of every submission had to be written into.

Revision ID: f1a9c3e5b7d2
Revises: e8b3a5d1c7f2
Create Date: 2026-12-05 19:55:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'f1a9c3e5b7d2'
down_revision = 'e8b3a5d1c7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_tags_feedback_id')


def downgrade():
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_tags_feedback_id', ['feedback_id'], unique=False)
