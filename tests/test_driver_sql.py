"""The submission's statements run on the DBAPI cursor (services.driver_sql) must store exactly what
SQLAlchemy's own execution stores: a report written by the fast path reads back, in every console
list and export, like one written any other way."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, text

from feedback.models import Event, Feedback
from feedback.services import driver_sql

DAY = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def _feedback(**changes):
    return {
        "kind": "problem",
        "status": "submitted",
        "content": "街道要求每个社区每周报送三张进度表，内容大同小异。",
        "anonymous": True,
        "region_code": "110101",
        "unit_level": None,
        "imposer_level": "district",
        "point_id": None,
        "receipt_hash": "h" * 64,
        "submitted_at": DAY,
        "submitted_on": date(2026, 12, 1),
        "updated_at": DAY,
        "routing_suggestion": {"department": "县委组织部", "reasons": ["陪会"]},
        "reopen_count": 0,
    } | changes


def _stored(db, table: str, row_id: int) -> tuple:
    """The row as the database holds it (the driver's own values, no SQLAlchemy types), without its
    id and receipt hash (unique to each row)."""
    row = db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).mappings().one()
    return tuple(v for k, v in row.items() if k not in ("id", "receipt_hash"))


def test_a_row_written_on_the_cursor_is_stored_as_sqlalchemy_stores_it(app, db):
    values = _feedback()
    by_session = db.session.execute(insert(Feedback.__table__).returning(Feedback.id), values).scalar_one()
    rows = driver_sql.execute(
        insert(Feedback.__table__).returning(Feedback.id), values | {"receipt_hash": "c" * 64}, insert_columns=True
    )
    by_cursor = rows[0][0]
    assert by_cursor != by_session
    assert _stored(db, "feedback", by_cursor) == _stored(db, "feedback", by_session)

    # JSON null, no actor and a boolean: the event a cadre's submission writes.
    event = {
        "feedback_id": by_cursor,
        "assignment_id": None,
        "action": "submitted",
        "actor_type": "reporter",
        "actor_id": None,
        "actor_role": None,
        "from_status": None,
        "to_status": "submitted",
        "reason": None,
        "visible_to_reporter": True,
        "data": None,
        "created_at": DAY,
    }
    first = db.session.execute(insert(Event.__table__).returning(Event.id), event).scalar_one()
    driver_sql.executemany(insert(Event.__table__), [event, event], insert_columns=True)
    ids = db.session.scalars(text("SELECT id FROM events WHERE id > :id ORDER BY id"), {"id": first}).all()
    assert len(ids) == 2
    assert {_stored(db, "events", i) for i in ids} == {_stored(db, "events", first)}

    # The ORM reads the rows back as it wrote them: aware UTC times, the day, the suggestion.
    db.session.commit()
    written = db.session.get(Feedback, by_cursor)
    assert (written.submitted_at, written.submitted_on) == (DAY, date(2026, 12, 1))
    assert written.routing_suggestion == values["routing_suggestion"]


def test_a_cursor_statement_is_rolled_back_with_the_session(app, db):
    driver_sql.execute(insert(Feedback.__table__).returning(Feedback.id), _feedback(), insert_columns=True)
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM feedback")) == 0


def test_a_column_whose_default_python_computes_must_be_given(app, db):
    # Session.execute would fill updated_at from the model's default; the cursor path has no
    # execution context to do it, so it refuses instead of writing NULL.
    values = _feedback()
    del values["updated_at"]
    with pytest.raises(KeyError, match="updated_at"):
        driver_sql.execute(insert(Feedback.__table__).returning(Feedback.id), values, insert_columns=True)
