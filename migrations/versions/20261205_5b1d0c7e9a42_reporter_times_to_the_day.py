"""reporter times to the day

What a reporter did (submission, auto tags, attachments, contact, idempotency record, the
reporter's events and answers) is stored to the day only from now on (DESIGN §5, issue 8
item 11): exact times could be matched against the moments a rate-limit store saw one person
act. This coarsens the rows written before. Times are stored as naive UTC; Beijing has had
no daylight saving since 1991, so local midnight is always 16:00 UTC the day before.

There is no way back: downgrade leaves the times coarse.

Revision ID: 5b1d0c7e9a42
Revises: 03fe00356467
Create Date: 2026-12-05 11:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b1d0c7e9a42'
down_revision = '03fe00356467'
branch_labels = None
depends_on = None


def _day(column: str, dialect: str) -> str:
    """SQL for Beijing midnight of the naive-UTC ``column``'s local day, as naive UTC."""
    if dialect == "postgresql":
        return f"date_trunc('day', {column} + interval '8 hours') - interval '8 hours'"
    # The same text form SQLAlchemy writes, so string comparisons in SQLite stay right.
    return f"datetime(date({column}, '+8 hours'), '-8 hours') || '.000000'"


def upgrade():
    dialect = op.get_bind().dialect.name
    submitted = ("submitted_on::timestamp - interval '8 hours'" if dialect == "postgresql"
                 else "datetime(submitted_on, '-8 hours') || '.000000'")
    op.execute(f"UPDATE feedback SET submitted_at = {submitted}")
    updates = [
        ("feedback_tags", "created_at", "source = 'auto'"),
        ("feedback_contacts", "created_at", None),
        ("uploads", "created_at", "feedback_id IS NOT NULL"),
        ("idempotency_records", "created_at", None),
        ("events", "created_at", "actor_type = 'reporter'"),
        ("messages", "created_at", "direction = 'from_reporter'"),
    ]
    for table, column, where in updates:
        op.execute(f"UPDATE {table} SET {column} = {_day(column, dialect)}" + (f" WHERE {where}" if where else ""))


def downgrade():
    pass
