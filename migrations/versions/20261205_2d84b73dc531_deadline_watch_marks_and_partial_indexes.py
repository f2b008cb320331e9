"""deadline watch: paused flag, once-only step marks and partial indexes of the due rows per step

The watch used to join every running assignment to its feedback (is it waiting for the reporter?)
and probe the outbox for every reminder it might send. Now each step reads a partial index holding
only the assignments still waiting for that step (models.assignment.WATCH_STEPS). Existing rows get
their marks from what the watch already wrote: ``paused`` from the feedback status, the reminder
marks from the outbox keys, ``tongbao_at`` from the 通报 items, ``under_supervision`` from the
open 督办/通报 items (the last index holds those whose assignment stopped running: to resolve).

Revision ID: 2d84b73dc531
Revises: 4ce572ae74a0
Create Date: 2026-12-05 14:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d84b73dc531'
down_revision = '4ce572ae74a0'
branch_labels = None
depends_on = None

# Frozen copies of models.assignment.WATCH_STEPS as of this revision.
RUNNING = "status IN ('pending', 'acknowledged', 'sent_back') AND NOT paused"
STEPS = {
    "due_soon": ("due_at", f"{RUNNING} AND due_soon_queued_at IS NULL"),
    "unacknowledged": ("acknowledge_due_at", "status = 'pending' AND NOT paused AND unacknowledged_queued_at IS NULL"),
    "overdue": ("due_at", f"{RUNNING} AND overdue_at IS NULL"),
    "tongbao": ("due_at", f"{RUNNING} AND overdue_at IS NOT NULL AND tongbao_at IS NULL"),
    "settle": ("id", "under_supervision AND status NOT IN ('pending', 'acknowledged', 'sent_back')"),
}


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('due_soon_queued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('unacknowledged_queued_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('tongbao_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('under_supervision', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.execute(
        "UPDATE assignments SET paused = true "
        "WHERE feedback_id IN (SELECT id FROM feedback WHERE status = 'needs_info')"
    )
    key = "'assignment:' || assignments.id || :suffix"
    for kind in ("due_soon", "unacknowledged"):
        op.execute(
            sa.text(
                f"UPDATE assignments SET {kind}_queued_at = "
                f"(SELECT o.created_at FROM outbox_messages o WHERE o.dedupe_key = {key}) "
                f"WHERE EXISTS (SELECT 1 FROM outbox_messages o WHERE o.dedupe_key = {key})"
            ).bindparams(suffix=f":{kind}")
        )
    op.execute(
        "UPDATE assignments SET tongbao_at = "
        "(SELECT s.created_at FROM supervisions s WHERE s.assignment_id = assignments.id AND s.level = 'tongbao') "
        "WHERE EXISTS (SELECT 1 FROM supervisions s WHERE s.assignment_id = assignments.id AND s.level = 'tongbao')"
    )

    op.execute(
        "UPDATE assignments SET under_supervision = true WHERE id IN "
        "(SELECT assignment_id FROM supervisions WHERE resolved_at IS NULL)"
    )

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        for step, (column, predicate) in STEPS.items():
            where = sa.text(predicate)
            batch_op.create_index(
                f'ix_assignments_watch_{step}', [column], unique=False, postgresql_where=where, sqlite_where=where
            )


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        for step in reversed(list(STEPS)):
            batch_op.drop_index(f'ix_assignments_watch_{step}')
        batch_op.drop_column('under_supervision')
        batch_op.drop_column('tongbao_at')
        batch_op.drop_column('unacknowledged_queued_at')
        batch_op.drop_column('due_soon_queued_at')
        batch_op.drop_column('paused')
