"""Outbox of notifications, who has read them in the console, and the org department's supervision list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.models.base import BigId, UTCDateTime, utcnow


class OutboxMessage(db.Model):
    """Written in the same transaction as the change it reports; delivered later by the sender job.

    ``dedupe_key`` (e.g. ``assignment:42:due_soon``) is unique, so a notice is queued once
    however often the job that queues it runs.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))  # log | email | webhook
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("observation_points.id"))
    recipient: Mapped[str | None] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sending | sent | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeRead(db.Model):
    """A staff user has read one notice in the console (我的通知); no row means unread.

    Read state is per person: another user of the same department still sees the notice unread.
    """

    __tablename__ = "notice_reads"
    __table_args__ = (UniqueConstraint("staff_user_id", "outbox_id", name="uq_notice_reads_staff_user_outbox"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Supervision(db.Model):
    """督办 when an assignment goes overdue; 通报 when it is still overdue 5 working days later."""

    __tablename__ = "supervisions"
    __table_args__ = (UniqueConstraint("assignment_id", "level", name="uq_supervisions_assignment_level"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))  # duban | tongbao
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
