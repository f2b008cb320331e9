"""staff login failures leave the account row

Failures are counted per (username, client), per username and per client in the rate-limit
store (feedback/services/staff_throttle.py); a lock on the account row let any stranger who
knew a username lock its owner out.

Revision ID: 03fe00356467
Revises: dfc567afe65a
Create Date: 2026-12-05 11:23:15.178206

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '03fe00356467'
down_revision = 'dfc567afe65a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
