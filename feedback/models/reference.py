"""Reference data operators maintain in config/*.yaml and load with ``flask seed``."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from feedback.extensions import db

DEPARTMENT_LEVELS = ("province", "city", "district", "township")
ROUTE_PATHS = ("direct", "escalate", "consult")
POINT_TYPES = ("village", "community", "township", "subdistrict", "organ")


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (CheckConstraint("level IN ('province', 'city', 'district', 'township')", name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str | None] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    is_org_department: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped[Department | None] = relationship(remote_side=[id])


responsibility_cooperators = Table(
    "responsibility_cooperators",
    db.metadata,
    Column("responsibility_id", ForeignKey("responsibilities.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True),
)


class Responsibility(db.Model):
    """One line of the duty list (职责清单): which burdens go to which departments."""

    __tablename__ = "responsibilities"
    __table_args__ = (CheckConstraint("path IN ('direct', 'escalate', 'consult')", name="path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    matter: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    terms: Mapped[list] = mapped_column(JSON, default=list)
    imposer_level: Mapped[str | None] = mapped_column(String(16))
    primary_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    path: Mapped[str] = mapped_column(String(16), default="direct")
    deadline_class: Mapped[str] = mapped_column(String(16), default="standard")
    complex: Mapped[bool] = mapped_column(Boolean, default=False)
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)

    primary_department: Mapped[Department] = relationship(foreign_keys=[primary_department_id])
    cooperating_departments: Mapped[list[Department]] = relationship(secondary=responsibility_cooperators)


class ObservationPoint(db.Model):
    """A fixed 基层减负观测点 that reports burdens and keeps a daily ledger."""

    __tablename__ = "observation_points"
    __table_args__ = (
        CheckConstraint(
            "point_type IN ('village', 'community', 'township', 'subdistrict', 'organ')", name="point_type"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    point_type: Mapped[str] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    liaison_name: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
