"""report attachments: files departments upload for their rectification reports

Until now a report's ``attachments`` took any strings; they now name rows of this table, which
a department fills through ``POST /api/staff/v1/uploads`` (PDF or image, rebuilt by content).

Revision ID: dfc567afe65a
Revises: 05be32cd5086
Create Date: 2026-12-05 11:27:53.436501

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dfc567afe65a'
down_revision = '05be32cd5086'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_attachments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_report_attachments_department_id_departments')),
    sa.ForeignKeyConstraint(['report_id'], ['rectification_reports.id'], name=op.f('fk_report_attachments_report_id_rectification_reports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['staff_users.id'], name=op.f('fk_report_attachments_uploaded_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_attachments')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_report_attachments_storage_name'))
    )
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_attachments_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_attachments_report_id'), ['report_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_attachments_report_id'))
        batch_op.drop_index(batch_op.f('ix_report_attachments_created_at'))

    op.drop_table('report_attachments')
