"""Observation-point daily ledger (日登记): what one point bore on one day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.models.base import BigId, UTCDateTime, utcnow

LEDGER_COUNTS = ("meetings", "irrelevant_meetings", "documents", "inspections", "forms", "checkins")


class LedgerEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("point_id", "day", name="uq_ledger_entries_point_day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("observation_points.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    meetings: Mapped[int] = mapped_column(Integer, default=0)
    irrelevant_meetings: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    inspections: Mapped[int] = mapped_column(Integer, default=0)
    forms: Mapped[int] = mapped_column(Integer, default=0)
    checkins: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(16), default="liaison")
