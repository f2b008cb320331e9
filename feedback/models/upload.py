"""Uploaded images, already scrubbed of metadata, stored outside any served folder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from feedback.extensions import db
from feedback.models.base import UTCDateTime, utcnow


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("feedback.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ReportAttachment(db.Model):
    """A file a department attaches to its rectification report: a PDF or an image, rebuilt from
    its content before it is stored (like the cadres' images, in ``UPLOAD_DIR``).

    Unlike a cadre's upload it names who uploaded it: staff act under their own name, and the
    department is what lets only that department attach it.
    """

    __tablename__ = "report_attachments"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    byte_size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("rectification_reports.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
