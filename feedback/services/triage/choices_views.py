"""The choices a triage form offers besides tags (``decisions.active_tags``): observation points."""

from __future__ import annotations

from sqlalchemy import select

from feedback.extensions import db
from feedback.models import ObservationPoint


def points() -> list[dict[str, str]]:
    rows = db.session.execute(
        select(ObservationPoint.code, ObservationPoint.name)
        .where(ObservationPoint.active.is_(True))
        .order_by(ObservationPoint.code)
    ).all()
    return [{"code": r.code, "name": r.name} for r in rows]
