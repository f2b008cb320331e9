"""indexes no query needs: feedback_tags (feedback_id) and feedback (status, submitted_at)

Every submission writes into each index of feedback and of feedback_tags (issue 12):
- ix_feedback_tags_feedback_id is a prefix of the unique (feedback_id, tag_id) index, which serves
  every look-up by feedback_id as well;
- ix_feedback_status_submitted_at serves no query: lists order by id, monthly facts read
  submitted_on, and a filter by status alone reads (status, id).

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
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_status_submitted_at')


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_status_submitted_at', ['status', 'submitted_at'], unique=False)
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_tags_feedback_id', ['feedback_id'], unique=False)
