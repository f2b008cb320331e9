"""Read model of 督办 (duban) and 通报 (tongbao): the items the deadline watch raised, one page at a time.

督办 is raised when an assignment passes its deadline; 通报 when it is still unanswered
``tongbao_after`` working days later (``notices.deadline_watch`` raises both, and resolves them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from feedback.calendar import CalendarOutOfRange
from feedback.clock import now
from feedback.models import Assignment, Department, Supervision
from feedback.services.notices import deadline_watch
from feedback.services.paging import paginate
from feedback.workflow import ASSIGNMENT_STATUS_LABELS

LEVEL_LABELS = {"duban": "督办", "tongbao": "通报"}


def _overdue_days(assignment: Assignment) -> int | None:
    try:
        return deadline_watch.working_days_overdue(now(), assignment)
    except CalendarOutOfRange:
        return None


def _item(supervision: Supervision, assignment: Assignment, department: Department) -> dict[str, Any]:
    return {
        "id": supervision.id,
        "level": supervision.level,
        "level_label": LEVEL_LABELS[supervision.level],
        "department": department,
        "assignment_id": assignment.id,
        "feedback_id": assignment.feedback_id,
        "assignment_status": assignment.status,
        "assignment_status_label": ASSIGNMENT_STATUS_LABELS[assignment.status],
        "due_at": assignment.due_at,
        "due_day": deadline_watch.due_day(assignment),
        "due_provisional": assignment.due_provisional,
        "working_days_overdue": _overdue_days(assignment) if supervision.resolved_at is None else None,
        "created_at": supervision.created_at,
        "resolved_at": supervision.resolved_at,
    }


def list_supervisions(
    level: str | None, open_only: bool, page: int, per_page: int, department_code: str | None = None
) -> tuple[list[dict], int]:
    """督办/通报 items with their assignment and department, newest first; optionally of one department."""
    query = (
        select(Supervision, Assignment, Department)
        .join(Assignment, Assignment.id == Supervision.assignment_id)
        .join(Department, Department.id == Supervision.department_id)
    )
    if level:
        query = query.where(Supervision.level == level)
    if open_only:
        query = query.where(Supervision.resolved_at.is_(None))
    if department_code:
        query = query.where(Department.code == department_code)
    rows, total = paginate(query.order_by(Supervision.created_at.desc(), Supervision.id.desc()), page, per_page)
    return [_item(*row) for row in rows], total
