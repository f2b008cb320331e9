"""Deadline watch: reminders before an assignment is due, 督办 when it is overdue, 通报 when it stays so.

``scan(now)`` is idempotent and safe to run in two processes at once. Each step reads only the
assignments still waiting for that step, through a partial index whose predicate is the step's
"not done yet" condition (``models.assignment.WATCH_STEPS``: the clock runs, the assignment is not
paused, the step's mark is empty), bounded by the step's due column; with nothing to do a scan
reads index pages of due rows only, however many assignments are open. Each step then writes
set-based: one INSERT … ON CONFLICT DO NOTHING for its 督办/通报 items, one for its notices (the
outbox ``dedupe_key`` and the supervision's (assignment, level) are unique, so the transaction that
loses a race adds nothing), one for its events, one UPDATE for its marks. A reminder is therefore
queued once per (assignment, kind) however often the job runs.

Working days only: deadlines count Chinese working days, and the watch acts on working days only,
so no department is reminded — and no 督办 is raised — on a weekend or public holiday; what became
due then is handled on the next working day. While the reporter is asked for more information
(feedback ``needs_info``) the deadline clock is paused (``Assignment.paused``, kept by
``handling.actors.move_feedback``) and the watch leaves the assignment alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, select, text, update

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Assignment, Department, Supervision
from feedback.models.assignment import WATCH_STEPS
from feedback.services.bulk_insert import insert_rows
from feedback.services.handling import deadlines
from feedback.services.handling.events import record_system_events
from feedback.services.notices.queue import enqueue_many
from feedback.timeutil import CHINA, local_date

CHUNK = 5000  # ids per UPDATE … WHERE id IN (…)


def tongbao_after() -> int:
    """Working days past the due day after which an overdue assignment is listed for 通报 (default in
    ``calendar.DEFAULT_DEADLINES``, like every other length)."""
    value = deadlines.days("tongbao_after")
    if value < 1:
        raise ValueError(f"期限配置 tongbao_after 应为不小于 1 的整数（工作日数），当前为 {value!r}")
    return value


def due_day(assignment: Any) -> str:
    """The day a deadline falls on (due_at is the end of that day), as departments see it."""
    return deadlines.day_of(assignment.due_at).isoformat()


def working_days_overdue(moment: datetime, assignment: Any) -> int:
    return deadlines.work_calendar().working_days_between(assignment.due_at - deadlines.ONE_TICK, moment)


def _due(step: str, *bounds: Any) -> Sequence[Row[Any]]:
    """The assignments waiting for ``step`` within ``bounds``, by id, read through the step's partial index."""
    _, predicate = WATCH_STEPS[step]
    stmt = (
        select(
            Assignment.id,
            Assignment.feedback_id,
            Assignment.department_id,
            Assignment.due_at,
            Assignment.acknowledge_due_at,
        )
        .where(text(predicate), *bounds)
        .order_by(Assignment.id)
    )
    return list(db.session.execute(stmt))


def _department_names(rows: Iterable[Row[Any]]) -> dict[int, tuple[str, str]]:
    ids = {r.department_id for r in rows}
    if not ids:
        return {}
    found = db.session.execute(select(Department.id, Department.code, Department.name).where(Department.id.in_(ids)))
    return {i: (code, name) for i, code, name in found}


def _notice(row: Row[Any], kind: str, subject: str, body: str, code: str, *, to_department: bool) -> dict[str, Any]:
    return {
        "kind": kind,
        "dedupe_key": f"assignment:{row.id}:{kind}",
        "subject": subject,
        "body": body,
        "department_id": row.department_id if to_department else None,
        "payload": {
            "assignment_id": row.id,
            "feedback_id": row.feedback_id,
            "department": code,
            "due_day": due_day(row),
        },
    }


def _mark(ids: list[int], **values: Any) -> None:
    for i in range(0, len(ids), CHUNK):
        db.session.execute(
            update(Assignment)
            .where(Assignment.id.in_(ids[i : i + CHUNK]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def _open_supervisions(rows: Sequence[Row[Any]], level: str, moment: datetime) -> set[int]:
    """Open the 督办/通报 items at once; the assignment ids whose item this call created (another
    scan may have got there first: unique (assignment, level))."""
    if not rows:
        return set()
    values = [
        {"assignment_id": r.id, "department_id": r.department_id, "level": level, "created_at": moment} for r in rows
    ]
    return set(
        insert_rows(Supervision.__table__, values, conflict=["assignment_id", "level"], returning="assignment_id")
    )


def remind_due_soon(moment: datetime) -> int:
    horizon = deadlines.due_soon_until(moment)
    rows = _due("due_soon", Assignment.due_at > moment, Assignment.due_at <= horizon)
    names, calendar = _department_names(rows), deadlines.work_calendar()
    notices = []
    for row in rows:
        code, name = names[row.department_id]
        fid, day = row.feedback_id, due_day(row)
        left = calendar.working_days_left(moment, row.due_at)
        left_text = "今天到期" if left == 0 else f"还剩 {left} 个工作日"
        notices.append(
            _notice(
                row,
                "due_soon",
                f"【临期提醒】第 {fid} 号反映的交办单将于 {day} 到期",
                f"{name}：第 {fid} 号反映的交办单（编号 {row.id}）办理期限为 {day}，"
                f"{left_text}。请按期提交整改反馈；确需延期的，请在到期前申请。",
                code,
                to_department=True,
            )
        )
    queued = enqueue_many(notices)
    _mark([r.id for r in rows], due_soon_queued_at=moment)
    return len(queued)


def remind_unacknowledged(moment: datetime) -> int:
    rows = _due("unacknowledged", Assignment.acknowledge_due_at <= moment)
    names = _department_names(rows)
    notices = []
    for row in rows:
        code, name = names[row.department_id]
        fid = row.feedback_id
        ack_day = deadlines.day_of(row.acknowledge_due_at).isoformat()
        notices.append(
            _notice(
                row,
                "unacknowledged",
                f"【签收提醒】第 {fid} 号反映的交办单尚未签收",
                f"{name}：第 {fid} 号反映的交办单（编号 {row.id}）应于 {ack_day} 前签收，目前仍未签收。"
                f"请尽快签收办理，办理期限为 {due_day(row)}。",
                code,
                to_department=True,
            )
        )
    queued = enqueue_many(notices)
    _mark([r.id for r in rows], unacknowledged_queued_at=moment)
    return len(queued)


def mark_overdue(moment: datetime) -> int:
    """超期: mark the assignment, open a 督办 item, tell the department and the org department."""
    due = _due("overdue", Assignment.due_at <= moment)
    won = _open_supervisions(due, "duban", moment)
    rows = [r for r in due if r.id in won]  # the others: another scan got here first
    names = _department_names(rows)
    events, notices = [], []
    for row in rows:
        code, name = names[row.department_id]
        fid, day = row.feedback_id, due_day(row)
        events.append(
            {
                "feedback_id": fid,
                "action": "overdue",
                "assignment_id": row.id,
                "reason": f"{name}超过办理期限（{day}），列入督办",
                "data": {"due_day": day, "level": "duban"},
            }
        )
        notices.append(
            _notice(
                row,
                "overdue",
                f"【超期提醒】第 {fid} 号反映的交办单已超期",
                f"{name}：第 {fid} 号反映的交办单（编号 {row.id}）办理期限为 {day}，现已超期，"
                f"已列入组织部督办。请尽快办理并提交整改反馈。",
                code,
                to_department=True,
            )
        )
        notices.append(
            _notice(
                row,
                "duban",
                f"【督办】{name}第 {fid} 号反映的交办单超期",
                f"{name}承办的第 {fid} 号反映（交办单编号 {row.id}）办理期限为 {day}，现已超期未反馈，已列入督办。",
                code,
                to_department=False,
            )
        )
    _mark([r.id for r in rows], overdue_at=moment, under_supervision=True)
    record_system_events(events)
    enqueue_many(notices)
    return len(rows)


def _tongbao_cutoff(moment: datetime, n: int) -> datetime:
    """Latest due_at that is at least n working days past: the start of the n-th most recent working day."""
    calendar = deadlines.work_calendar()
    day, counted = local_date(moment), 0
    while True:
        if calendar.is_workday(day):
            counted += 1
            if counted == n:
                return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)
        day -= timedelta(days=1)


def list_for_tongbao(moment: datetime) -> int:
    n = tongbao_after()
    due = _due("tongbao", Assignment.due_at <= _tongbao_cutoff(moment, n))
    won = _open_supervisions(due, "tongbao", moment)
    rows = [r for r in due if r.id in won]
    names = _department_names(rows)
    events, notices = [], []
    for row in rows:
        code, name = names[row.department_id]
        fid, day, late = row.feedback_id, due_day(row), working_days_overdue(moment, row)
        events.append(
            {
                "feedback_id": fid,
                "action": "tongbao",
                "assignment_id": row.id,
                "reason": f"{name}超期 {late} 个工作日仍未反馈，列入通报",
                "data": {"due_day": day, "level": "tongbao"},
            }
        )
        notices.append(
            _notice(
                row,
                "tongbao",
                f"【通报】{name}第 {fid} 号反映的交办单超期 {late} 个工作日",
                f"{name}承办的第 {fid} 号反映（交办单编号 {row.id}）办理期限为 {day}，"
                f"已超期 {late} 个工作日仍未反馈，列入通报。",
                code,
                to_department=False,
            )
        )
    # Every row read now has its 通报 item (this scan's or an earlier one's): the step is done.
    _mark([r.id for r in due], tongbao_at=moment)
    _mark([r.id for r in rows], under_supervision=True)
    record_system_events(events)
    enqueue_many(notices)
    return len(rows)


def settle_supervisions(moment: datetime) -> int:
    """Close 督办/通报 items whose assignment is no longer running; reopen them if it runs again (返工).

    An assignment stops running only through a status change, and runs again only as ``sent_back``
    (workflow: nothing else leads back to a running status), so both reads are of a few rows: the
    partial index of supervised assignments that stopped running, and the sent-back ones now due.
    """
    _, predicate = WATCH_STEPS["settle"]
    finished = list(db.session.scalars(select(Assignment.id).where(text(predicate)).order_by(Assignment.id)))
    resolved = 0
    for i in range(0, len(finished), CHUNK):
        ids = finished[i : i + CHUNK]
        resolved += len(
            db.session.scalars(
                update(Supervision)
                .where(Supervision.assignment_id.in_(ids), Supervision.resolved_at.is_(None))
                .values(resolved_at=moment)
                .returning(Supervision.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
    _mark(finished, under_supervision=False)
    again = list(
        db.session.scalars(
            select(Assignment.id).where(
                Assignment.status == "sent_back",
                Assignment.due_at <= moment,
                select(Supervision.id)
                .where(Supervision.assignment_id == Assignment.id, Supervision.resolved_at.is_not(None))
                .exists(),
            )
        )
    )
    if again:
        db.session.execute(
            update(Supervision)
            .where(Supervision.assignment_id.in_(again), Supervision.resolved_at.is_not(None))
            .values(resolved_at=None)
            .execution_options(synchronize_session=False)
        )
        _mark(again, under_supervision=True)
    return resolved


def scan(moment: datetime | None = None) -> dict[str, int]:
    """One pass of the watch; flushes, the caller commits. Returns what it did, for the job run record."""
    moment = moment or now()
    counts = {"resolved": settle_supervisions(moment)}
    if not deadlines.work_calendar().is_workday(local_date(moment)):
        return counts | {"non_workday": 1}
    counts["due_soon"] = remind_due_soon(moment)
    counts["unacknowledged"] = remind_unacknowledged(moment)
    counts["overdue"] = mark_overdue(moment)
    counts["tongbao"] = list_for_tongbao(moment)
    db.session.flush()
    return counts
