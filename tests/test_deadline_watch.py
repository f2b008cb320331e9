"""Deadline watch on a controllable clock: reminders, 督办 and 通报 on the right working day, each once.

Chinese calendar for 2026: Mid-Autumn 09-25..27 and National Day 10-01..07 are off; Sunday 09-20
and Saturday 10-10 are make-up workdays. Feedback is submitted through the mini-program API and
routed by the routing service (15 working days for ``direct``); the ``deadline-watch`` job runs
through the job runner several times a day, every day, weekends and holidays included, and the
outbox tells on which day each notice was queued.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from feedback.jobs.runner import run_job
from feedback.models import Assignment, Event, Feedback, JobRun, OutboxMessage, Supervision
from feedback.services.handling import assignments
from feedback.services.handling.actors import Actor
from feedback.services.intake.reporter import feedback_by_receipt
from feedback.services.intake.submit import submit_feedback
from feedback.services.notices import action_notices
from feedback.services.triage import decisions as triage
from feedback.timeutil import CHINA, local_date
from tests.support.api import MEETING, STAFF, ok, route, timeline
from tests.support.processes import run_processes
from tests.support.routing import WB_MAIL, write_routing

TRIAGE = Actor("staff", "triage")


def at(day: date, hour: int, minute: int = 5) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHINA).astimezone(UTC)


def days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


@pytest.fixture
def clock(app, seeded, tmp_path):
    write_routing(tmp_path / "notifications.yaml", "http://127.0.0.1:9/cgi-bin/webhook/send?key=unused")
    app.config["NOTIFICATIONS_PATH"] = str(tmp_path / "notifications.yaml")
    clock = app.extensions["clock"]
    clock.freeze(at(date(2026, 9, 9), 10))
    return clock


def assign(db, dept: str) -> tuple[str, int, int]:
    """Submit (through the intake service, as the mini-program API does) and route it now.

    Returns (receipt, feedback id, assignment id). The service rather than the API keeps these
    tests clear of the login and submission rate limits, which count real time.
    """
    body, _ = submit_feedback("deadline-watch-test", {"kind": "problem", "content": MEETING})
    db.session.commit()
    fid = feedback_by_receipt(body["receipt"]).id
    (aid,) = route(db, fid, dept)
    return body["receipt"], fid, aid


def handler(db, aid: int) -> Actor:
    return Actor("staff", "handler", None, db.session.get(Assignment, aid).department_id)


def acknowledge_and_respond(db, aid: int, respond: bool = True) -> None:
    assignment = db.session.get(Assignment, aid)
    if assignment.status == "pending":
        assignments.acknowledge(handler(db, aid), assignment)
    if respond:
        assignments.respond(
            handler(db, aid), assignment, measures="精简会议", result="已整改", summary=None, attachments=[]
        )
    db.session.commit()


def watch() -> JobRun:
    run = run_job("deadline-watch")
    assert run.outcome == "success", run.error
    return run


def queued(db, watch_only: bool = True) -> dict[str, date]:
    """Each queued notice's key, with the (China) day it was queued on: the watch's own notices, or
    also those that people's actions queue (a new assignment, a send-back: ``action_notices``)."""
    db.session.expire_all()
    query = select(OutboxMessage)
    if watch_only:
        query = query.where(OutboxMessage.kind.not_in(action_notices.KINDS))
    return {m.dedupe_key: local_date(m.created_at) for m in db.session.scalars(query)}


def supervisions(db, aid: int) -> dict[str, Supervision]:
    db.session.expire_all()
    return {s.level: s for s in db.session.scalars(select(Supervision).where(Supervision.assignment_id == aid))}


def test_each_notice_is_queued_once_on_the_right_working_day_across_month_end_and_national_day(
    client, db, clock, mp_login
):
    made: dict[str, tuple[str, int, int]] = {}

    def act(day: date) -> None:  # what people do at 10:00 China time on some days
        if day == date(2026, 9, 9):
            made["x"] = assign(db, "city-wb")  # due 09-30, the last day before the holiday
        elif day == date(2026, 9, 23):
            made["y"] = assign(db, "city-fb")  # due 10-21
            made["z"] = assign(db, "city-tj")  # due 10-21, handled in time
        elif day == date(2026, 9, 24):
            acknowledge_and_respond(db, made["z"][2], respond=False)
        elif day == date(2026, 10, 14):
            acknowledge_and_respond(db, made["x"][2])  # late, after 通报
        elif day == date(2026, 10, 15):
            acknowledge_and_respond(db, made["z"][2])
        elif day == date(2026, 10, 16):
            resolved = supervisions(db, made["x"][2])
            assert {s.resolved_at for s in resolved.values()} == {at(date(2026, 10, 14), 12)}
            (report,) = db.session.get(Assignment, made["x"][2]).reports
            assignments.send_back(TRIAGE, report, "整改不到位，请继续整改")  # running again: 督办 reopens
            made["report"] = ("", 0, report.id)
            db.session.commit()

    for day in days(date(2026, 9, 9), date(2026, 10, 30)):
        for hour in (8, 10, 12, 20):
            clock.freeze(at(day, hour))
            act(day) if hour == 10 else watch()

    x, y, z = (made[k][2] for k in "xyz")
    d = date.fromisoformat
    assert queued(db, watch_only=False) == {
        f"assignment:{x}:assigned": d("2026-09-09"),  # each department hears of its assignment that day
        f"assignment:{y}:assigned": d("2026-09-23"),
        f"assignment:{z}:assigned": d("2026-09-23"),
        f"report:{made['report'][2]}:sent_back": d("2026-10-16"),
        f"assignment:{x}:unacknowledged": d("2026-09-11"),  # 1 working day after Wed 09-09
        f"assignment:{x}:due_soon": d("2026-09-28"),  # 2 working days left: 09-29, 09-30 (Mid-Autumn not counted)
        f"assignment:{x}:overdue": d("2026-10-08"),  # first working day after 09-30: National Day skipped
        f"assignment:{x}:duban": d("2026-10-08"),
        f"assignment:{x}:tongbao": d("2026-10-13"),  # 10-08, 10-09, Sat 10-10 (make-up), 10-12, 10-13
        f"assignment:{y}:unacknowledged": d("2026-09-28"),  # ack due 09-24; 09-25..27 off
        f"assignment:{y}:due_soon": d("2026-10-19"),
        f"assignment:{y}:overdue": d("2026-10-22"),
        f"assignment:{y}:duban": d("2026-10-22"),
        f"assignment:{y}:tongbao": d("2026-10-28"),
    }  # no reminder for z, acknowledged and answered in time; nothing twice, though the job ran 156 times
    assert db.session.query(JobRun).filter_by(job_id="deadline-watch", outcome="success").count() == 52 * 3

    events = Counter(
        (e.assignment_id, e.action)
        for e in db.session.scalars(select(Event).where(Event.action.in_(["overdue", "tongbao"])))
    )
    assert events == {(x, "overdue"): 1, (x, "tongbao"): 1, (y, "overdue"): 1, (y, "tongbao"): 1}
    assert db.session.get(Assignment, x).overdue_at == at(date(2026, 10, 8), 8)
    assert {s.resolved_at for s in supervisions(db, x).values()} == {None}  # reopened after 返工
    receipt_x, fid_x, _ = made["x"]
    assert "督办" not in str(timeline(client, mp_login(), receipt_x))  # the reporter is not shown any of this

    notices = {m.dedupe_key: m for m in db.session.scalars(select(OutboxMessage))}
    duban = notices[f"assignment:{x}:duban"]
    assert (duban.channel, duban.recipient) == ("webhook", "zzb-robot")
    assert duban.body == (
        f"嵩阳市委办公室承办的第 {fid_x} 号反映（交办单编号 {x}）办理期限为 2026-09-30，现已超期未反馈，已列入督办。"
    )
    reminder = notices[f"assignment:{x}:due_soon"]
    assert (reminder.channel, reminder.recipient) == ("email", WB_MAIL)
    assert "办理期限为 2026-09-30，还剩 2 个工作日" in reminder.body
    feedback_text = db.session.get(Feedback, fid_x).content
    assert all(feedback_text[:20] not in m.body for m in notices.values())


def test_the_watch_leaves_alone_an_assignment_waiting_for_the_reporter(db, clock):
    _, fid, aid = assign(db, "city-wb")
    clock.freeze(at(date(2026, 9, 10), 9))
    triage.ask_reporter(TRIAGE, db.session.get(Feedback, fid), "请问是哪个部门通知的会议？")
    db.session.commit()
    for day in days(date(2026, 9, 10), date(2026, 10, 16)):
        clock.freeze(at(day, 12))
        watch()
    assert queued(db) == {} and supervisions(db, aid) == {}  # the clock is paused


def test_supervision_list_for_the_org_department(client, db, clock, staff_login):
    _, fid_x, x = assign(db, "city-wb")
    _, _, w = assign(db, "city-tj")
    clock.freeze(at(date(2026, 9, 23), 10))
    _, _, y = assign(db, "city-fb")
    clock.freeze(at(date(2026, 10, 13), 8))
    watch()  # x and w overdue (due 09-30) and listed for 通报; y not yet due
    acknowledge_and_respond(db, w)
    clock.freeze(at(date(2026, 10, 13), 9))
    watch()  # w answered: its items are resolved
    triage_headers = staff_login("triage")

    listed = ok(client.get(f"{STAFF}/supervisions?level=duban&open=true", headers=triage_headers))
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert {
        k: item[k]
        for k in (
            "level",
            "level_label",
            "assignment_id",
            "feedback_id",
            "due_day",
            "working_days_overdue",
            "resolved_at",
        )
    } == {
        "level": "duban",
        "level_label": "督办",
        "assignment_id": x,
        "feedback_id": fid_x,
        "due_day": "2026-09-30",
        "working_days_overdue": 5,
        "resolved_at": None,
    }
    assert item["department"] == {"code": "city-wb", "name": "嵩阳市委办公室"}
    assert item["due_at"] == "2026-09-30T16:00:00+00:00"
    tongbao = ok(client.get(f"{STAFF}/supervisions?level=tongbao", headers=staff_login("viewer")))
    assert [i["assignment_id"] for i in tongbao["items"]] == [x]
    everything = ok(client.get(f"{STAFF}/supervisions?open=false", headers=triage_headers))
    assert sorted((i["assignment_id"], i["level"], i["resolved_at"] is None) for i in everything["items"]) == sorted(
        [(x, "duban", True), (x, "tongbao", True), (w, "duban", False), (w, "tongbao", False)]
    )
    assert y not in {i["assignment_id"] for i in everything["items"]}
    handler_headers = staff_login("handler", department_code="city-wb")
    assert client.get(f"{STAFF}/supervisions", headers=handler_headers).status_code == 403
    bad = client.get(f"{STAFF}/supervisions?level=urgent", headers=triage_headers)
    assert bad.status_code == 422 and bad.get_json()["errors"]


def test_three_watch_processes_at_once_queue_each_notice_once(app, db, clock):
    """Real ``flask jobs run-once`` processes; deadline-watch-b has its own lease, so it truly overlaps."""
    early = [assign(db, dept)[2] for dept in ("city-wb", "city-fb", "city-tj")]
    clock.freeze(at(date(2026, 9, 23), 10))
    late = [assign(db, dept)[2] for dept in ("city-wb", "city-fb", "city-tj")]
    db.session.remove()

    results = run_processes(app, at(date(2026, 10, 19), 8), ["deadline-watch", "deadline-watch", "deadline-watch-b"])

    assert any(r.returncode == 0 for r in results), [r.stderr for r in results]
    for result in results:
        assert result.returncode == 0 or "未运行" in result.stderr, result.stderr
    expected = {f"assignment:{a}:{kind}" for a in early for kind in ("unacknowledged", "overdue", "duban", "tongbao")}
    expected |= {f"assignment:{a}:{kind}" for a in late for kind in ("unacknowledged", "due_soon")}
    assert set(queued(db)) == expected
    events = Counter(
        (e.assignment_id, e.action)
        for e in db.session.scalars(select(Event).where(Event.action.in_(["overdue", "tongbao"])))
    )
    assert events == {(a, action): 1 for a in early for action in ("overdue", "tongbao")}
    runs = db.session.scalars(select(JobRun).where(JobRun.outcome == "success")).all()
    assert sum(r.counts.get("overdue", 0) for r in runs) == 3
    assert db.session.query(Supervision).count() == 6


def test_a_scan_that_loses_the_race_for_a_supervision_item_adds_nothing(db, clock):
    """As if another process had just raised the 督办 but its transaction's other rows were not visible yet."""
    _, _, aid = assign(db, "city-wb")
    assignment = db.session.get(Assignment, aid)
    db.session.add(
        Supervision(
            assignment_id=aid,
            department_id=assignment.department_id,
            level="duban",
            created_at=at(date(2026, 10, 8), 8),
        )
    )
    db.session.commit()
    clock.freeze(at(date(2026, 10, 8), 8))
    assert watch().counts["overdue"] == 0
    assert set(queued(db)) == {f"assignment:{aid}:unacknowledged"}  # no second 督办 notice, no 超期 notice
    assert db.session.query(Event).filter_by(action="overdue").count() == 0


def test_the_tongbao_and_reminder_thresholds_follow_the_deadlines_setting(app, db, clock):
    app.config["DEADLINES"] = {"due_soon": 1, "tongbao_after": 2}
    _, _, aid = assign(db, "city-wb")  # due 09-30
    for day in days(date(2026, 9, 9), date(2026, 10, 12)):
        clock.freeze(at(day, 9))
        watch()
    found = queued(db)
    assert found[f"assignment:{aid}:due_soon"] == date(2026, 9, 29)  # 1 working day left
    assert found[f"assignment:{aid}:tongbao"] == date(2026, 10, 9)  # 2nd working day after 09-30
