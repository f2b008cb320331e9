"""Rows written by services.bulk_insert (the deadline watch's notices, events and supervision items;
on PostgreSQL as arrays) must be stored exactly as SQLAlchemy's executemany stores them, in the
list's order, with conflicts skipped as ON CONFLICT DO NOTHING skipped them row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, text

from feedback.models import Event, Feedback, OutboxMessage
from feedback.services.bulk_insert import insert_rows

MOMENT = datetime(2026, 12, 7, 10, 30, 15, tzinfo=timezone(timedelta(hours=8)))


def _on_postgresql(db) -> bool:
    return db.engine.dialect.name == "postgresql"


def _notice(key: str, **changes):
    return {
        "dedupe_key": key,
        "kind": "overdue",
        "channel": "log",
        "recipient": None,
        "department_id": None,
        "point_id": None,
        "subject": "【超期】第 12 号反映的交办单已超期",
        "body": "请尽快办理；确需延期的，请申请延期。",
        "payload": {"assignment_id": 7, "due_day": "2026-12-04"},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": MOMENT,
        "created_at": MOMENT,
    } | changes


def _stored(db, table: str, where: str, params: dict) -> list[tuple]:
    rows = db.session.execute(text(f"SELECT * FROM {table} WHERE {where} ORDER BY id"), params).mappings().all()
    return [tuple(v for k, v in row.items() if k not in ("id", "dedupe_key")) for row in rows]


def test_notices_are_stored_as_an_executemany_stores_them(app, db):
    table = OutboxMessage.__table__
    rows = [_notice("a:1"), _notice("a:2", payload=None, recipient="ops@example.org"), _notice("a:3", attempts=2)]
    db.session.execute(insert(table), rows)
    queued = insert_rows(
        table, [_notice(r["dedupe_key"].replace("a:", "b:")) | _differs(r) for r in rows], returning="dedupe_key"
    )
    assert queued == ["b:1", "b:2", "b:3"]  # the list's order
    by_executemany = _stored(db, "outbox_messages", "dedupe_key LIKE 'a:%'", {})
    by_arrays = _stored(db, "outbox_messages", "dedupe_key LIKE 'b:%'", {})
    assert by_arrays == by_executemany
    # A missing payload is JSON null (as the JSON type writes None), not SQL NULL; the time is UTC.
    raw = db.session.execute(
        text("SELECT CAST(payload AS TEXT), created_at FROM outbox_messages WHERE dedupe_key = 'b:2'")
    ).one()
    assert raw[0] == "null"
    utc = MOMENT.astimezone(UTC).replace(tzinfo=None)
    assert raw[1] == (utc if _on_postgresql(db) else utc.isoformat(" ", "microseconds"))


def _differs(row: dict) -> dict:
    return {k: row[k] for k in ("payload", "recipient", "attempts")}


def test_taken_and_repeated_keys_are_skipped_and_not_returned(app, db):
    table = OutboxMessage.__table__
    insert_rows(table, [_notice("k:1")])
    queued = insert_rows(
        table,
        [_notice("k:1", body="again"), _notice("k:2"), _notice("k:2", body="twice in the list"), _notice("k:3")],
        conflict=["dedupe_key"],
        returning="dedupe_key",
    )
    assert queued == ["k:2", "k:3"]
    stored = db.session.execute(text("SELECT dedupe_key, body FROM outbox_messages WHERE dedupe_key LIKE 'k:%'"))
    bodies = {key: body for key, body in stored}
    assert bodies["k:1"] == bodies["k:2"] == _notice("x")["body"]


def test_events_keep_their_order_and_json_data(app, db):
    feedback_id = db.session.execute(
        insert(Feedback.__table__).returning(Feedback.id),
        {
            "kind": "problem",
            "status": "assigned",
            "content": "县里各部门轮流要求社区报送同一份台账。",
            "anonymous": True,
            "receipt_hash": "r" * 64,
            "submitted_at": MOMENT,
            "submitted_on": MOMENT.date(),
            "updated_at": MOMENT,
            "reopen_count": 0,
        },
    ).scalar_one()
    events = [
        {
            "feedback_id": feedback_id,
            "assignment_id": None,
            "action": action,
            "actor_type": "system",
            "actor_id": None,
            "actor_role": "system",
            "from_status": None,
            "to_status": None,
            "reason": None,
            "visible_to_reporter": False,
            "data": data,
            "created_at": MOMENT,
        }
        for action, data in (("overdue", {"due_day": "2026-12-04"}), ("tongbao", None), ("supervised", {"n": 2}))
    ]
    db.session.execute(insert(Event.__table__), events)
    insert_rows(Event.__table__, events)
    stored = _stored(db, "events", "feedback_id = :f", {"f": feedback_id})
    assert stored[3:] == stored[:3]
    actions = db.session.scalars(
        text("SELECT action FROM events WHERE feedback_id = :f ORDER BY id"), {"f": feedback_id}
    )
    assert list(actions)[3:] == ["overdue", "tongbao", "supervised"]
