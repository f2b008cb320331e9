"""Read models of handling: assignment lists and details, extension requests, and what a department sees.

``department_view`` is the one answer to "what may a department see of a feedback" (DESIGN §5):
the content and the day, never the reporter, the exact time, the messages or anything the org
department keeps for itself. ``GET /feedback/{id}`` for a handler and ``GET /assignments/{id}`` both
show it, so the two can never drift apart again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import selectinload

from feedback.calendar import PROVISIONAL_NOTE
from feedback.clock import now
from feedback.errors import ValidationFailed
from feedback.extensions import db
from feedback.labels import excerpt
from feedback.models import Assignment, Department, Event, ExtensionRequest, Feedback, RectificationReport, Upload
from feedback.models.assignment import RUNNING_PREDICATE
from feedback.services.handling import deadlines
from feedback.services.handling.actors import Actor
from feedback.services.paging import Total, count_capped, paginate
from feedback.timeutil import local_date
from feedback.workflow import ASSIGNMENT_STATUS_LABELS, ASSIGNMENT_TRANSITIONS, RUNNING_ASSIGNMENT

DETAIL_FIELDS = (
    "instructions",
    "acknowledge_due_at",
    "return_due_at",
    "acknowledged_at",
    "responded_at",
    "accepted_at",
    "returned_at",
    "return_reason",
    "waived_at",
    "waive_reason",
    "extension_days",
    "reported_upward_at",
    "reported_upward_to",
    "extension_requests",
    "reports",
)
EXTENSION_FIELDS = ("id", "assignment_id", "days", "reason", "status", "requested_at", "decided_at", "decision_note")


@dataclass
class AssignmentFilter:
    department: str | None = None
    status: str | None = None
    state: str | None = None
    page: int = 1
    per_page: int = 20
    exact_total: bool = False


def attachment_ids(feedback: Feedback) -> list[str]:
    """The feedback's uploads, in the order they were made."""
    return list(
        db.session.scalars(
            select(Upload.id).where(Upload.feedback_id == feedback.id).order_by(Upload.created_at, Upload.id)
        )
    )


def department_view(feedback: Feedback) -> dict[str, Any]:
    """What a department may see of a feedback: content, tags, day, place and attachments; nothing more."""
    return {
        "id": feedback.id,
        "kind": feedback.kind,
        "content": feedback.content,
        "tags": [{"code": t.tag.code, "name": t.tag.name} for t in feedback.tags],
        "submitted_on": feedback.submitted_on,
        "region_code": feedback.region_code,
        "point": {"code": feedback.point.code, "name": feedback.point.name} if feedback.point else None,
        "attachments": attachment_ids(feedback),
        "waiting_for_reporter": feedback.status == "needs_info",
    }


def running_state(assignment: Assignment, moment: datetime) -> str | None:
    """The traffic light while the deadline clock runs; None once the department has answered."""
    return deadlines.state(moment, assignment.due_at) if assignment.status in RUNNING_ASSIGNMENT else None


def brief(assignment: Assignment, moment: datetime) -> dict[str, Any]:
    """An assignment as a line of a feedback's detail."""
    return {
        "id": assignment.id,
        "department": {"code": assignment.department.code, "name": assignment.department.name},
        "role": assignment.role,
        "path": assignment.path,
        "status": assignment.status,
        "status_label": ASSIGNMENT_STATUS_LABELS[assignment.status],
        "due_at": assignment.due_at,
        "due_provisional": assignment.due_provisional,
        "due_note": PROVISIONAL_NOTE if assignment.due_provisional else None,
        "due_state": running_state(assignment, moment),
    }


def item(assignment: Assignment, feedback: Feedback, moment: datetime) -> dict[str, Any]:
    """An assignment as a line of the assignment list."""
    running = assignment.status in RUNNING_ASSIGNMENT
    return {
        "id": assignment.id,
        "feedback_id": feedback.id,
        "kind": feedback.kind,
        "excerpt": excerpt(feedback.content),
        "department": assignment.department,
        "role": assignment.role,
        "path": assignment.path,
        "status": assignment.status,
        "status_label": ASSIGNMENT_STATUS_LABELS[assignment.status],
        "assigned_at": assignment.assigned_at,
        "due_at": assignment.due_at,
        "due_provisional": assignment.due_provisional,
        "due_note": PROVISIONAL_NOTE if assignment.due_provisional else None,
        "due_state": running_state(assignment, moment),
        "working_days_left": deadlines.days_left(moment, assignment.due_at) if running else None,
    }


def detail(assignment: Assignment) -> dict[str, Any]:
    feedback = db.session.get_one(Feedback, assignment.feedback_id)
    return {
        **item(assignment, feedback, now()),
        **{name: getattr(assignment, name) for name in DETAIL_FIELDS},
        "feedback": department_view(feedback),
    }


def _due_state_filter(query: Select, state: str, moment: datetime) -> Select:
    """The traffic light as due_at ranges: overdue ≤ now < due_soon ≤ ``due_soon_until`` < on_time."""
    # The partial indexes' own predicate (models.assignment), so that SQLite's planner sees them too.
    query = query.where(text(f"assignments.{RUNNING_PREDICATE}"))
    if state == "overdue":
        return query.where(Assignment.due_at <= moment)
    soon_end = deadlines.due_soon_until(moment)
    if state == "due_soon":
        return query.where(Assignment.due_at > moment, Assignment.due_at <= soon_end)
    return query.where(Assignment.due_at > soon_end)


def list_assignments(actor: Actor, wanted: AssignmentFilter) -> tuple[list[dict[str, Any]], Total]:
    """One page of assignments, nearest deadline first; handlers see their own department's only.

    The total is counted like the inbox's (``paging.count_capped``): exactly up to the cap, then
    "1 万+" unless ``exact_total``. It counts assignments alone: each has its feedback (a foreign key).
    """
    moment = now()
    query = select(Assignment.id)
    if actor.role == "handler":
        query = query.where(Assignment.department_id == actor.department_id)
    if wanted.department:
        dept_id = db.session.scalar(select(Department.id).where(Department.code == wanted.department))
        if dept_id is None:
            raise ValidationFailed(errors={"department": [f"未找到部门“{wanted.department}”"]})
        query = query.where(Assignment.department_id == dept_id)
    if wanted.status:
        query = query.where(Assignment.status == wanted.status)
    if wanted.state:
        query = _due_state_filter(query, wanted.state, moment)
    page = (
        query.with_only_columns(Assignment, Feedback)
        .join(Feedback, Feedback.id == Assignment.feedback_id)
        .options(selectinload(Assignment.department))
        .order_by(Assignment.due_at, Assignment.id)
        .limit(wanted.per_page)
        .offset((wanted.page - 1) * wanted.per_page)
    )
    rows = db.session.execute(page).all()
    return [item(a, fb, moment) for a, fb in rows], count_capped(query, exact=wanted.exact_total)


def extension_item(request: ExtensionRequest) -> dict[str, Any]:
    assignment = request.assignment
    return {
        **{name: getattr(request, name) for name in EXTENSION_FIELDS},
        "department": assignment.department,
        "due_at": assignment.due_at,
        "due_provisional": assignment.due_provisional,
        "extension_days": assignment.extension_days,
    }


def list_extensions(status: str, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """Extension requests in one status, oldest first."""
    query = (
        select(ExtensionRequest)
        .where(ExtensionRequest.status == status)
        .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
    )
    rows, total = paginate(query, page, per_page, scalars=True)
    return [extension_item(r) for r in rows], total


# Events of an assignment that are not a transition of it: what the system did to its deadline.
SYSTEM_EVENT_LABELS = {"deadline_corrected": "办理期限校正", "overdue": "超期，列入督办", "tongbao": "超期，列入通报"}


def assignment_history(assignment: Assignment) -> list[dict[str, Any]]:
    """The assignment's own record, oldest first, by day only: what was done and why.

    Only events of this assignment: never the feedback's messages or anything about the reporter.
    """
    rows = db.session.scalars(select(Event).where(Event.assignment_id == assignment.id).order_by(Event.id))
    history = [{"on": local_date(assignment.assigned_at), "label": "交办", "reason": assignment.instructions}]
    for event in rows:
        transition = ASSIGNMENT_TRANSITIONS.get(event.action)
        label = transition.label if transition else SYSTEM_EVENT_LABELS.get(event.action)
        if label is None:
            continue
        data = event.data or {}
        if event.action == "request_extension":
            label = f"申请延期 {data.get('days')} 个工作日"
        elif event.action == "decide_extension":
            label = "同意延期" if data.get("approved") else "不同意延期"
        elif event.action == "report_upward":
            label = f"已向{data.get('reported_to')}反映"
        history.append({"on": local_date(event.created_at), "label": label, "reason": event.reason})
    return history


def list_reports(verdict: str, page: int, per_page: int) -> tuple[list[RectificationReport], int]:
    """Rectification reports with this verdict: pending ones oldest first, decided ones newest first."""
    order = (
        (RectificationReport.submitted_at, RectificationReport.id)
        if verdict == "pending"
        else (RectificationReport.verified_at.desc(), RectificationReport.id.desc())
    )
    query = select(RectificationReport).where(RectificationReport.verdict == verdict).order_by(*order)
    return paginate(query, page, per_page, scalars=True)
