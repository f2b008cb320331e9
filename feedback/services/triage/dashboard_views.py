"""Read model of the org department's 工作台: how much waits in each queue, counted in SQL."""

from __future__ import annotations

from sqlalchemy import func, select

from feedback.clock import now
from feedback.extensions import db
from feedback.models import Assignment, ExtensionRequest, Feedback, RectificationReport
from feedback.services.handling.views import _due_state_filter

QUEUE_STATUSES = ("submitted", "needs_info", "in_consultation")


def queue_counts() -> dict[str, int]:
    """待研判 / 待补充 / 会商中 (feedback by status), 待审批延期, 待核验整改 and 超期 (running assignments)."""
    by_status = dict(
        db.session.execute(
            select(Feedback.status, func.count(Feedback.id))
            .where(Feedback.status.in_(QUEUE_STATUSES))
            .group_by(Feedback.status)
        ).all()
    )
    counts = {status: by_status.get(status, 0) for status in QUEUE_STATUSES}
    counts["extensions"] = (
        db.session.scalar(select(func.count(ExtensionRequest.id)).where(ExtensionRequest.status == "requested")) or 0
    )
    counts["verifications"] = (
        db.session.scalar(select(func.count(RectificationReport.id)).where(RectificationReport.verdict == "pending"))
        or 0
    )
    overdue = _due_state_filter(select(func.count(Assignment.id)), "overdue", now())
    counts["overdue"] = db.session.scalar(overdue) or 0
    return counts
