"""staff_users.unlocked_at: an admin lifts the login brakes on an account

The login failure counters (feedback/services/admin/staff_throttle.py) are keyed with a digest of
the password hash and of this moment, so setting it makes every earlier failure stop counting,
in every process, without knowing which client was locked out.

Revision ID: 6c1a9e2f7b30
Revises: 320d0ffef76c
Create Date: 2026-12-05 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c1a9e2f7b30'
down_revision = '320d0ffef76c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlocked_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('unlocked_at')
