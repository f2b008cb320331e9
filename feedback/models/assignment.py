"""A department's share of a feedback (交办单), its extension requests and rectification reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.models.base import BigId, UTCDateTime, utcnow
from feedback.models.reference import Department
from feedback.workflow import OPEN_ASSIGNMENT, RUNNING_ASSIGNMENT

ASSIGNMENT_STATUSES = ("pending", "acknowledged", "responded", "accepted", "returned", "sent_back", "waived")

# What the deadline watch still has to do, as SQL over one assignment row: the clock runs (status in
# workflow.RUNNING_ASSIGNMENT, not paused) and the step was not taken yet. Each is the predicate of a
# partial index on the step's due column, and the watch's query uses the very same text, so the
# planner (PostgreSQL and SQLite alike) reads that index and only the rows due for the step.
_STATUSES = ", ".join(f"'{s}'" for s in RUNNING_ASSIGNMENT)
_RUNNING = f"status IN ({_STATUSES}) AND NOT paused"
WATCH_STEPS = {
    "due_soon": ("due_at", f"{_RUNNING} AND due_soon_queued_at IS NULL"),
    "unacknowledged": ("acknowledge_due_at", "status = 'pending' AND NOT paused AND unacknowledged_queued_at IS NULL"),
    "overdue": ("due_at", f"{_RUNNING} AND overdue_at IS NULL"),
    "tongbao": ("due_at", f"{_RUNNING} AND overdue_at IS NOT NULL AND tongbao_at IS NULL"),
    # Open 督办/通报 items whose assignment stopped running (answered, returned, waived): to resolve.
    "settle": ("id", f"under_supervision AND status NOT IN ({_STATUSES})"),
}


# The assignment lists' deadline filters (views._due_state_filter) read the running rows through
# these partial indexes, nearest deadline first; the query states the very same predicate.
RUNNING_PREDICATE = f"status IN ({_STATUSES})"
# The inbox's "has an overdue assignment" filter (triage.inbox) reads the open rows per feedback.
OPEN_PREDICATE = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_ASSIGNMENT))


def _partial_index(name: str, predicate: str, *columns: str) -> Index:
    where = text(predicate)
    return Index(name, *columns, postgresql_where=where, sqlite_where=where)


def _watch_index(step: str) -> Index:
    column, predicate = WATCH_STEPS[step]
    return Index(f"ix_assignments_watch_{step}", column, postgresql_where=text(predicate), sqlite_where=text(predicate))


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("role IN ('primary', 'cooperating')", name="role"),
        CheckConstraint("path IN ('direct', 'escalate', 'consult')", name="path"),
        Index("ix_assignments_status_due_at", "status", "due_at"),
        Index("ix_assignments_department_id_status", "department_id", "status"),
        *(_watch_index(step) for step in WATCH_STEPS),
        _partial_index("ix_assignments_running_due_at", RUNNING_PREDICATE, "due_at", "id"),
        _partial_index(
            "ix_assignments_running_department_id_due_at", RUNNING_PREDICATE, "department_id", "due_at", "id"
        ),
        _partial_index("ix_assignments_open_feedback_id_due_at", OPEN_PREDICATE, "feedback_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    instructions: Mapped[str | None] = mapped_column(Text)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledge_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    return_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Working days each due time runs from assigned_at (pauses and extensions included), so a due
    # time can be recomputed when the official holiday schedule arrives; NULL on rows made before.
    acknowledge_days: Mapped[int | None] = mapped_column(Integer)
    return_days: Mapped[int | None] = mapped_column(Integer)
    due_days: Mapped[int | None] = mapped_column(Integer)
    # Some counted day lies in a year without an official schedule (statutory holidays only).
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # 免报: who decided that this (cooperating) department need not report, when and why
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    waive_reason: Mapped[str | None] = mapped_column(Text)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    # escalate: when and to whom the municipal department reported upward
    reported_upward_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_upward_to: Mapped[str | None] = mapped_column(String(128))
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The deadline watch's own marks (see notices.deadline_watch): the clock is stopped while the
    # feedback waits for the reporter (kept by handling.actors.move_feedback), and when each
    # once-only step was taken. overdue_at above marks the 督办 step.
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    due_soon_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unacknowledged_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tongbao_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Has an open (unresolved) 督办/通报 item; kept by the watch, which opens and resolves them.
    under_supervision: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    department: Mapped[Department] = relationship()
    extension_requests: Mapped[list[ExtensionRequest]] = relationship(
        back_populates="assignment", order_by="ExtensionRequest.id"
    )
    reports: Mapped[list[RectificationReport]] = relationship(
        back_populates="assignment", order_by="RectificationReport.id"
    )


class ExtensionRequest(db.Model):
    __tablename__ = "extension_requests"
    __table_args__ = (CheckConstraint("status IN ('requested', 'approved', 'refused')", name="status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="requested")
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)

    assignment: Mapped[Assignment] = relationship(back_populates="extension_requests")


class RectificationReport(db.Model):
    """整改反馈: what the department did about it; verified by triage (对账销号)."""

    __tablename__ = "rectification_reports"
    __table_args__ = (CheckConstraint("verdict IN ('pending', 'accepted', 'sent_back')", name="verdict"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    measures: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    summary_for_reporter: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list] = mapped_column(JSON, default=list)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verdict: Mapped[str] = mapped_column(String(16), default="pending")
    verdict_note: Mapped[str | None] = mapped_column(Text)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[Assignment] = relationship(back_populates="reports")
