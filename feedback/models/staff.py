"""Staff console accounts and their sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db
from feedback.models.base import UTCDateTime, utcnow
from feedback.models.reference import Department, ObservationPoint
from feedback.workflow import STAFF_ROLES  # noqa: F401  (re-exported for the role check constraint readers)


class StaffUser(db.Model):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'triage', 'handler', 'liaison', 'viewer')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    point_id: Mapped[int | None] = mapped_column(ForeignKey("observation_points.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Login failures are counted in the rate-limit store (services/admin/staff_throttle.py), not here:
    # a lock on the account row was a switch any stranger could flip.
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when an admin lifts the login brakes; part of the counters' keys, so older failures stop counting.
    unlocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()
    point: Mapped[ObservationPoint | None] = relationship()


class StaffSession(db.Model):
    """A console login; the token itself is never stored, only its hash."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[StaffUser] = relationship()
