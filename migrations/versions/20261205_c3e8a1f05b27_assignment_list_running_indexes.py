"""assignment lists: partial indexes of the running assignments by due_at, and by department and due_at; open ones by feedback

The lists' deadline filters (overdue, due soon, on time) read only running assignments, nearest
deadline first; at 10^6 assignments the overdue list counted through the heap and a department's
walked every earlier deadline of the province. The inbox's "overdue" filter asks, per feedback,
whether an open assignment is past its deadline: (feedback_id, due_at) of the open rows answers it
from the index alone.

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
OPEN = "status IN ('pending', 'acknowledged', 'responded', 'sent_back')"


def upgrade():
    where = sa.text(RUNNING)
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_running_due_at', ['due_at', 'id'], unique=False,
                              postgresql_where=where, sqlite_where=where)
        batch_op.create_index('ix_assignments_running_department_id_due_at', ['department_id', 'due_at', 'id'],
                              unique=False, postgresql_where=where, sqlite_where=where)
        batch_op.create_index('ix_assignments_open_feedback_id_due_at', ['feedback_id', 'due_at'], unique=False,
                              postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_open_feedback_id_due_at')
        batch_op.drop_index('ix_assignments_running_department_id_due_at')
        batch_op.drop_index('ix_assignments_running_due_at')
