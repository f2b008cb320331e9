"""assignment lists: partial indexes of the running assignments by due_at, and by department and due_at

The lists' deadline filters (overdue, due soon, on time) read only running assignments, nearest
deadline first; at 10^6 assignments the overdue list counted through the heap and a department's
walked every earlier deadline of the province.

Revision ID: c3e8a1f05b27
Revises: a2d475e11ec3
Create Date: 2026-12-05 15:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3e8a1f05b27'
down_revision = 'a2d475e11ec3'
branch_labels = None
depends_on = None

RUNNING = "status IN ('pending', 'acknowledged', 'sent_back')"


def upgrade():
    where = sa.text(RUNNING)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_running_due_at', ['due_at', 'id'], unique=False,
                              postgresql_where=where, sqlite_where=where)
        batch_op.create_index('ix_assignments_running_department_id_due_at', ['department_id', 'due_at', 'id'],
                              unique=False, postgresql_where=where, sqlite_where=where)


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_running_department_id_due_at')
        batch_op.drop_index('ix_assignments_running_due_at')
