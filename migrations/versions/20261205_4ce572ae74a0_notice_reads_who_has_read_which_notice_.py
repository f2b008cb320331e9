"""notice reads: who has read which notice in the console

Revision ID: 4ce572ae74a0
Revises: 6c1a9e2f7b30
Create Date: 2026-12-05 14:01:30.946758

The console's 我的通知 lists the notices addressed to a user's unit; a row here says that one staff
user has read one of them (no row: unread). Nothing to backfill: every notice starts unread.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4ce572ae74a0'
down_revision = '6c1a9e2f7b30'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_reads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox_messages.id'], name=op.f('fk_notice_reads_outbox_id_outbox_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_notice_reads_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_reads')),
    sa.UniqueConstraint('staff_user_id', 'outbox_id', name='uq_notice_reads_staff_user_outbox')
    )
    with op.batch_alter_table('notice_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_reads_outbox_id'), ['outbox_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notice_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_reads_outbox_id'))

    op.drop_table('notice_reads')
