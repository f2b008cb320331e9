"""feedback_tags: tagger version and learned evidence of automatic tags

Revision ID: b7c1d2e3f4a5
Revises: 5b1d0c7e9a42
Create Date: 2026-12-05 11:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = '5b1d0c7e9a42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tagger_version', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('learned', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('feedback_tags', schema=None) as batch_op:
        batch_op.drop_column('learned')
        batch_op.drop_column('tagger_version')
