"""The choices a triage form offers: active tags and observation points, in their reference order."""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import ObservationPoint, Tag


def tags() -> list[dict[str, str]]:
    rows = db.session.execute(
        select(Tag.code, Tag.name).where(Tag.active.is_(True)).order_by(Tag.sort_order, Tag.id)
    ).all()
    return [{"code": r.code, "name": r.name} for r in rows]


def points() -> list[dict[str, str]]:
    rows = db.session.execute(
        select(ObservationPoint.code, ObservationPoint.name)
        .where(ObservationPoint.active.is_(True))
        .order_by(ObservationPoint.code)
    ).all()
    return [{"code": r.code, "name": r.name} for r in rows]
