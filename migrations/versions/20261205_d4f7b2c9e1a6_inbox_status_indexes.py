"""inbox: (status, id) and (status, region_code, id) indexes on feedback

A status's deep pages (page=N) read the page's ids from (status, id) alone and fetch 21 rows (a
deferred join) instead of reading and dropping every earlier row: status=closed page 1000 at 10^6
rows read 93k rows. status with a region prefix reads its ids from (status, region_code
varchar_pattern_ops, id) alone; a tag filter then probes each of them (services.triage.inbox).

Revision ID: d4f7b2c9e1a6
Revises: c3e8a1f05b27
Create Date: 2026-12-05 17:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd4f7b2c9e1a6'
down_revision = 'c3e8a1f05b27'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ix_feedback_status_region_code_id', ['status', 'region_code', 'id'], unique=False,
                              postgresql_ops={'region_code': 'varchar_pattern_ops'})


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_status_region_code_id')
        batch_op.drop_index('ix_feedback_status_id')
