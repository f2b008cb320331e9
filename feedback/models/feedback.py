"""Feedback and what hangs off it. Nothing here may identify the reporter (DESIGN §5)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.models.base import BigId, UTCDateTime, utcnow
from feedback.models.reference import ObservationPoint, Tag

FEEDBACK_KINDS = ("problem", "suggestion", "practice")
FEEDBACK_STATUSES = (
    "submitted",
    "assigned",
    "in_consultation",
    "responded",
    "closed",
    "needs_info",
    "rejected",
    "merged",
)


class Feedback(db.Model):
    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint("kind IN ('problem', 'suggestion', 'practice')", name="kind"),
        # Inbox filters (issue 12): kind with id for the newest-first page and an index-only count;
        # region prefixes (LIKE '4101%') need pattern ops under PostgreSQL's collation.
        Index("ix_feedback_kind_id", "kind", "id"),
        Index("ix_feedback_region_code", "region_code", postgresql_ops={"region_code": "varchar_pattern_ops"}),
        # A status's deep pages read their ids from the index alone (deferred join); status with a
        # region prefix (status+tag+region) reads the pair's ids from the index alone too.
        Index("ix_feedback_status_id", "status", "id"),
        Index(
            "ix_feedback_status_region_code_id",
            "status",
            "region_code",
            "id",
            postgresql_ops={"region_code": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    content: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    region_code: Mapped[str | None] = mapped_column(String(12))
    unit_level: Mapped[str | None] = mapped_column(String(16))
    point_id: Mapped[int | None] = mapped_column(ForeignKey("observation_points.id"), index=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_on: Mapped[date] = mapped_column(Date, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    routing_suggestion: Mapped[dict | None] = mapped_column(JSON)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id"))
    # Level of the department that imposed the burden, when the reporter named it.
    imposer_level: Mapped[str | None] = mapped_column(String(16))
    route_path: Mapped[str | None] = mapped_column(String(16))
    # While waiting for the reporter (needs_info) the deadline clock stops.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_from_status: Mapped[str | None] = mapped_column(String(20))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When handling ended: closed, rejected or merged (the retention period runs from it).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    rating: Mapped[str | None] = mapped_column(String(32))
    rating_comment: Mapped[str | None] = mapped_column(Text)
    # Retention: content, messages and attachments of long-closed feedback are purged; counts and tags stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    point: Mapped[ObservationPoint | None] = relationship()
    tags: Mapped[list[FeedbackTag]] = relationship(
        back_populates="feedback", cascade="all, delete-orphan", order_by="FeedbackTag.score.desc()"
    )


class FeedbackTag(db.Model):
    """A tag on a feedback, with why it was given (matched terms, score) and by whom."""

    __tablename__ = "feedback_tags"
    __table_args__ = (
        UniqueConstraint("feedback_id", "tag_id", name="uq_feedback_tags_feedback_tag"),
        # The inbox's tag filter reads (tag_id, feedback_id) alone, newest first.
        Index("ix_feedback_tags_tag_id_feedback_id", "tag_id", "feedback_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Looked up through the unique (feedback_id, tag_id) index; no index of its own (f1a9c3e5b7d2).
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id"))
    score: Mapped[float] = mapped_column(Float, default=1.0)
    matched: Mapped[list] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(8), default="auto")
    # Automatic tags: which rules and model decided ("rules-2+model-20261205-…"), and the words the
    # learned layer weighed most when it was the model that gave the tag.
    tagger_version: Mapped[str | None] = mapped_column(String(64))
    learned: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    feedback: Mapped[Feedback] = relationship(back_populates="tags")
    tag: Mapped[Tag] = relationship(lazy="joined")


class FeedbackContact(db.Model):
    """Opt-in contact details, kept apart from the feedback; org department only."""

    __tablename__ = "feedback_contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Message(db.Model):
    """A question from the org department to the reporter, or the reporter's answer."""

    __tablename__ = "messages"
    __table_args__ = (CheckConstraint("direction IN ('to_reporter', 'from_reporter')", name="direction"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    staff_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
