"""Monthly facts (recomputable aggregates) and the stored monthly summaries built from them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.models.base import BigId, UTCDateTime, utcnow


class FeedbackTerm(db.Model):
    """One jieba keyword of one feedback's content (at most 8 per feedback), cut once at intake, so
    a month's ``term`` facts are a GROUP BY instead of a jieba pass over the month's texts.

    ``submitted_on`` repeats the feedback's (it never changes), so a month's terms are one range of
    an index. Rows go with the content: deleted when the content is purged (and with the feedback).
    """

    __tablename__ = "feedback_terms"
    __table_args__ = (Index("ix_feedback_terms_submitted_on", "submitted_on"),)

    feedback_id: Mapped[int] = mapped_column(BigId, ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    submitted_on: Mapped[date] = mapped_column(Date)


class MonthlyFact(db.Model):
    """One count for one month along one dimension (tag, kind, unit_level, region, point, term …)."""

    __tablename__ = "monthly_facts"
    __table_args__ = (UniqueConstraint("month", "dimension", "key", name="uq_monthly_facts_month_dimension_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the month
    dimension: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyDepartmentFact(db.Model):
    __tablename__ = "monthly_department_facts"
    __table_args__ = (UniqueConstraint("month", "department_id", name="uq_monthly_department_facts_month_dept"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_on_time: Mapped[int] = mapped_column(Integer, default=0)
    responded: Mapped[int] = mapped_column(Integer, default=0)
    responded_on_time: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    response_working_days: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    satisfaction_score: Mapped[float] = mapped_column(Float, default=0.0)


class MonthlySummary(db.Model):
    """月度分析 as published: a past month stays as it was, even if facts are recomputed."""

    __tablename__ = "monthly_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, unique=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)
    excerpts: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
