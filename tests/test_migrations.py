"""The migrations are the schema: one head, and nothing the models have that they lack."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from feedback.extensions import db as _db
from feedback.services.admin.search import include_name


def test_single_head(app):
    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_models_match_migrations(app):
    assert isinstance(app.extensions["migrate"].migrate, Migrate)
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, _db.metadata)
    assert diff == []


def test_reporter_times_written_before_are_coarsened_to_the_day(app, db):
    """Migration 5b1d0c7e9a42: rows from before keep only their Beijing day (issue 8 item 11)."""
    from datetime import UTC, date, datetime

    import flask_migrate
    from sqlalchemy import select

    from feedback.models import Event, Feedback, Message

    exact = datetime(2026, 11, 30, 17, 5, 9, 250000, tzinfo=UTC)  # 2026-12-01 01:05:09 in Beijing
    staff_moment = datetime(2026, 12, 1, 2, 0, 1, tzinfo=UTC)
    feedback = Feedback(
        kind="problem",
        status="submitted",
        content="会议太多，基层疲于应付各类检查。",
        receipt_hash="m" * 64,
        submitted_at=exact,
        submitted_on=date(2026, 12, 1),
    )
    db.session.add(feedback)
    db.session.flush()
    db.session.add_all(
        [
            Event(feedback_id=feedback.id, action="submitted", actor_type="reporter", created_at=exact),
            Event(feedback_id=feedback.id, action="ask", actor_type="staff", created_at=staff_moment),
            Message(feedback_id=feedback.id, direction="from_reporter", body="补充", created_at=exact),
        ]
    )
    fid = feedback.id
    db.session.commit()
    # No transaction of ours may stay open: PostgreSQL would make the migrations' DDL wait for it.
    db.session.remove()
    flask_migrate.downgrade(revision="03fe00356467")
    flask_migrate.upgrade()
    db.session.remove()
    midnight = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert db.session.scalar(select(Feedback.submitted_at)) == midnight
    events = dict(db.session.execute(select(Event.actor_type, Event.created_at)).all())
    assert events == {"reporter": midnight, "staff": staff_moment}
    assert db.session.scalar(select(Message.created_at)) == midnight
    # Compared as SQLAlchemy binds them (SQLite keeps text): the day is still "on or after midnight".
    assert db.session.scalar(select(Feedback.id).where(Feedback.submitted_at >= midnight)) == fid


def test_notice_reads_migration_goes_down_and_up_again(app, db):
    """Migration 4ce572ae74a0: the per-user read state of 我的通知 (nothing to backfill: all start unread)."""
    import flask_migrate
    from sqlalchemy import inspect

    db.session.remove()
    flask_migrate.downgrade(revision="320d0ffef76c")
    assert "notice_reads" not in inspect(db.engine).get_table_names()
    flask_migrate.upgrade()
    columns = {c["name"] for c in inspect(db.engine).get_columns("notice_reads")}
    assert columns == {"id", "staff_user_id", "outbox_id", "read_at"}


def test_deadline_watch_marks_are_rebuilt_from_what_the_watch_wrote(app, db, seeded, tmp_path):
    """Migration 2d84b73dc531: rows from before get ``paused`` from the feedback status and the
    once-only marks from the outbox keys and 通报 items, so the next scan sends nothing twice."""
    from datetime import UTC, date, datetime, time

    import flask_migrate
    from sqlalchemy import select

    from feedback.models import Assignment, Feedback, OutboxMessage
    from feedback.services.handling.actors import Actor
    from feedback.services.intake.submit import submit_feedback
    from feedback.services.notices import deadline_watch
    from feedback.services.triage import decisions
    from feedback.timeutil import CHINA
    from tests.support.api import MEETING, route
    from tests.support.routing import write_routing

    write_routing(tmp_path / "notifications.yaml", "http://127.0.0.1:9/cgi-bin/webhook/send?key=unused")
    app.config["NOTIFICATIONS_PATH"] = str(tmp_path / "notifications.yaml")
    clock = app.extensions["clock"]

    def at(day: date) -> datetime:
        return datetime.combine(day, time(10), tzinfo=CHINA).astimezone(UTC)

    clock.freeze(at(date(2026, 9, 9)))
    ids = []
    for _ in range(2):
        submit_feedback("migration-test", {"kind": "problem", "content": MEETING})
        db.session.commit()
        fid = db.session.scalar(select(Feedback.id).order_by(Feedback.id.desc()).limit(1))
        ids.append((fid, route(db, fid, "city-wb")[0]))
    (_, watched), (waiting_fid, waiting) = ids
    decisions.ask_reporter(Actor("staff", "triage"), db.session.get(Feedback, waiting_fid), "请补充")
    db.session.commit()
    for day in (date(2026, 9, 29), date(2026, 10, 16)):  # due 09-30: reminded, then overdue and 通报
        clock.freeze(at(day))
        deadline_watch.scan()
        db.session.commit()

    def marks() -> dict[int, tuple]:
        db.session.expire_all()
        return {
            a.id: (a.paused, a.due_soon_queued_at, a.unacknowledged_queued_at, a.overdue_at, a.tongbao_at)
            for a in db.session.scalars(select(Assignment))
        }

    before = marks()
    assert before[waiting][0] is True and before[waiting][1:] == (None, None, None, None)
    assert all(before[watched][1:]) and before[watched][0] is False
    db.session.remove()
    flask_migrate.downgrade(revision="320d0ffef76c")
    flask_migrate.upgrade()
    db.session.remove()
    assert marks() == before
    sent = db.session.query(OutboxMessage).count()
    assert deadline_watch.scan() == {"resolved": 0, "due_soon": 0, "unacknowledged": 0, "overdue": 0, "tongbao": 0}
    assert db.session.query(OutboxMessage).count() == sent


def test_search_index_keeps_finding_the_same_rows_down_and_up(app, db, seeded):
    """Migration e8b3a5d1c7f2: PostgreSQL's search table keeps the lexemes only; going down rebuilds
    the token text from them, and each way a search finds what it found before."""
    import flask_migrate
    from sqlalchemy import select

    from feedback.models import Feedback
    from feedback.services.admin.search import apply_search
    from feedback.services.intake.submit import submit_feedback

    submit_feedback("m1", {"kind": "problem", "content": "属地管理变成了层层甩锅，陪会也越来越多。"})
    submit_feedback("m2", {"kind": "problem", "content": "Excel报表每月重复填报。"})
    db.session.commit()

    def found(query: str) -> list[str]:
        return [c[:2] for c in db.session.scalars(apply_search(select(Feedback.content), query).order_by(Feedback.id))]

    before = {q: found(q) for q in ("属地管理", "陪会", "excel", "报表 填报", "管理 excel")}
    assert before["属地管理"] == ["属地"] and before["excel"] == ["Ex"] and before["管理 excel"] == []
    db.session.remove()
    flask_migrate.downgrade(revision="d4f7b2c9e1a6")
    assert {q: found(q) for q in before} == before
    db.session.remove()
    flask_migrate.upgrade()
    assert {q: found(q) for q in before} == before
