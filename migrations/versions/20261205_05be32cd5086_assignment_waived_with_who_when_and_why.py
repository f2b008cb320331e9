"""assignment waived (免报) with who, when and why

Revision ID: 05be32cd5086
Revises: 2b6d59286a0b
Create Date: 2026-12-05 11:21:25.473392

Closing a feedback used to mark every cooperating assignment still open 已销号 ("accepted",
action ``close_with_primary``) although that department never reported. Those rows become
``waived`` (免报), dated and attributed to whoever closed the feedback, with a reason saying
that the decision was the old automatic one. Downgrade turns them back into "accepted".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '05be32cd5086'
down_revision = '2b6d59286a0b'
branch_labels = None
depends_on = None

LEGACY_REASON = "办结时尚未反馈，按旧规则随主办单位一并关闭（系统升级时由“已销号”更正为“免报”）"


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waived_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('waived_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('waive_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_assignments_waived_by_staff_users'), 'staff_users', ['waived_by'], ['id'])

    closed_with = ("SELECT {col} FROM events e WHERE e.assignment_id = assignments.id "
                   "AND e.action = 'close_with_primary' ORDER BY e.id DESC LIMIT 1")
    op.execute(sa.text(
        "UPDATE assignments SET status = 'waived', "
        f"waived_at = ({closed_with.format(col='e.created_at')}), "
        f"waived_by = (SELECT s.id FROM staff_users s WHERE s.id = ({closed_with.format(col='e.actor_id')})), "
        "waive_reason = :reason "
        "WHERE status = 'accepted' AND accepted_at IS NULL AND EXISTS "
        "(SELECT 1 FROM events e WHERE e.assignment_id = assignments.id AND e.action = 'close_with_primary')"
    ).bindparams(reason=LEGACY_REASON))


def downgrade():
    op.execute(sa.text("UPDATE assignments SET status = 'accepted' WHERE status = 'waived'"))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assignments_waived_by_staff_users'), type_='foreignkey')
        batch_op.drop_column('waive_reason')
        batch_op.drop_column('waived_by')
        batch_op.drop_column('waived_at')
