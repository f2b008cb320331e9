"""Deadline watch: reminders before an assignment is due, 督办 when it is overdue, 通报 when it stays so.

``scan(now)`` is idempotent and safe to run in two processes at once. Each step selects only the
assignments that still need that step, through indexed columns (status + due_at or
acknowledge_due_at) and the unique keys of what the step writes (the outbox ``dedupe_key``, the
supervision's (assignment, level)); the writes themselves are INSERT … ON CONFLICT DO NOTHING, so
the transaction that loses a race adds nothing. A reminder is therefore queued once per
(assignment, kind) however often the job runs.

Working days only: deadlines count Chinese working days, and the watch acts on working days only,
so no department is reminded — and no 督办 is raised — on a weekend or public holiday; what became
due then is handled on the next working day. While the reporter is asked for more information
(feedback ``needs_info``) the deadline clock is paused and the watch leaves the assignment alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import String, cast, exists, literal, select, update
from sqlalchemy.sql import Select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Assignment, Feedback, OutboxMessage, Supervision
from feedback.services.handling import deadlines
from feedback.services.handling.events import record_event
from feedback.services.inserts import insert_if_absent
from feedback.services.notices.queue import enqueue
from feedback.timeutil import CHINA, local_date
from feedback.workflow import RUNNING_ASSIGNMENT


def tongbao_after() -> int:
    """Working days past the due day after which an overdue assignment is listed for 通报 (default in
    ``calendar.DEFAULT_DEADLINES``, like every other length)."""
    value = deadlines.days("tongbao_after")
    if value < 1:
        raise ValueError(f"期限配置 tongbao_after 应为不小于 1 的整数（工作日数），当前为 {value!r}")
    return value


def due_day(assignment: Assignment) -> str:
    """The day a deadline falls on (due_at is the end of that day), as departments see it."""
    return deadlines.day_of(assignment.due_at).isoformat()


def working_days_overdue(moment: datetime, assignment: Assignment) -> int:
    return deadlines.work_calendar().working_days_between(assignment.due_at - deadlines.ONE_TICK, moment)


def _running() -> Select:
    return (
        select(Assignment)
        .join(Feedback, Feedback.id == Assignment.feedback_id)
        .where(Assignment.status.in_(RUNNING_ASSIGNMENT), Feedback.status != "needs_info")
    )


def _not_queued(kind: str):
    key = literal("assignment:") + cast(Assignment.id, String) + literal(f":{kind}")
    return ~exists().where(OutboxMessage.dedupe_key == key)


def _names(assignment: Assignment) -> tuple[str, int, dict]:
    dept = assignment.department
    payload = {
        "assignment_id": assignment.id,
        "feedback_id": assignment.feedback_id,
        "department": dept.code,
        "due_day": due_day(assignment),
    }
    return dept.name, assignment.feedback_id, payload


def _to_department(assignment: Assignment, kind: str, subject: str, body: str) -> bool:
    _, _, payload = _names(assignment)
    return (
        enqueue(
            kind=kind,
            dedupe_key=f"assignment:{assignment.id}:{kind}",
            subject=subject,
            body=body,
            department_id=assignment.department_id,
            payload=payload,
        )
        is not None
    )


def _to_org(assignment: Assignment, kind: str, subject: str, body: str) -> bool:
    _, _, payload = _names(assignment)
    return (
        enqueue(kind=kind, dedupe_key=f"assignment:{assignment.id}:{kind}", subject=subject, body=body, payload=payload)
        is not None
    )


def remind_due_soon(moment: datetime) -> int:
    horizon = deadlines.due_soon_until(moment)
    query = _running().where(Assignment.due_at > moment, Assignment.due_at <= horizon, _not_queued("due_soon"))
    queued = 0
    for assignment in db.session.scalars(query.order_by(Assignment.id)):
        name, fid, _ = _names(assignment)
        left = deadlines.work_calendar().working_days_left(moment, assignment.due_at)
        left_text = "今天到期" if left == 0 else f"还剩 {left} 个工作日"
        queued += _to_department(
            assignment,
            "due_soon",
            f"【临期提醒】第 {fid} 号反映的交办单将于 {due_day(assignment)} 到期",
            f"{name}：第 {fid} 号反映的交办单（编号 {assignment.id}）办理期限为 {due_day(assignment)}，"
            f"{left_text}。请按期提交整改反馈；确需延期的，请在到期前申请。",
        )
    return queued


def remind_unacknowledged(moment: datetime) -> int:
    query = _running().where(
        Assignment.status == "pending", Assignment.acknowledge_due_at <= moment, _not_queued("unacknowledged")
    )
    queued = 0
    for assignment in db.session.scalars(query.order_by(Assignment.id)):
        name, fid, _ = _names(assignment)
        ack_day = deadlines.day_of(assignment.acknowledge_due_at).isoformat()
        queued += _to_department(
            assignment,
            "unacknowledged",
            f"【签收提醒】第 {fid} 号反映的交办单尚未签收",
            f"{name}：第 {fid} 号反映的交办单（编号 {assignment.id}）应于 {ack_day} 前签收，目前仍未签收。"
            f"请尽快签收办理，办理期限为 {due_day(assignment)}。",
        )
    return queued


def _open_supervision(assignment: Assignment, level: str, moment: datetime) -> bool:
    """Open the 督办/通报 item once; False when another scan got there first (unique key)."""
    values = {
        "assignment_id": assignment.id,
        "department_id": assignment.department_id,
        "level": level,
        "created_at": moment,
    }
    return insert_if_absent(Supervision, values, ["assignment_id", "level"]) is not None


def mark_overdue(moment: datetime) -> int:
    """超期: mark the assignment, open a 督办 item, tell the department and the org department."""
    query = _running().where(Assignment.due_at <= moment, Assignment.overdue_at.is_(None))
    marked = 0
    for assignment in db.session.scalars(query.order_by(Assignment.id)):
        if not _open_supervision(assignment, "duban", moment):
            continue  # another scan got here first
        assignment.overdue_at = moment
        name, fid, _ = _names(assignment)
        day = due_day(assignment)
        record_event(
            assignment.feedback_id,
            "overdue",
            actor_role="system",
            assignment_id=assignment.id,
            reason=f"{name}超过办理期限（{day}），列入督办",
            data={"due_day": day, "level": "duban"},
        )
        _to_department(
            assignment,
            "overdue",
            f"【超期提醒】第 {fid} 号反映的交办单已超期",
            f"{name}：第 {fid} 号反映的交办单（编号 {assignment.id}）办理期限为 {day}，现已超期，"
            f"已列入组织部督办。请尽快办理并提交整改反馈。",
        )
        _to_org(
            assignment,
            "duban",
            f"【督办】{name}第 {fid} 号反映的交办单超期",
            f"{name}承办的第 {fid} 号反映（交办单编号 {assignment.id}）办理期限为 {day}，现已超期未反馈，已列入督办。",
        )
        marked += 1
    return marked


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
    listed = ~exists().where(Supervision.assignment_id == Assignment.id, Supervision.level == "tongbao")
    query = _running().where(
        Assignment.overdue_at.is_not(None), Assignment.due_at <= _tongbao_cutoff(moment, n), listed
    )
    count = 0
    for assignment in db.session.scalars(query.order_by(Assignment.id)):
        if not _open_supervision(assignment, "tongbao", moment):
            continue
        name, fid, _ = _names(assignment)
        day, late = due_day(assignment), working_days_overdue(moment, assignment)
        record_event(
            assignment.feedback_id,
            "tongbao",
            actor_role="system",
            assignment_id=assignment.id,
            reason=f"{name}超期 {late} 个工作日仍未反馈，列入通报",
            data={"due_day": day, "level": "tongbao"},
        )
        _to_org(
            assignment,
            "tongbao",
            f"【通报】{name}第 {fid} 号反映的交办单超期 {late} 个工作日",
            f"{name}承办的第 {fid} 号反映（交办单编号 {assignment.id}）办理期限为 {day}，"
            f"已超期 {late} 个工作日仍未反馈，列入通报。",
        )
        count += 1
    return count


def settle_supervisions(moment: datetime) -> int:
    """Close 督办/通报 items whose assignment is no longer running; reopen them if it runs again (返工)."""
    finished = (
        select(Supervision.id)
        .join(Assignment, Assignment.id == Supervision.assignment_id)
        .where(Supervision.resolved_at.is_(None), Assignment.status.not_in(RUNNING_ASSIGNMENT))
    )
    reopened = (
        select(Supervision.id)
        .join(Assignment, Assignment.id == Supervision.assignment_id)
        .where(
            Supervision.resolved_at.is_not(None), Assignment.status.in_(RUNNING_ASSIGNMENT), Assignment.due_at <= moment
        )
    )
    ids = list(db.session.scalars(finished))
    if ids:
        db.session.execute(update(Supervision).where(Supervision.id.in_(ids)).values(resolved_at=moment))
    again = list(db.session.scalars(reopened))
    if again:
        db.session.execute(update(Supervision).where(Supervision.id.in_(again)).values(resolved_at=None))
    return len(ids)


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
