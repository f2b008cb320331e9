"""Read model of the reference data (departments, duty list, observation points, tags) for admins.

The data itself is maintained in config/*.yaml and loaded with ``flask seed``; these lists show what
is in the database now, active records first, with Chinese labels for the coded fields.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from feedback.extensions import db
from feedback.models import Department, ObservationPoint, Responsibility, Tag

DEPARTMENT_LEVEL_LABELS = {
    "province": "省级",
    "city": "市级",
    "district": "县（市、区）级",
    "township": "乡镇（街道）级",
}
ROUTE_PATH_LABELS = {"direct": "直接交办", "escalate": "转市直部门上报", "consult": "集中会商"}
DEADLINE_CLASS_LABELS = {"standard": "一般", "consult": "会商", "urgent": "紧急"}
POINT_TYPE_LABELS = {"village": "村", "community": "社区", "township": "乡镇", "subdistrict": "街道", "organ": "机关"}


def departments() -> list[Department]:
    return list(
        db.session.scalars(
            select(Department)
            .options(selectinload(Department.parent))
            .order_by(Department.active.desc(), Department.code)
        )
    )


def active_departments() -> list[Department]:
    """For pickers: active departments by name order of their codes."""
    return list(db.session.scalars(select(Department).where(Department.active.is_(True)).order_by(Department.code)))


def points() -> list[ObservationPoint]:
    return list(
        db.session.scalars(select(ObservationPoint).order_by(ObservationPoint.active.desc(), ObservationPoint.code))
    )


def active_points() -> list[ObservationPoint]:
    return list(
        db.session.scalars(
            select(ObservationPoint).where(ObservationPoint.active.is_(True)).order_by(ObservationPoint.code)
        )
    )


def tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.active.desc(), Tag.sort_order, Tag.code)))


def responsibilities() -> list[dict[str, Any]]:
    """Each duty-list line with its departments and tag names resolved."""
    tag_names = {tag.code: tag.name for tag in db.session.scalars(select(Tag))}
    rows = db.session.scalars(
        select(Responsibility)
        .options(selectinload(Responsibility.primary_department), selectinload(Responsibility.cooperating_departments))
        .order_by(Responsibility.active.desc(), Responsibility.priority, Responsibility.code)
    )
    return [
        {
            "code": rule.code,
            "matter": rule.matter,
            "description": rule.description,
            "tags": [tag_names.get(code, code) for code in rule.tags or []],
            "terms": list(rule.terms or []),
            "primary": rule.primary_department,
            "cooperating": list(rule.cooperating_departments),
            "path_label": ROUTE_PATH_LABELS.get(rule.path, rule.path),
            "deadline_label": DEADLINE_CLASS_LABELS.get(rule.deadline_class, rule.deadline_class),
            "complex": rule.complex,
            "priority": rule.priority,
            "active": rule.active,
            "is_sample": rule.is_sample,
        }
        for rule in rows
    ]
