"""feedback_terms: each feedback's jieba keywords, cut once at intake, counted by the monthly facts

Feedback submitted before this revision has no terms yet: run ``flask summaries terms`` once after
upgrading (it commits per batch and can be interrupted and rerun); a month's term facts count only
the feedback whose terms are stored. Cutting 10^6 texts takes minutes, too long for a migration.

Revision ID: a2d475e11ec3
Revises: 2d84b73dc531
Create Date: 2026-12-05 14:25:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2d475e11ec3'
down_revision = '2d84b73dc531'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_terms',
    sa.Column('feedback_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('term', sa.String(length=64), nullable=False),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'], name=op.f('fk_feedback_terms_feedback_id_feedback'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('feedback_id', 'term', name=op.f('pk_feedback_terms'))
    )
    with op.batch_alter_table('feedback_terms', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_terms_submitted_on', ['submitted_on'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_terms_submitted_on')

    op.drop_table('feedback_terms')
